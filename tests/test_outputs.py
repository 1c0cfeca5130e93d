"""Files written for the user: checked before the work, regular files replaced atomically, devices never replaced."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from harness import outputs
from harness.errors import EXIT_BAD_INPUT, OutputPathError


def test_a_new_file_is_written_whole_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    outputs.check_output_path(tmp_path / "r.json", "--json")
    outputs.write_output(tmp_path / "r.json", b"{}\n", "--json")
    assert [path.name for path in tmp_path.iterdir()] == ["r.json"]
    assert (tmp_path / "r.json").read_bytes() == b"{}\n"


def test_an_existing_file_keeps_its_mode(tmp_path: Path) -> None:
    report = tmp_path / "r.json"
    report.write_bytes(b"old")
    report.chmod(0o640)
    outputs.write_output(report, b"new", "--json")
    assert report.read_bytes() == b"new" and stat.S_IMODE(report.stat().st_mode) == 0o640


def test_dev_null_is_written_in_place_and_stays_a_device() -> None:
    outputs.check_output_path(Path("/dev/null"), "--json")
    outputs.write_output(Path("/dev/null"), b"{}\n", "--json")
    assert stat.S_ISCHR(os.lstat("/dev/null").st_mode)


@pytest.mark.parametrize("kind, mode", [("a block device", stat.S_IFBLK | 0o660), ("a socket", stat.S_IFSOCK | 0o777),
                                        ("a directory", stat.S_IFDIR | 0o755)])
def test_block_devices_sockets_and_directories_are_refused(kind: str, mode: int) -> None:
    assert outputs._refused_kind(mode) == kind


def test_a_socket_is_refused_before_and_at_write_time(tmp_path: Path) -> None:
    import socket
    path = tmp_path / "s"
    with socket.socket(socket.AF_UNIX) as listener:
        listener.bind(str(path))
        for attempt in (lambda: outputs.check_output_path(path, "--html"),
                        lambda: outputs.write_output(path, b"x", "--html")):
            with pytest.raises(OutputPathError) as raised:
                attempt()
            assert raised.value.one_line() == f"{path}: cannot write --html here: it is a socket"
            assert raised.value.exit_code == EXIT_BAD_INPUT


def test_a_directory_that_disappears_before_the_write_is_a_clean_error(tmp_path: Path) -> None:
    directory = tmp_path / "gone"
    directory.mkdir()
    outputs.check_output_path(directory / "r.xml", "--junit")
    directory.rmdir()
    with pytest.raises(OutputPathError) as raised:
        outputs.write_output(directory / "r.xml", b"<x/>", "--junit")
    assert raised.value.one_line() == f"{directory / 'r.xml'}: cannot write --junit here: the directory {directory} " \
                                      "does not exist"


def test_a_set_whose_second_rename_fails_puts_the_first_file_back(tmp_path: Path, monkeypatch) -> None:
    first, second = tmp_path / "r.json", tmp_path / "r.md"
    first.write_text("the last run's report\n")
    real_replace, calls = os.replace, []

    def replace_failing_the_second(source, target):  # a fault between two renames: a disk error, say
        calls.append(target)
        if len(calls) == 2:
            raise OSError(5, "Input/output error", str(target))
        return real_replace(source, target)

    monkeypatch.setattr(os, "replace", replace_failing_the_second)
    with pytest.raises(OutputPathError, match="cannot write --markdown here: Input/output error"):
        outputs.write_outputs([(first, b"new\n", "--json"), (second, b"new\n", "--markdown")])
    monkeypatch.undo()
    assert first.read_text() == "the last run's report\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.json"], "no temporary or second name left"


def test_a_device_in_a_set_is_written_in_place_and_the_files_replaced(tmp_path: Path) -> None:
    report = tmp_path / "r.json"
    outputs.write_outputs([(Path("/dev/null"), b"x", "--markdown"), (report, b"new\n", "--json")])
    assert stat.S_ISCHR(os.lstat("/dev/null").st_mode) and report.read_bytes() == b"new\n"


def test_a_device_that_fails_leaves_the_set_s_files_as_they_were(tmp_path: Path) -> None:
    report = tmp_path / "r.json"
    report.write_text("old\n")
    with pytest.raises(OutputPathError) as caught:
        outputs.write_outputs([(report, b"new\n", "--json"), (Path("/dev/full"), b"x", "--markdown")])
    assert caught.value.one_line() == "/dev/full: cannot write --markdown here: No space left on device"
    assert report.read_text() == "old\n" and stat.S_ISCHR(os.lstat("/dev/full").st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.json"]
