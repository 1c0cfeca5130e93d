"""The npm side of linmem: wabt.js, installed on first use into the cache.

``package.json`` and ``package-lock.json`` in the source tree pin what is
needed. The first time linmem needs them it runs ``npm ci --omit=dev`` with
the npm that ships beside the chosen Node (pip's Node packages carry a
placeholder ``bin/npm``, so npm's own ``npm-cli.js`` is run with that Node),
in a temporary directory that is renamed into place only when it is complete.
The directory is keyed by a hash of the lock file's production entries, so a
changed pin installs anew. The development dependencies (the real modules of
linmem's own test suite, ``tests/real_modules.py``) are never downloaded for
users: that suite installs them into a directory of its own.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from pathlib import Path

from ..errors import NpmInstallError, RuntimeFailure, SetupError
from ..resources import (
    PACKAGE_JSON,
    PACKAGE_LOCK,
    cache_root,
    require_own_files,
    sha256_hex,
)
from ..runtimes.discovery import Runtime, npm_cli
from ..runtimes.process import run_tool

NPM_TIMEOUT = 600.0
COMPLETE_MARKER = ".linmem-complete"


def lock_bytes() -> bytes:
    """The pinned lock file's bytes; a missing one is a broken installation."""
    try:
        return PACKAGE_LOCK.read_bytes()
    except FileNotFoundError:
        require_own_files()  # names the missing file and says to reinstall
        raise SetupError(f"{PACKAGE_LOCK} is missing: linmem's installation is incomplete") from None


def pinned_version(package: str) -> str:
    """The version of an npm ``package`` that the lock file pins."""
    lock = json.loads(lock_bytes())
    entry = lock.get("packages", {}).get(f"node_modules/{package}")
    if not entry:
        raise SetupError(f"{PACKAGE_LOCK} does not pin the npm package {package}")
    return str(entry["version"])


def production_lock_key(lock_text: bytes) -> str:
    """A hash of what ``npm ci --omit=dev`` installs from a lock file: its entries less the dev ones.

    Bumping a development dependency (a module of linmem's own tests) leaves
    users' installed npm side in place.

    >>> lock = {"packages": {"": {"dependencies": {"a": "1"}}, "node_modules/a": {"version": "1"}}}
    >>> with_dev = {"packages": {"": {"dependencies": {"a": "1"}, "devDependencies": {"b": "2"}},
    ...                          "node_modules/a": {"version": "1"}, "node_modules/b": {"version": "2", "dev": True}}}
    >>> production_lock_key(json.dumps(lock).encode()) == production_lock_key(json.dumps(with_dev).encode())
    True
    """
    lock = json.loads(lock_text)
    for section in ("packages", "dependencies"):  # lockfileVersion 2 keeps npm 6's section too
        entries = lock.get(section, {})
        lock[section] = {name: entry for name, entry in entries.items() if not entry.get("dev")}
    root = lock["packages"].get("", {})
    root.pop("devDependencies", None)
    return sha256_hex(json.dumps(lock, sort_keys=True).encode())


def modules_dir() -> Path:
    """Where the installed ``node_modules`` for the current lock file's production entries lives."""
    return cache_root() / "npm" / production_lock_key(lock_bytes())[:16] / "node_modules"


def install_into(staging: Path, runtime: Runtime, *, dev: bool, what: str) -> None:
    """``npm ci`` of the pinned packages into ``staging`` (dev dependencies only with ``dev``), marked complete.

    Raises :class:`NpmInstallError` (with npm's stderr) naming ``what`` was being installed.
    """
    shutil.copy2(PACKAGE_JSON, staging / "package.json")
    shutil.copy2(PACKAGE_LOCK, staging / "package-lock.json")
    command = npm_cli(runtime) + ["ci", "--include=dev" if dev else "--omit=dev", "--no-audit", "--no-fund",
                                  "--ignore-scripts", "--loglevel=error"]
    try:
        run_tool(command, timeout=NPM_TIMEOUT, cwd=str(staging))
    except RuntimeFailure as failure:
        raise NpmInstallError(f"npm ci ({what}) failed: {failure.message}", detail=failure.detail) from None
    (staging / "node_modules" / COMPLETE_MARKER).write_text("complete\n")


def ensure_installed(runtime: Runtime) -> Path:
    """Return the ``node_modules`` directory, installing it first if needed.

    Raises :class:`NpmInstallError` (with npm's stderr) if ``npm ci`` fails.
    """
    target = modules_dir()
    if (target / COMPLETE_MARKER).is_file():
        return target
    install_root = target.parent
    install_root.parent.mkdir(parents=True, exist_ok=True)
    print(f"linmem: first use: installing the npm side (wabt {pinned_version('wabt')}) with the npm "
          f"bundled with node {runtime.version} into {install_root}", file=sys.stderr, flush=True)
    staging = Path(tempfile.mkdtemp(dir=install_root.parent, prefix=".install-"))
    try:
        install_into(staging, runtime, dev=False, what="npm registry, package wabt")
        _move_into_place(staging, install_root)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def _move_into_place(staging: Path, install_root: Path) -> None:
    """Rename the finished install; if another process won the race, keep theirs."""
    try:
        staging.rename(install_root)
    except OSError:
        if not (install_root / "node_modules" / COMPLETE_MARKER).is_file():
            shutil.rmtree(install_root, ignore_errors=True)
            staging.rename(install_root)
