"""The npm side installs itself on first use, atomically, with the runtime's bundled npm."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from harness.compiler import npm
from harness.runtimes.discovery import Runtime


def test_the_lock_file_pins_wabt_1_0_39() -> None:
    assert npm.pinned_version("wabt") == "1.0.39"


def test_the_install_is_keyed_by_the_production_entries_of_the_lock_only() -> None:
    lock = json.loads(npm.lock_bytes())
    assert lock["packages"][""]["devDependencies"], "the lock has development dependencies to leave out"
    key = npm.production_lock_key(npm.lock_bytes())
    lock["packages"][""]["devDependencies"]["hash-wasm"] = "0.0.1"
    lock["packages"]["node_modules/hash-wasm"]["version"] = "0.0.1"
    assert npm.production_lock_key(json.dumps(lock).encode()) == key
    lock["packages"]["node_modules/wabt"]["version"] = "1.0.38"
    assert npm.production_lock_key(json.dumps(lock).encode()) != key


@pytest.mark.needs_node("npm ships with Node")
def test_npm_is_run_through_its_cli_script_beside_the_node(node_runtime: Runtime) -> None:
    command = npm.npm_cli(node_runtime)
    if len(command) == 2:
        assert command[0] == node_runtime.path and command[1].endswith("npm/bin/npm-cli.js")
    assert Path(command[-1]).stat().st_size > 0  # never pip's 0-byte bin/npm placeholder


@pytest.mark.needs_node("npm ships with Node")
def test_first_use_installs_wabt_and_says_so(node_runtime: Runtime, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("LINMEM_CACHE_DIR", str(tmp_path))
    modules = npm.ensure_installed(node_runtime)
    assert (modules / "wabt" / "package.json").is_file()
    assert not (modules / "hash-wasm").exists(), "the test suite's real modules are development dependencies"
    assert "first use: installing the npm side (wabt 1.0.39)" in capsys.readouterr().err
    assert not list(tmp_path.glob("npm/.install-*")), "the staging directory is renamed or removed"
    assert npm.ensure_installed(node_runtime) == modules
    assert capsys.readouterr().err == ""  # second use: nothing to install, nothing said


@pytest.mark.needs_node("npm ships with Node")
def test_a_failed_install_leaves_nothing_behind(node_runtime: Runtime, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LINMEM_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(npm, "npm_cli", lambda runtime: [runtime.path, "-e", "process.exit(9)"])
    with pytest.raises(npm.NpmInstallError, match="npm ci .* failed"):
        npm.ensure_installed(node_runtime)
    assert [p.name for p in (tmp_path / "npm").iterdir()] == []


def test_an_install_from_an_older_linmem_is_trusted_once_and_given_hashes(tmp_path: Path) -> None:
    modules = tmp_path / "node_modules"
    (modules / "wabt").mkdir(parents=True)
    (modules / "wabt" / "index.js").write_bytes(b"module.exports = 1;\n")
    (modules / npm.COMPLETE_MARKER).write_text("complete\n")
    assert npm.is_intact(modules)
    recorded = json.loads((modules / npm.COMPLETE_MARKER).read_text())["sha256"]
    assert recorded == {"wabt/index.js": hashlib.sha256(b"module.exports = 1;\n").hexdigest()}
    (modules / "wabt" / "index.js").write_bytes(b"module.exports = 2;\n")
    assert not npm.is_intact(modules)


@pytest.mark.needs_node("npm ships with Node")
def test_a_damaged_install_is_installed_anew(node_runtime: Runtime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("LINMEM_CACHE_DIR", str(tmp_path))
    modules = npm.ensure_installed(node_runtime)
    package = modules / "wabt" / "package.json"
    healthy = package.read_bytes()
    package.write_bytes(healthy.replace(b'"version"', b'"versiom"'))
    capsys.readouterr()
    assert npm.ensure_installed(node_runtime) == modules
    assert "the npm side in the cache is incomplete or damaged: reinstalling it" in capsys.readouterr().err
    assert package.read_bytes() == healthy
    assert [path.name for path in (tmp_path / "npm").iterdir()] == [modules.parent.name], "nothing left over"


HANGING_INSTALL = """
import sys
from harness.compiler import npm
from harness.runtimes.discovery import find_node
runtime = find_node(sys.argv[1])
npm.npm_cli = lambda runtime: [runtime.path, "-e", "setTimeout(() => {}, 600000)"]  # npm that never finishes
npm.ensure_installed(runtime)
"""


@pytest.mark.needs_node("npm ships with Node")
def test_a_killed_installs_staging_directory_is_removed_and_a_live_one_kept(
        node_runtime: Runtime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LINMEM_CACHE_DIR", str(tmp_path))
    killed = subprocess.Popen([sys.executable, "-c", HANGING_INSTALL, node_runtime.path], start_new_session=True,
                              stderr=subprocess.DEVNULL, env=dict(os.environ, LINMEM_CACHE_DIR=str(tmp_path)))
    live = subprocess.Popen([sys.executable, "-c", HANGING_INSTALL, node_runtime.path], start_new_session=True,
                            stderr=subprocess.DEVNULL, env=dict(os.environ, LINMEM_CACHE_DIR=str(tmp_path)))
    try:
        deadline = time.monotonic() + 60
        while len(list((tmp_path / "npm").glob(".install-*/package-lock.json"))) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        os.killpg(killed.pid, signal.SIGKILL)
        killed.wait()
        [left_over] = (tmp_path / "npm").glob(f".install-pid{killed.pid}@*")
        [in_progress] = (tmp_path / "npm").glob(f".install-pid{live.pid}@*")
        legacy = tmp_path / "npm" / ".install-abc123"  # an older linmem's, named without its owner, long ago
        legacy.mkdir()
        os.utime(legacy, (time.time() - 7200, time.time() - 7200))
        modules = npm.ensure_installed(node_runtime)
        assert (modules / "wabt" / "package.json").is_file()
        assert not left_over.exists() and not legacy.exists()
        assert in_progress.is_dir() and live.poll() is None, "a live install is never touched"
    finally:
        for process in (killed, live):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
