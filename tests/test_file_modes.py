"""Files linmem writes for the user get the modes an ordinary program would give them.

A new file gets ``0o666`` less the umask; a file that already exists (a
scenario rewritten by ``--update``, a report written over an old one) keeps
its mode. The command line runs in a child process whose umask is set first.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from harness import resources
from harness.resources import current_umask, write_atomic
from tests.conftest import INLINE_SUM_SCENARIO

ROOT = Path(__file__).resolve().parent.parent
#: a child that sets its umask, then runs the real command line
WITH_UMASK = "import os, sys; os.umask(int(sys.argv[1], 8)); from harness.cli import main; sys.exit(main(sys.argv[2:]))"

SCENARIO = INLINE_SUM_SCENARIO.replace("expect = [7, 4, 11]\n", "")  # --update has something to pin


def linmem_with_umask(umask: int, *arguments: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run ``linmem ARGUMENTS`` in a child process whose umask is ``umask``."""
    return subprocess.run([sys.executable, "-c", WITH_UMASK, oct(umask), *arguments], capture_output=True,
                          text=True, cwd=str(cwd), timeout=180, env=dict(os.environ, PYTHONPATH=str(ROOT)))


def mode(path: Path) -> int:
    """The permission bits of ``path``."""
    return stat.S_IMODE(path.stat().st_mode)


def make_file(path: Path, text: str, file_mode: int) -> Path:
    """Write ``text`` to ``path`` and give it ``file_mode``."""
    path.write_text(text, encoding="utf-8")
    path.chmod(file_mode)
    return path


UMASKS = pytest.mark.parametrize("umask", [0o022, 0o077], ids=["umask022", "umask077"])


@pytest.mark.integration
@UMASKS
def test_new_reports_honour_the_umask_and_an_old_one_keeps_its_mode(umask: int, tmp_path: Path, npm_side: Path) -> None:
    make_file(tmp_path / "sum.scenario.toml", SCENARIO + "expect = [7, 4, 11]\n", 0o644)
    make_file(tmp_path / "old.md", "an older report\n", 0o640)
    completed = linmem_with_umask(umask, "run", "sum.scenario.toml", "--json", "r.json", "--html", "r.html",
                                  "--junit", "r.xml", "--markdown", "old.md", cwd=tmp_path)
    assert completed.returncode == 0, completed.stderr + completed.stdout
    assert {name: oct(mode(tmp_path / name)) for name in ("r.json", "r.html", "r.xml", "old.md")} == {
        "r.json": oct(0o666 & ~umask), "r.html": oct(0o666 & ~umask), "r.xml": oct(0o666 & ~umask),
        "old.md": oct(0o640)}
    assert "an older report" not in (tmp_path / "old.md").read_text(encoding="utf-8")


@pytest.mark.integration
@UMASKS
def test_a_compiled_binary_honours_the_umask(umask: int, tmp_path: Path, npm_side: Path) -> None:
    completed = linmem_with_umask(umask, "compile", str(ROOT / "wat" / "sum.wat"), "-o", "sum.wasm", cwd=tmp_path)
    assert completed.returncode == 0, completed.stderr
    assert oct(mode(tmp_path / "sum.wasm")) == oct(0o666 & ~umask)


@pytest.mark.integration
@UMASKS
def test_update_keeps_each_scenario_files_mode(umask: int, tmp_path: Path, npm_side: Path) -> None:
    readable = make_file(tmp_path / "a.scenario.toml", SCENARIO, 0o644)
    group_only = make_file(tmp_path / "b.scenario.toml", SCENARIO, 0o640)
    completed = linmem_with_umask(umask, "run", "--update", "a.scenario.toml", "b.scenario.toml", cwd=tmp_path)
    assert completed.returncode == 0, completed.stderr
    assert "2 of 2 scenario files updated" in completed.stdout
    assert "expect = [7, 4, 11]" in readable.read_text(encoding="utf-8")
    assert (oct(mode(readable)), oct(mode(group_only))) == (oct(0o644), oct(0o640))


def test_write_atomic_gives_a_new_file_the_umasks_mode_and_keeps_an_old_files(tmp_path: Path) -> None:
    write_atomic(tmp_path / "new", b"new")
    old = make_file(tmp_path / "old", "old", 0o604)
    write_atomic(old, b"rewritten")
    assert oct(mode(tmp_path / "new")) == oct(0o666 & ~current_umask())
    assert (old.read_bytes(), oct(mode(old))) == (b"rewritten", oct(0o604))
    assert sorted(path.name for path in tmp_path.iterdir()) == ["new", "old"]


@pytest.mark.parametrize("umask", [0o022, 0o027, 0o077])
def test_the_umask_is_read_without_changing_it(umask: int) -> None:
    code = ("import os, sys; os.umask(int(sys.argv[1], 8)); from harness.resources import current_umask; "
            "print(oct(current_umask()), oct(os.umask(0)))")
    completed = subprocess.run([sys.executable, "-c", code, oct(umask)], capture_output=True, text=True,
                               timeout=60, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert completed.stdout.split() == [oct(umask), oct(umask)], completed.stderr


def test_without_proc_the_umask_is_set_and_restored(monkeypatch: pytest.MonkeyPatch) -> None:
    expected = current_umask()

    def no_proc(*_arguments: object, **_keywords: object) -> None:
        raise FileNotFoundError("/proc/self/status")
    monkeypatch.setattr(resources, "open", no_proc, raising=False)
    assert current_umask() == expected
    monkeypatch.undo()
    assert current_umask() == expected
