"""Where linmem finds its own files (``js/``, ``wat/``, ``package.json``) and its cache.

The Node-side programs and the npm manifest live beside the ``harness``
package in the source tree; the cache lives in the per-user cache directory
(``LINMEM_CACHE_DIR`` overrides it) and only ever receives complete files.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
JS_DIR = PROJECT_ROOT / "js"
WAT_DIR = PROJECT_ROOT / "wat"
PACKAGE_JSON = PROJECT_ROOT / "package.json"
PACKAGE_LOCK = PROJECT_ROOT / "package-lock.json"


def cache_root() -> Path:
    """The directory that holds everything linmem generates.

    ``LINMEM_CACHE_DIR`` if set, else ``$XDG_CACHE_HOME/linmem``, else
    ``~/.cache/linmem``.
    """
    explicit = os.environ.get("LINMEM_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "linmem"


def sha256_hex(data: bytes) -> str:
    """The SHA-256 of ``data`` as 64 lowercase hex digits."""
    return hashlib.sha256(data).hexdigest()


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that no reader ever sees a partial file.

    The bytes go to a temporary file in the same directory, are flushed to
    disk, and the file is renamed over ``path`` in one step.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp_name, path)
    except BaseException:
        try:
            os.unlink(temp_name)
        except FileNotFoundError:
            pass
        raise
