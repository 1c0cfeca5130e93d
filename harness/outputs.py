"""Files linmem writes for its user: reports (``--json``, ``--junit``, ...) and ``compile -o``.

Each path is checked before the work starts (:func:`check_output_path`), so
a long run never ends in a report path that cannot be written. A regular
file (or a new one) is written through a temporary file and ``os.replace``,
so no reader sees half a report; anything else that already exists (a
character device such as ``/dev/stdout`` or ``/dev/full``, a FIFO) is
written in place, as a shell's ``>`` would, and never replaced. A directory,
a block device or a socket is refused. A set of files (a run's reports) is
written all together or not at all (:func:`write_outputs`). Every failure, early or at write
time, is an :class:`OutputPathError` naming the path, never a traceback.
"""

from __future__ import annotations

import errno
import os
import shutil
import stat
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence, TypeVar

from .errors import OutputPathError
from .interrupts import deferred
from .resources import temporary_beside

T = TypeVar("T")


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
    """Raise unless ``path``'s directory exists and takes a new file (tried with a probe file, removed at once)."""
    _require_directory(path, option)
    os.unlink(_new_file_beside(path, option, b"", ".probe"))


def _require_directory(path: Path, option: str) -> Path:
    """The directory ``path`` (through any symlink) goes into; raise if it does not exist."""
    directory = Path(os.path.realpath(path)).parent
    if not directory.is_dir():
        raise _fail(path, option, f"the directory {directory} does not exist")
    return directory


def _new_file_beside(path: Path, option: str, data: bytes, suffix: str) -> str:
    """A new file holding ``data`` in ``path``'s directory, with the mode ``path`` will have; its name."""
    target = Path(os.path.realpath(path))
    try:
        return temporary_beside(target, data, suffix=suffix)
    except OSError as error:
        raise _fail(path, option, f"the directory {target.parent} does not accept new files "
                                  f"({_reason(error)})") from None


def write_output(path: Path, data: bytes, option: str) -> None:
    """Write ``data`` as ``option``'s file at ``path``; raise :class:`OutputPathError` if that fails.

    A regular file is replaced atomically (through the symlink, if ``path``
    is one, so the link stays); ``path`` naming linmem's own standard output
    or error appends there; another existing file (a device, a FIFO) is
    written in place.
    """
    write_outputs([(path, data, option)])


def write_outputs(outputs: Sequence[tuple[Path, bytes, str]]) -> None:
    """Write each ``(path, data, option)``: every file changes, or (an error, a stop signal) none does.

    Files are first written beside their paths under temporary names; devices,
    FIFOs and streams (which cannot be replaced, only written) are written
    next; only then are the temporary files renamed over their paths, with no
    stop signal let in between (:func:`~harness.interrupts.deferred`). If a
    rename fails, the files already replaced are put back. Every failure is an
    :class:`OutputPathError` naming the path and its option.
    """
    staged: list[_Staged] = []
    try:
        in_place = []
        for path, data, option in outputs:
            kind = _kind_of(path, option)
            if kind == "in place":
                in_place.append((path, data, option))
            else:
                _require_directory(path, option)
                staged.append(_Staged.beside(path, data, option))  # its temporary file is the directory's probe
        for path, data, option in in_place:
            _guarded(option, path, lambda: _write_in_place(path, data))
        with deferred():
            _replace_all(staged)
    finally:
        for entry in staged:
            entry.discard()


def _kind_of(path: Path, option: str) -> str:
    """``"replace"`` for a regular or new file, ``"in place"`` for a device, FIFO or own stream; refuse the rest."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return "replace"
    except OSError as error:
        raise _fail(path, option, _reason(error)) from None
    if stat.S_ISREG(mode) and not _is_own_stream(path):
        return "replace"
    if _refused_kind(mode):
        raise _fail(path, option, f"it is {_refused_kind(mode)}")
    return "in place"


def _guarded(option: str, path: Path, action: Callable[[], T]) -> T:
    try:
        return action()
    except OSError as error:
        raise _fail(path, option, _reason(error)) from None


@dataclass
class _Staged:
    """A report's bytes in a temporary file beside its target, and a second name of the file it replaces."""

    target: Path
    option: str
    temporary: str
    backup: str | None = None

    @classmethod
    def beside(cls, path: Path, data: bytes, option: str) -> "_Staged":
        target = Path(os.path.realpath(path))  # through a symlink: the link stays, its target is replaced
        temporary = _new_file_beside(path, option, data, ".part")
        staged = cls(target, option, temporary)
        staged.backup = _guarded(option, path, lambda: _second_name(target))
        return staged

    def discard(self) -> None:
        for leftover in filter(None, (self.temporary, self.backup)):
            try:
                os.unlink(leftover)
            except FileNotFoundError:
                pass


def _replace_all(staged: Sequence[_Staged]) -> None:
    """Rename each temporary file over its target; on a failure, put back what was replaced."""
    done: list[_Staged] = []
    for entry in staged:
        try:
            os.replace(entry.temporary, entry.target)
        except OSError as error:
            for replaced in done:
                if replaced.backup is None:
                    os.unlink(replaced.target)
                else:
                    os.replace(replaced.backup, replaced.target)
            raise _fail(entry.target, entry.option, _reason(error)) from None
        done.append(entry)


def _second_name(path: Path) -> str | None:
    """A hard link to the file at ``path`` beside it (or a copy), or ``None`` when there is no file there yet."""
    if not os.path.lexists(path):
        return None
    backup = tempfile.mktemp(dir=path.parent, prefix=f".{path.name}.", suffix=".old")
    try:
        os.link(path, backup, follow_symlinks=False)
    except OSError:
        shutil.copy2(path, backup, follow_symlinks=False)  # a file system without hard links
    return backup


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
