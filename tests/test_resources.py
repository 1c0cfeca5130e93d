"""Where linmem finds its own files, and what it says when they are missing."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from harness import resources
from harness.cli import main
from harness.errors import EXIT_BAD_INPUT, SetupError
from harness.resources import OWN_FILES, own_files_root, require_own_files
from harness.wast.malformed import REJECTED
from tests.conftest import INLINE_SUM_SCENARIO
from tests.test_cli import assert_one_clean_error

ROOT = Path(__file__).resolve().parent.parent


def shipped_files(root: Path) -> set[str]:
    """What setup.py copies into the wheel: js/**, wat/*.wat and the npm manifest."""
    found = {path for path in (root / "js").rglob("*") if path.is_file()} | set((root / "wat").glob("*.wat"))
    return {path.relative_to(root).as_posix() for path in found} | {"package.json", "package-lock.json"}


def test_own_files_are_every_file_the_wheel_carries() -> None:
    assert set(OWN_FILES) == shipped_files(ROOT), "harness.resources.OWN_FILES must list every file in js/ and wat/"
    assert OWN_FILES[0] == "js/identify.js", "the file the first runtime probe runs is checked first"


def test_a_checkout_reads_its_own_files_from_the_source_tree() -> None:
    assert resources.PROJECT_ROOT == ROOT and resources.JS_DIR == ROOT / "js"
    require_own_files()


def test_the_installed_copy_is_preferred_to_the_source_tree(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("")
    installed = tmp_path / "harness" / "_data"
    assert own_files_root(installed, tmp_path) == tmp_path
    installed.mkdir(parents=True)
    assert own_files_root(installed, tmp_path) == installed


def test_an_install_without_its_files_is_looked_for_in_the_package(tmp_path: Path) -> None:
    site_packages = tmp_path / "site-packages"
    assert own_files_root(site_packages / "harness" / "_data", site_packages) == site_packages / "harness" / "_data"


def test_a_missing_own_file_is_named_with_its_directory(tmp_path: Path) -> None:
    with pytest.raises(SetupError) as raised:
        require_own_files(tmp_path)
    assert raised.value.exit_code == EXIT_BAD_INPUT
    assert raised.value.one_line() == (f"linmem's own file js/identify.js is missing from {tmp_path}: "
                                       "the installation is incomplete; reinstall linmem")


def test_the_first_missing_file_is_the_one_named(tmp_path: Path) -> None:
    for relative in OWN_FILES:
        if relative != "package-lock.json":
            (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / relative).write_text("")
    with pytest.raises(SetupError, match="own file package-lock.json is missing"):
        require_own_files(tmp_path)


@pytest.mark.parametrize("command", [["reproduce"], ["run", "nothing.scenario.toml"], ["runtimes"],
                                     ["compile", "x.wat", "-o", "x.wasm"]])
def test_the_command_line_blames_the_installation_not_node(command: list[str], tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(resources, "PROJECT_ROOT", tmp_path)
    assert main(command) == EXIT_BAD_INPUT
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (f"linmem: error: linmem's own file js/identify.js is missing from {tmp_path}: "
                            "the installation is incomplete; reinstall linmem\n")


def test_a_compiler_does_not_start_without_linmems_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from harness.compiler.wabt import Compiler
    from harness.runtimes.discovery import Runtime
    monkeypatch.setattr(resources, "PROJECT_ROOT", tmp_path)
    with pytest.raises(SetupError, match="own file js/identify.js is missing"):
        Compiler(Runtime("node", "20.0.0", "/nonexistent/node", "V8", "11", "test"))


def cache_dirs_that_cannot_be_used(tmp_path: Path) -> list[tuple[Path, str]]:
    """``LINMEM_CACHE_DIR`` values no cache can live in (we run as root: a file in the way stands for no access)."""
    regular = tmp_path / "regular"
    regular.write_text("x\n")
    return [(regular, "it is not a directory"),
            (regular / "cache", "it cannot be created or written (Not a directory)"),
            (Path("/proc/linmem-cache"), "it cannot be created or written (No such file or directory)")]


@pytest.mark.parametrize("command", [["run", "--node", "reference", "sum.scenario.toml"], ["runtimes"],
                                     ["compile", "x.wat", "-o", "x.wasm"]])
def test_a_linmem_cache_dir_that_cannot_be_used_is_one_line_naming_it(command: list[str], tmp_path: Path,
                                                                      run_linmem) -> None:
    (tmp_path / "x.wat").write_text("(module)")
    (tmp_path / "sum.scenario.toml").write_text(INLINE_SUM_SCENARIO)
    for cache, why in cache_dirs_that_cannot_be_used(tmp_path):
        completed = run_linmem(*command, cwd=tmp_path, env={"LINMEM_CACHE_DIR": str(cache)})
        assert_one_clean_error(completed, f"LINMEM_CACHE_DIR={cache} cannot be linmem's cache: {why}")
        assert completed.stderr.count("\n") == 1 and not (tmp_path / "x.wasm").exists()
    assert (tmp_path / "regular").read_text() == "x\n"


def test_the_cache_root_is_created_when_missing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LINMEM_CACHE_DIR", str(tmp_path / "new" / "cache"))
    assert resources.cache_root() == tmp_path / "new" / "cache"
    assert (tmp_path / "new" / "cache").is_dir() and list((tmp_path / "new" / "cache").iterdir()) == []


def test_stale_staging_is_told_from_live_staging_by_owner_and_age(tmp_path: Path) -> None:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    host = socket.gethostname().replace("-", "_")
    names = {"dead owner": f".install-pid{child.pid}@{host}-a", "live owner": f".install-pid{os.getpid()}@{host}-b",
             "other host, recent": f".install-pid{child.pid}@elsewhere-c", "other host, old": ".install-pid1@elsewhere-d",
             "unnamed owner, old": ".install-e", "unnamed owner, recent": ".install-f", "not staging": "abc123"}
    for name in names.values():
        (tmp_path / name).mkdir()
    for old in ("other host, old", "unnamed owner, old"):
        os.utime(tmp_path / names[old], (time.time() - 3600, time.time() - 3600))
    removed = resources.remove_stale_staging(tmp_path, ".install-", max_age=600)
    assert sorted(path.name for path in removed) == sorted(
        names[kind] for kind in ("dead owner", "other host, old", "unnamed owner, old"))
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted(
        names[kind] for kind in ("live owner", "other host, recent", "unnamed owner, recent", "not staging"))


def test_a_staging_directory_names_its_owner(tmp_path: Path) -> None:
    staging = resources.staging_dir(tmp_path / "npm", ".install-")
    assert staging.parent == tmp_path / "npm" and staging.is_dir()
    assert staging.name.startswith(f".install-pid{os.getpid()}@{socket.gethostname().replace('-', '_')}-")


#: linmem's command line in a process whose files may not grow past 64 bytes (RLIMIT_FSIZE; Python ignores SIGXFSZ,
#: so a write past it fails with EFBIG, as a full disk fails with ENOSPC)
_SIXTY_FOUR_BYTE_FILES = ("import resource, sys; resource.setrlimit(resource.RLIMIT_FSIZE, (64, 64)); "
                          "from harness.cli import main; sys.exit(main(sys.argv[1:]))")


def test_a_cache_the_disk_refuses_costs_its_entries_not_the_run(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    for installed in ("npm", "runtimes"):  # what is installed already is shared; new compiles go to cache/wasm
        if (resources.cache_root() / installed).exists():
            (cache / installed).symlink_to(resources.cache_root() / installed)
    script = Path(__file__).parent / "wast" / "memory.wast"
    completed = subprocess.run([sys.executable, "-c", _SIXTY_FOUR_BYTE_FILES, "run", str(script), "--node", "reference"],
                               env={**os.environ, "LINMEM_CACHE_DIR": str(cache)}, capture_output=True, text=True,
                               timeout=300)
    assert completed.returncode == 0, completed.stderr
    assert "summary: 22 pass, 0 fail, 0 error, 0 unsupported" in completed.stdout
    [warning] = [line for line in completed.stderr.splitlines() if line]
    assert warning.startswith(f"linmem: warning: cannot write to the cache in {cache / 'wasm'}/")
    assert warning.endswith("(File too large); going on without it")
    # nothing half-written: the only entries left are whole ones under the limit, wabt's rejections of malformed text
    left = [path for path in (cache / "wasm").rglob("*") if path.is_file()]
    assert all(path.suffix == ".rejected" and path.read_bytes() == REJECTED for path in left)


def test_an_install_the_disk_refuses_is_one_line_and_leaves_nothing_behind(tmp_path: Path) -> None:
    (tmp_path / "x.wat").write_text("(module)")
    completed = subprocess.run([sys.executable, "-c", _SIXTY_FOUR_BYTE_FILES, "compile", "x.wat", "-o", "x.wasm"],
                               cwd=tmp_path, env={**os.environ, "LINMEM_CACHE_DIR": str(tmp_path / "cache")},
                               capture_output=True, text=True, timeout=300)
    assert completed.returncode == EXIT_BAD_INPUT
    error = completed.stderr.splitlines()[-1]
    assert error.startswith(f"linmem: error: could not install the npm side into {tmp_path / 'cache' / 'npm'}/")
    assert error.endswith(": File too large")
    assert list((tmp_path / "cache" / "npm").iterdir()) == [] and not (tmp_path / "x.wasm").exists()
