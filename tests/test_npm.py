"""The npm side installs itself on first use, atomically, with the runtime's bundled npm."""

from __future__ import annotations

import json
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
