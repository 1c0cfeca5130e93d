"""Which files are cases, and of which kind.

A file is a case file by its name: ``*.scenario.toml`` and ``*.scenario.json``
are scenarios, ``*.wast`` are spec scripts, ``*.any.js`` are JS API test files
(testharness.js). A directory is searched, at any
depth, for every kind. A path that does not exist, or a file named on the
command line that is of no kind, is bad input.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

from ..case import CaseKind
from ..errors import InputError
from ..jsapi.testfile import SUFFIX as JSAPI_SUFFIX
from ..scenarios.format import SUFFIXES as SCENARIO_SUFFIXES

WAST_SUFFIX = ".wast"
DESCRIPTION = "scenario files (*.scenario.toml, *.scenario.json), .wast scripts or JS API test files (*.any.js)"


def kind_of(path: Path) -> CaseKind | None:
    """The kind of case file ``path`` names, by its name alone; ``None`` for any other file.

    >>> kind_of(Path("sum.scenario.toml")), kind_of(Path("memory.wast")), kind_of(Path("notes.toml"))
    (<CaseKind.SCENARIO: 'scenario'>, <CaseKind.WAST: 'wast'>, None)
    >>> kind_of(Path("buffer.any.js")), kind_of(Path("assertions.js"))
    (<CaseKind.JSAPI: 'jsapi'>, None)
    """
    return _kind_of_name(path.name)


def _kind_of_name(name: str) -> CaseKind | None:
    if name.endswith(SCENARIO_SUFFIXES):
        return CaseKind.SCENARIO
    if name.endswith(WAST_SUFFIX):
        return CaseKind.WAST
    if name.endswith(JSAPI_SUFFIX):
        return CaseKind.JSAPI
    return None


@dataclass
class CaseFiles:
    """Case files by kind, each list sorted and without duplicates."""

    by_kind: dict[CaseKind, list[Path]] = field(default_factory=lambda: {kind: [] for kind in CaseKind})

    def of(self, kind: CaseKind) -> list[Path]:
        """The files of one kind."""
        return self.by_kind[kind]

    def __len__(self) -> int:
        return sum(len(files) for files in self.by_kind.values())


def collect(paths: Iterable[str | Path]) -> CaseFiles:
    """Every case file named by ``paths`` or found below them; raises :class:`InputError` when none.

    Each file is named by its resolved path (symbolic links followed).
    """
    given = [Path(path) for path in paths]
    found: dict[CaseKind, dict[Path, None]] = {kind: {} for kind in CaseKind}
    for entry in given:
        for path, kind in _case_files(entry):
            found[kind][path] = None
    # sorted as paths sort (part by part), each compared by its parts at C speed
    files = CaseFiles({kind: sorted(paths_of_kind, key=_parts) for kind, paths_of_kind in found.items()})
    if not len(files):
        raise InputError(f"no {DESCRIPTION} found in " + ", ".join(str(path) for path in given))
    return files


def _parts(path: Path) -> tuple[str, ...]:
    return path.parts


def _case_files(entry: Path) -> list[tuple[Path, CaseKind]]:
    """The case files ``entry`` names, resolved: itself, or every one below it."""
    if entry.is_dir():
        return list(_below(str(entry), str(entry.resolve())))
    if not entry.exists():
        raise InputError("no such file or directory", path=entry)
    kind = kind_of(entry)
    if kind is None:
        raise InputError(f"not one of the {DESCRIPTION}", path=entry)
    return [(entry.resolve(), kind)]


def _below(directory: str, resolved: str) -> Iterator[tuple[Path, CaseKind]]:
    """Every case file at any depth below ``directory`` (whose resolved path is ``resolved``), resolved.

    What ``Path.rglob("*")`` gives, filtered by ``is_file()``: symbolic links to
    files are taken (by their target's path), the directories they point to are
    not entered, and a directory that cannot be read is passed over. A file's
    path is resolved from its directory's, which is resolved once.
    """
    try:
        with os.scandir(directory) as listing:
            entries = list(listing)
    except PermissionError:
        return
    for entry in entries:
        try:
            is_directory, is_link = entry.is_dir(), entry.is_symlink()
            is_file = entry.is_file()
        except OSError:
            continue
        if is_directory and not is_link:
            yield from _below(entry.path, os.path.join(resolved, entry.name))
        elif is_file:
            kind = _kind_of_name(entry.name)
            if kind is not None:
                yield Path(os.path.realpath(entry.path) if is_link else os.path.join(resolved, entry.name)), kind
