"""The npm side of linmem: wabt.js and testharness.js (from ``wpt-runner``), installed on first use into the cache.

``package.json`` and ``package-lock.json`` in the source tree pin what is
needed. The first time linmem needs them it runs ``npm ci --omit=dev`` with
the npm that ships beside the chosen Node (pip's Node packages carry a
placeholder ``bin/npm``, so npm's own ``npm-cli.js`` is run with that Node),
in a temporary directory that is renamed into place only when it is complete,
with the SHA-256 of each of its files: an install whose files no longer match
is installed anew, and staging directories that killed runs left behind are
removed by the next install.
The directory is keyed by a hash of the lock file's production entries, so a
changed pin installs anew. The development dependencies (the real modules of
linmem's own test suite, ``tests/real_modules.py``) are never downloaded for
users: that suite installs them into a directory of its own.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

from ..errors import NpmInstallError, RuntimeFailure, SetupError
from ..resources import (
    PACKAGE_JSON,
    PACKAGE_LOCK,
    cache_root,
    remove_stale_staging,
    require_own_files,
    sha256_hex,
    staging_dir,
    write_atomic,
)
from ..runtimes.discovery import Runtime, npm_cli
from ..runtimes.process import run_tool

NPM_TIMEOUT = 600.0
#: the file a finished install holds: the SHA-256 of each of its files
COMPLETE_MARKER = ".linmem-complete"
#: what the name of an install under way starts with (in ``<cache>/npm``)
STAGING_PREFIX = ".install-"
#: past this age a staging directory is left over whoever owns it: an install is killed after NPM_TIMEOUT
STALE_STAGING_AGE = NPM_TIMEOUT + 300.0
#: how often a finished install tries to replace a damaged one that other processes keep replacing
MOVE_ATTEMPTS = 5


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
    modules = staging / "node_modules"
    (modules / COMPLETE_MARKER).write_bytes(_marker(modules))


def file_hashes(modules: Path) -> dict[str, str]:
    """The SHA-256 of every file below ``modules`` (but the marker), by its path relative to ``modules``."""
    return {path.relative_to(modules).as_posix(): sha256_hex(path.read_bytes())
            for path in sorted(modules.rglob("*"))
            if path.is_file() and not path.is_symlink() and path.name != COMPLETE_MARKER}


#: the marker of installs made before linmem recorded hashes: trusted once, and given the hashes
LEGACY_MARKER = b"complete\n"


def is_intact(modules: Path) -> bool:
    """Whether ``modules`` is a finished install whose every file still has the hash its marker recorded.

    A missing or unreadable marker (an install cut short) or a changed,
    missing or added file makes it not intact: it is then installed anew. An
    install finished by an older linmem (its marker holds no hashes) is
    trusted as it is, and its marker rewritten with them.
    """
    try:
        marker = (modules / COMPLETE_MARKER).read_bytes()
        if marker == LEGACY_MARKER:
            write_atomic(modules / COMPLETE_MARKER, _marker(modules))
            return True
        recorded = json.loads(marker)["sha256"]
        return isinstance(recorded, dict) and recorded == file_hashes(modules)
    except (OSError, ValueError, KeyError, TypeError):
        return False


def _marker(modules: Path) -> bytes:
    return json.dumps({"sha256": file_hashes(modules)}, indent=1, sort_keys=True).encode()


def ensure_installed(runtime: Runtime) -> Path:
    """Return the ``node_modules`` directory, installing it first if needed.

    Raises :class:`NpmInstallError` (with npm's stderr) if ``npm ci`` fails.
    """
    target = modules_dir()
    install_root = target.parent
    if install_root.parent.is_dir():
        remove_stale_staging(install_root.parent, STAGING_PREFIX, STALE_STAGING_AGE)
    if is_intact(target):
        return target
    why = ("the npm side in the cache is incomplete or damaged: reinstalling it" if install_root.exists()
           else "first use: installing the npm side")
    print(f"linmem: {why} (wabt {pinned_version('wabt')}) with the npm bundled with node {runtime.version} into "
          f"{install_root}", file=sys.stderr, flush=True)
    try:
        staging = staging_dir(install_root.parent, STAGING_PREFIX)
        try:
            install_into(staging, runtime, dev=False, what="npm registry, package wabt")
            _move_into_place(staging, install_root)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    except OSError as problem:  # a full disk, a read-only cache: the install cannot happen here
        raise NpmInstallError(f"could not install the npm side into {install_root}: "
                              f"{problem.strerror or problem}") from None
    return target


#: testharness.js inside the pinned npm package wpt-runner, below ``node_modules``
PACKAGED_TESTHARNESS = Path("wpt-runner") / "testharness" / "testharness.js"


def packaged_testharness(runtime: Runtime) -> Path:
    """The testharness.js that the pinned ``wpt-runner`` ships, installed first if needed."""
    harness = ensure_installed(runtime) / PACKAGED_TESTHARNESS
    if not harness.is_file():
        raise SetupError(f"the pinned npm package wpt-runner {pinned_version('wpt-runner')} has no {PACKAGED_TESTHARNESS}")
    return harness


def _move_into_place(staging: Path, install_root: Path) -> None:
    """Rename the finished install into place, moving a damaged one out of the way first.

    If another process put an intact install there first, theirs is kept.
    """
    for _ in range(MOVE_ATTEMPTS):
        try:
            staging.rename(install_root)
            return
        except OSError:
            if is_intact(install_root / "node_modules"):
                return
        discarded = staging_dir(install_root.parent, STAGING_PREFIX)  # out of the way in one rename, then removed
        try:
            install_root.rename(discarded / "old")
        except FileNotFoundError:
            pass  # another process moved it meanwhile
        shutil.rmtree(discarded, ignore_errors=True)
    raise NpmInstallError(f"could not put the npm side in place at {install_root}: other processes kept "
                          "replacing it")
