"""Files linmem writes for its user: reports (``--json``, ``--junit``, ...) and ``compile -o``.

Each path is checked before the work starts (:func:`check_output_path`), so
a long run never ends in a report path that cannot be written. A regular
file (or a new one) is written through a temporary file and ``os.replace``,
so no reader sees half a report; anything else that already exists (a
character device such as ``/dev/stdout`` or ``/dev/full``, a FIFO) is
written in place, as a shell's ``>`` would, and never replaced. A directory,
a block device or a socket is refused. Every failure, early or at write
time, is an :class:`OutputPathError` naming the path, never a traceback.
"""

from __future__ import annotations

import errno
import os
import stat
import sys
import tempfile
from pathlib import Path

from .errors import OutputPathError
from .resources import write_atomic


def _fail(path: Path, option: str, why: str) -> OutputPathError:
    return OutputPathError(f"cannot write {option} here: {why}", path=path)


def _reason(error: OSError) -> str:
    return error.strerror or str(error)


def check_output_path(path: Path, option: str) -> None:
    """Raise :class:`OutputPathError` unless ``option``'s file can be written at ``path``.

    The parent must be an existing directory that accepts a new file (tried
    with a temporary file, removed at once, which is honest even for root),
    and ``path`` must not be a directory, a block device or a socket.
    """
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        mode = None
    except NotADirectoryError:
        raise _fail(path, option, f"{_first_non_directory(path)} is not a directory") from None
    except OSError as error:
        raise _fail(path, option, _reason(error)) from None
    if mode is None or stat.S_ISREG(mode):
        _check_directory_accepts_files(path, option)
        return
    refused = _refused_kind(mode)
    if refused:
        raise _fail(path, option, f"it is {refused}")
    if not os.access(path, os.W_OK):
        raise _fail(path, option, "permission denied")


def _refused_kind(mode: int) -> str:
    """What an existing non-regular file is, when linmem does not write to it (empty when it does)."""
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return ""


def _first_non_directory(path: Path) -> Path:
    """The first ancestor of ``path`` that exists and is not a directory (``/etc/passwd`` of ``/etc/passwd/x``)."""
    for ancestor in reversed(path.absolute().parents):
        if ancestor.exists() and not ancestor.is_dir():
            return ancestor
    return path.parent


def _check_directory_accepts_files(path: Path, option: str) -> None:
    directory = Path(os.path.realpath(path)).parent
    if not directory.is_dir():
        raise _fail(path, option, f"the directory {directory} does not exist")
    try:
        fd, probe = tempfile.mkstemp(dir=directory, prefix=f".{path.name}.", suffix=".probe")
    except OSError as error:
        raise _fail(path, option, f"the directory {directory} does not accept new files ({_reason(error)})") from None
    os.close(fd)
    os.unlink(probe)


def write_output(path: Path, data: bytes, option: str) -> None:
    """Write ``data`` as ``option``'s file at ``path``; raise :class:`OutputPathError` if that fails.

    A regular file is replaced atomically (through the symlink, if ``path``
    is one, so the link stays); ``path`` naming linmem's own standard output
    or error appends there; another existing file (a device, a FIFO) is
    written in place.
    """
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        mode = None
    except OSError as error:
        raise _fail(path, option, _reason(error)) from None
    try:
        if mode is None or stat.S_ISREG(mode) and not _is_own_stream(path):
            _check_directory_accepts_files(path, option)
            write_atomic(Path(os.path.realpath(path)), data, make_parents=False)
        elif _refused_kind(mode):
            raise _fail(path, option, f"it is {_refused_kind(mode)}")
        else:
            _write_in_place(path, data)
    except OSError as error:
        raise _fail(path, option, _reason(error)) from None


def _is_own_stream(path: Path) -> bool:
    """Whether ``path`` is this process's stdout or stderr (``/dev/stdout`` redirected to a file)."""
    if os.path.lexists(path) and not os.path.islink(path):
        return False  # a regular file named as such is replaced like any other
    for stream in (sys.stdout, sys.stderr):
        try:
            if os.path.samestat(os.stat(path), os.fstat(stream.fileno())):
                return True
        except (OSError, ValueError, AttributeError):
            continue
    return False


def _write_in_place(path: Path, data: bytes) -> None:
    """Write to an existing device, FIFO or stream without creating, truncating or replacing anything."""
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    fd = os.open(path, os.O_WRONLY | os.O_APPEND if _is_own_stream(path) else os.O_WRONLY)
    try:
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            if written == 0:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            view = view[written:]
    finally:
        os.close(fd)
