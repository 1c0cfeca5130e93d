"""Scripts read and checked once, then kept in the cache for later runs.

Reading a large script and checking its actions (:func:`.signatures.read_checked`)
costs far more than loading what it gave. A script that was read without
error is kept as a pickle in the compiler's cache directory, keyed by its
path and bytes, the spec version, wabt's version, linmem's version, Python's,
and the size and modification time of every source file of linmem (a tree
being edited never reads an entry its old code wrote). An entry is written
only when every module of the script compiled or was rejected for a reason
that depends on its bytes alone (never after a failing wabt process), whole
or not at all; one that does not match its hash is read again from the
script. Scripts with errors are never kept: each run says why again.
"""

from __future__ import annotations

import hashlib
import json
import pickle
import sys
from functools import lru_cache
from pathlib import Path
from typing import Callable

from .. import __version__
from ..compiler.wabt import Compiler
from ..resources import sha256_hex, write_cache_file
from .script import Command

#: what an entry starts with, before the SHA-256 of the pickle that follows it
HEADER = b"linmem-wast-script sha256="
PACKAGE = Path(__file__).resolve().parent.parent


def cached_read(path: Path, compiler: Compiler, version_name: str,
                read: Callable[[], tuple[list[Command], bool]]) -> list[Command]:
    """The commands of the script at ``path``: from the cache, else ``read()`` (commands, and whether they may
    be kept)."""
    if not compiler.use_cache:
        return read()[0]
    try:
        source = path.read_bytes()
    except OSError:
        return read()[0]  # reading says why, as it always did
    entry = _entry_path(path, source, compiler, version_name)
    commands = _load(entry)
    if commands is not None:
        return commands
    commands, keep = read()
    if keep:
        payload = pickle.dumps(commands, protocol=pickle.HIGHEST_PROTOCOL)
        write_cache_file(entry, HEADER + sha256_hex(payload).encode("ascii") + b"\n" + payload)
    return commands


def _entry_path(path: Path, source: bytes, compiler: Compiler, version_name: str) -> Path:
    recipe = {"path": str(path.resolve()), "source": sha256_hex(source), "spec": version_name,
              "wabt": compiler.wabt_version, "linmem": __version__, "python": sys.version, "code": code_fingerprint()}
    key = sha256_hex(json.dumps(recipe, sort_keys=True).encode())
    return compiler.cache_dir / "scripts" / key[:2] / f"{key}.pickle"


def _load(entry: Path) -> list[Command] | None:
    try:
        data = entry.read_bytes()
    except OSError:
        return None
    header, _, payload = data.partition(b"\n")
    if header != HEADER + sha256_hex(payload).encode("ascii"):
        return None
    try:
        commands = pickle.loads(payload)
    except Exception:  # noqa: BLE001 - a damaged entry is read again from the script
        return None
    return commands if isinstance(commands, list) else None


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """The size and modification time of every Python file of linmem, as one hash (once per process)."""
    digest = hashlib.sha256()
    for source in sorted(PACKAGE.rglob("*.py")):
        status = source.stat()
        digest.update(f"{source.relative_to(PACKAGE)}:{status.st_size}:{status.st_mtime_ns}\n".encode())
    return digest.hexdigest()
