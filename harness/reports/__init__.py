"""Reports of a run, one set of writers for every kind of case.

- :mod:`.grid`: what every report shows the same way (files x runtimes, each case's detail)
- :mod:`.terminal`: the table printed at the end of a run
- :mod:`.document`: ``--json``, the scenario contract's shape
- :mod:`.junit`: ``--junit``, a suite per runtime
- :mod:`.html`: ``--html``, one self-contained page with filters
- :mod:`.markdown`: ``--markdown``, the table for pull requests
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from ..case import Case
from ..errors import InputError
from ..interrupts import deferred
from ..resources import mode_for
from ..runtimes.discovery import Runtime
from .document import json_document
from .html import render_html
from .junit import junit_document
from .markdown import render_markdown


@dataclass(frozen=True)
class ReportPaths:
    """Where to write each report file (``None``: not asked for)."""

    json: Path | None = None
    junit: Path | None = None
    html: Path | None = None
    markdown: Path | None = None


def write_reports(cases: Sequence[Case], runtimes: Sequence[Runtime], paths: ReportPaths, *,
                  interrupted: str | None = None) -> None:
    """Write every requested report file: all of them, or (an error, a signal) none changed.

    ``interrupted`` names the signal that cut the run short; every report says so.
    """
    contents: dict[Path, bytes] = {}
    if paths.json is not None:
        document = json_document(cases, runtimes, interrupted=interrupted)
        contents[paths.json] = (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    if paths.junit is not None:
        contents[paths.junit] = junit_document(cases, interrupted=interrupted)
    if paths.html is not None:
        contents[paths.html] = render_html(cases, runtimes, interrupted=interrupted).encode("utf-8")
    if paths.markdown is not None:
        contents[paths.markdown] = render_markdown(cases, interrupted=interrupted).encode("utf-8")
    write_all_atomic(contents)


def write_all_atomic(contents: dict[Path, bytes]) -> None:
    """Write each file of ``contents`` so that either all of them change or none does.

    Every file goes to a temporary file beside it first, and every file it
    replaces gets a second name (a hard link) to come back to; only then are
    they renamed over their paths, with no stop signal let in between
    (:func:`~harness.interrupts.deferred`). If a rename fails, those done are
    undone. A file that cannot be written is an :class:`InputError` naming it.
    """
    temporaries: dict[Path, str] = {}
    backups: dict[Path, str | None] = {}
    try:
        for path, data in contents.items():
            temporaries[path] = _temporary_beside(path, data)
            backups[path] = _second_name(path)
        with deferred():
            _replace_all(temporaries, backups)
    except OSError as error:
        raise InputError(f"cannot write the report: {error.strerror or error}",
                         path=error.filename or next(iter(contents))) from None
    finally:
        for leftover in [*temporaries.values(), *filter(None, backups.values())]:
            try:
                os.unlink(leftover)
            except FileNotFoundError:
                pass


def _replace_all(temporaries: dict[Path, str], backups: dict[Path, str | None]) -> None:
    """Rename each temporary file over its path; on a failure, put back what was replaced."""
    done: list[Path] = []
    try:
        for path, temporary in temporaries.items():
            os.replace(temporary, path)
            done.append(path)
    except OSError:
        for path in done:
            backup = backups[path]
            if backup is None:
                os.unlink(path)
            else:
                os.replace(backup, path)
        raise


def _second_name(path: Path) -> str | None:
    """A hard link to the file at ``path`` beside it (its name), or ``None`` when there is no file there yet."""
    if not os.path.lexists(path):
        return None
    backup = tempfile.mktemp(dir=path.parent, prefix=f".{path.name}.", suffix=".old")
    try:
        os.link(path, backup, follow_symlinks=False)
    except OSError:
        if os.path.isdir(path):
            raise
        shutil.copy2(path, backup, follow_symlinks=False)  # a file system without hard links
    return backup


def _temporary_beside(path: Path, data: bytes) -> str:
    """``data`` in a new temporary file in ``path``'s directory (with the mode ``path`` will have); its name."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
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
