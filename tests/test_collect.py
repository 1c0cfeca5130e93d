"""Which files are cases: every kind below a directory, named files by their suffix, bad paths refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.case import CaseKind
from harness.errors import InputError
from harness.pipeline.collect import collect
from tests.conftest import write_file

MINIMAL = 'wat = "(module)"\n'


def test_a_directory_is_searched_for_every_kind_at_any_depth_sorted(tmp_path: Path) -> None:
    for name in ("b.scenario.toml", "a.scenario.json", "notes.toml", "deep/er/z.wast", "deep/m.wast", "x.wat",
                 "jsapi/memory/buffer.any.js", "jsapi/assertions.js"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        write_file(tmp_path, name, MINIMAL)
    files = collect([tmp_path])
    assert [p.name for p in files.of(CaseKind.SCENARIO)] == ["a.scenario.json", "b.scenario.toml"]
    assert [p.relative_to(tmp_path).as_posix() for p in files.of(CaseKind.WAST)] == ["deep/er/z.wast", "deep/m.wast"]
    assert [p.name for p in files.of(CaseKind.JSAPI)] == ["buffer.any.js"]  # a META helper script is no case
    assert len(files) == 5


def test_a_file_named_twice_or_also_found_below_a_directory_is_one_file(tmp_path: Path) -> None:
    script = write_file(tmp_path, "m.wast", "(module)")
    files = collect([script, tmp_path, tmp_path / "." / "m.wast"])
    assert files.of(CaseKind.WAST) == [script.resolve()]


def test_a_missing_path_is_bad_input_naming_it(tmp_path: Path) -> None:
    with pytest.raises(InputError) as caught:
        collect([tmp_path / "absent"])
    assert caught.value.one_line() == f"{tmp_path / 'absent'}: no such file or directory"


def test_a_named_file_of_no_kind_is_bad_input_not_silently_dropped(tmp_path: Path) -> None:
    notes = write_file(tmp_path, "notes.toml", MINIMAL)
    with pytest.raises(InputError, match="not one of the scenario files .*, .wast scripts or JS API test files"):
        collect([write_file(tmp_path, "a.scenario.toml", MINIMAL), notes])


def test_a_directory_with_no_case_file_is_bad_input(tmp_path: Path) -> None:
    write_file(tmp_path, "notes.toml", MINIMAL)
    with pytest.raises(InputError, match=r"no scenario files .*, .wast scripts or JS API test files \(\*.any.js\) found in"):
        collect([tmp_path])


def test_below_a_directory_a_link_to_a_file_is_its_target_and_a_linked_directory_is_not_entered(
        tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    target = write_file(outside, "t.wast", "(module)")
    write_file(outside, "u.wast", "(module)")
    tree = tmp_path / "tree"
    (tree / "sub").mkdir(parents=True)
    write_file(tree / "sub", ".hidden.wast", "(module)")
    (tree / "link.wast").symlink_to(target)
    (tree / "dir").symlink_to(outside, target_is_directory=True)
    (tree / "dangling.wast").symlink_to(tmp_path / "absent.wast")
    files = collect([tree])
    assert files.of(CaseKind.WAST) == [target.resolve(), (tree / "sub" / ".hidden.wast").resolve()]
