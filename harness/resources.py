"""Where linmem finds its own files (``js/``, ``wat/``, ``package.json``) and its cache.

The Node-side programs, the article's modules and the npm manifest live at
the top of the source tree; a built wheel carries copies of them in
``harness/_data/`` (``setup.py`` puts them there). An installed package reads
that copy, an editable install or a checkout the source tree. The cache lives
in the per-user cache directory (``LINMEM_CACHE_DIR`` overrides it) and only
ever receives complete files. Files written for the user honour the umask.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import socket
import stat
import sys
import tempfile
import threading
import time
from pathlib import Path

from .errors import InputError, SetupError

_PACKAGE_DIR = Path(__file__).resolve().parent
#: where a built wheel carries linmem's own files
INSTALLED_DATA_DIR = _PACKAGE_DIR / "_data"
SOURCE_TREE = _PACKAGE_DIR.parent

#: linmem's own files that it needs at run time, relative to :data:`PROJECT_ROOT`; the first is used first
OWN_FILES = (
    "js/identify.js", "js/probe.js", "js/worker.js", "js/bytes.js", "js/driver.js", "js/expressions.js",
    "js/wasi.js", "js/wabt_compile.js", "js/data_memory_index.js",
    "js/wast_driver.js", "js/jsapi_driver.js", "js/deno_entry.mjs", "js/article/common.js", "js/article/demo.js",
    "js/article/sum.js", "wat/demo.wat", "wat/sum.wat", "package.json", "package-lock.json",
)


def own_files_root(installed: Path = INSTALLED_DATA_DIR, source: Path = SOURCE_TREE) -> Path:
    """The directory that holds linmem's own files.

    The installed package's copy when there is one, else the source tree (a
    checkout or an editable install, recognised by its ``pyproject.toml``),
    else the installed package's place for them (an incomplete install, which
    :func:`require_own_files` reports).

    >>> own_files_root(Path("/nowhere/_data"), Path("/nowhere")).as_posix()
    '/nowhere/_data'
    """
    if installed.is_dir() or not (source / "pyproject.toml").is_file():
        return installed
    return source


PROJECT_ROOT = own_files_root()
JS_DIR = PROJECT_ROOT / "js"
WAT_DIR = PROJECT_ROOT / "wat"
PACKAGE_JSON = PROJECT_ROOT / "package.json"
PACKAGE_LOCK = PROJECT_ROOT / "package-lock.json"


def require_own_files(root: Path | None = None) -> None:
    """Raise :class:`SetupError` naming the first of linmem's own files missing from ``root``.

    ``root`` defaults to :data:`PROJECT_ROOT`. Called before the first runtime
    or compiler is started, so that a broken installation is reported as
    such, not as a Node that does not work.
    """
    where = PROJECT_ROOT if root is None else root
    for relative in OWN_FILES:
        if not (where / relative).is_file():
            raise SetupError(f"linmem's own file {relative} is missing from {where}: the installation is "
                             "incomplete; reinstall linmem")


def cache_root() -> Path:
    """The directory that holds everything linmem generates, created if need be.

    ``LINMEM_CACHE_DIR`` if set, else ``$XDG_CACHE_HOME/linmem``, else
    ``~/.cache/linmem``. A directory that cannot be created or written is an
    :class:`InputError` naming ``LINMEM_CACHE_DIR`` (a :class:`SetupError`
    for the default place), checked once per process and directory.
    """
    explicit = os.environ.get("LINMEM_CACHE_DIR")
    if explicit:
        root = Path(explicit)
    else:
        root = Path(os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")) / "linmem"
    if root not in _USABLE_CACHE_ROOTS:
        _check_cache_root(root, explicit=bool(explicit))
        _USABLE_CACHE_ROOTS.add(root)
    return root


_USABLE_CACHE_ROOTS: set[Path] = set()


def _check_cache_root(root: Path, *, explicit: bool) -> None:
    """Create ``root`` and try a file in it; raise a one-line error naming where the path came from."""
    try:
        root.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=root, prefix=".writable-", suffix=".part")
        os.close(fd)
        os.unlink(probe)
    except OSError as error:
        why = "it is not a directory" if isinstance(error, FileExistsError) else \
            f"it cannot be created or written ({error.strerror or error})"
        if explicit:
            raise InputError(f"LINMEM_CACHE_DIR={root} cannot be linmem's cache: {why}") from None
        raise SetupError(f"linmem's cache {root} cannot be used: {why}; set LINMEM_CACHE_DIR to a writable "
                         "directory") from None


def sha256_hex(data: bytes) -> str:
    """The SHA-256 of ``data`` as 64 lowercase hex digits."""
    return hashlib.sha256(data).hexdigest()


_UMASK_LOCK = threading.Lock()


def current_umask() -> int:
    """The process's umask, read from ``/proc/self/status`` where it can be.

    Elsewhere it is set and restored under a lock (``os.umask`` has no
    read-only form).
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    with _UMASK_LOCK:
        mask = os.umask(0o077)
        os.umask(mask)
    return mask


