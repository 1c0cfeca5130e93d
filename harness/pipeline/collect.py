"""Which files are cases, and of which kind.

A file is a case file by its name: ``*.scenario.toml`` and ``*.scenario.json``
are scenarios, ``*.wast`` are spec scripts, ``*.any.js`` are JS API test files
(testharness.js). A directory is searched, at any
depth, for every kind. A path that does not exist, or a file named on the
command line that is of no kind, is bad input.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

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
    if path.name.endswith(SCENARIO_SUFFIXES):
        return CaseKind.SCENARIO
    if path.name.endswith(WAST_SUFFIX):
        return CaseKind.WAST
    if path.name.endswith(JSAPI_SUFFIX):
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
    """Every case file named by ``paths`` or found below them; raises :class:`InputError` when none."""
    given = [Path(path) for path in paths]
    found: dict[CaseKind, dict[Path, None]] = {kind: {} for kind in CaseKind}
    for entry in given:
        for path, kind in _case_files(entry):
            found[kind][path.resolve()] = None
    files = CaseFiles({kind: sorted(paths_of_kind) for kind, paths_of_kind in found.items()})
    if not len(files):
        raise InputError(f"no {DESCRIPTION} found in " + ", ".join(str(path) for path in given))
    return files


def _case_files(entry: Path) -> list[tuple[Path, CaseKind]]:
    if entry.is_dir():
        below = (path for path in entry.rglob("*") if path.is_file())
        return [(path, kind) for path in below if (kind := kind_of(path)) is not None]
    if not entry.exists():
        raise InputError("no such file or directory", path=entry)
    kind = kind_of(entry)
    if kind is None:
        raise InputError(f"not one of the {DESCRIPTION}", path=entry)
    return [(entry, kind)]