def mode_for(path: Path) -> int:
    """The permission bits a rewrite of ``path`` gets: its own if it exists, else ``0o666`` less the umask."""
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        return 0o666 & ~current_umask()


def write_atomic(path: Path, data: bytes, *, make_parents: bool = True) -> None:
    """Write ``data`` to ``path`` so that no reader ever sees a partial file.

    The bytes go to a temporary file in the same directory, are flushed to
    disk, and the file is renamed over ``path`` in one step. A new file gets
    the mode an ordinary ``open`` would give it (``0o666`` less the umask); a
    file that already exists keeps its mode. The directory is created first
    unless ``make_parents`` is false.
    """
    if make_parents:
        path.parent.mkdir(parents=True, exist_ok=True)
    temporary = temporary_beside(path, data)
    try:
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except FileNotFoundError:  # replaced after all: an interruption came just after
            pass
        raise


#: set once a cache write failed: the warning is said once per process
_CACHE_WRITE_FAILED = threading.Event()


def write_cache_file(path: Path, data: bytes) -> bool:
    """Keep ``data`` at ``path`` in the cache, whole or not at all; ``False`` if the disk refused it.

    A cache only saves work: a full disk, a file size limit or a read-only
    file system (any :class:`OSError`) costs the entry, not the run. The first
    failure says so once on stderr; nothing half-written is left
    (:func:`write_atomic`).
    """
    try:
        write_atomic(path, data)
        return True
    except OSError as problem:
        if not _CACHE_WRITE_FAILED.is_set():
            _CACHE_WRITE_FAILED.set()
            print(f"linmem: warning: cannot write to the cache in {path.parent} ({problem.strerror or problem}); "
                  "going on without it", file=sys.stderr, flush=True)
        return False


def temporary_beside(path: Path, data: bytes, *, suffix: str = ".part") -> str:
    """``data``, flushed to disk, in a new temporary file in ``path``'s directory with the mode ``path`` will have.

    Returns its name; renaming it over ``path`` is the caller's step.
    """
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=suffix)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, mode_for(path))  # mkstemp made it 0o600
    except BaseException:
        os.unlink(temporary)
        raise
    return temporary


_STAGING_OWNER = re.compile(r"pid(?P<pid>\d+)@(?P<host>[^-]*)-")


def _host() -> str:
    return re.sub(r"[^A-Za-z0-9_.]", "_", socket.gethostname()) or "host"


def staging_dir(parent: Path, prefix: str) -> Path:
    """A new, empty staging directory in ``parent`` whose name says which process on which host owns it.

    :func:`remove_stale_staging` reads that to tell a live install from one a killed run left behind.
    """
    parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(dir=parent, prefix=f"{prefix}pid{os.getpid()}@{_host()}-"))


def remove_stale_staging(parent: Path, prefix: str, max_age: float) -> list[Path]:
    """Remove the staging directories ``prefix*`` in ``parent`` that no live install owns; return them.

    One is stale when its owner (a process on this host) is gone, or when it
    is older than ``max_age`` seconds (longer than any install may take, so
    also its owner's, whatever host or pid namespace that ran in). A
    directory of a process still installing (a parallel test worker, say) is
    never touched.
    """
    removed = []
    for candidate in sorted(parent.glob(f"{prefix}*")):
        try:
            age = time.time() - candidate.lstat().st_mtime
        except FileNotFoundError:
            continue  # its owner finished meanwhile
        owner = _STAGING_OWNER.search(candidate.name[len(prefix):])
        gone = owner is not None and owner["host"] == _host() and not _process_exists(int(owner["pid"]))
        if candidate.is_dir() and (gone or age > max_age):
            shutil.rmtree(candidate, ignore_errors=True)
            removed.append(candidate)
    return removed


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True
