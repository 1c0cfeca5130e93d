"""What every report shows the same way: rows of files by columns of runtimes, and each case's detail.

A row is a case file; a column is a runtime (``reference`` and ``wabt``
included). A cell holding one case (a scenario) shows its status; a cell
holding many (a ``.wast`` script's commands, a JS API file's subtests) shows the counts per status.
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from functools import lru_cache
from pathlib import Path
from typing import Any, Sequence

from ..case import NO_EXPECT, Case, CaseKind, Difference, Status, summary
from ..values.compare import same_value
from ..values.elements import (
    WINDOW,
    Elements,
    first_difference_in_values,
    first_difference_index,
)

#: a cell's colour comes from its worst status, in this order
SEVERITY = (Status.FAIL, Status.ERROR, Status.UNSUPPORTED, Status.PASS)
#: how many failing or erring cases a text report lists before it says how many more there are
LISTED_PROBLEMS = 200
#: the most characters one side of a difference takes in a text report
COMPACT_LIMIT = 2000


def display_file(path: Path) -> str:
    """A path relative to the working directory when it lies below it."""
    return _display_file(path, os.getcwd())


@lru_cache(maxsize=4096)
def _display_file(path: Path, working_directory: str) -> str:
    """:func:`display_file` once per file and working directory (a report shows each file on thousands of rows)."""
    directory, name = os.path.split(str(path))
    try:
        # a file's relative path is its directory's (worked out once per directory) and its name; a directory
        # above the working directory other than its parent holds nothing below it (relpath would say ../)
        relative = os.pardir if name in ("", os.curdir, os.pardir) \
            else _relative_directory(directory or os.curdir, working_directory)
        if relative == os.pardir:
            relative = os.path.relpath(path, working_directory)
        elif relative.startswith(os.pardir):
            return str(path)
        elif relative == os.curdir:
            relative = name
        else:
            relative = os.path.join(relative, name)
    except ValueError:
        return str(path)
    return str(path) if relative.startswith("..") else relative


@lru_cache(maxsize=1024)
def _relative_directory(directory: str, working_directory: str) -> str:
    return os.path.relpath(directory, working_directory)


def title(case: Case) -> str:
    """Where a case comes from, in one line: ``tests/x.wast:42 assert_return``, ``js-api/b.any.js: Zero-sized``."""
    if case.kind is CaseKind.JSAPI:  # the id names the subtest after the file's name
        return display_file(case.file) + case.id[len(case.file.name):]
    where = display_file(case.file) + (f":{case.line}" if case.line is not None else "")
    return f"{where} {case.command}" if case.command else where


def compact(value: Any) -> str:
    """An observation as one line of JSON, at most :data:`COMPACT_LIMIT` characters; a large read as its summary."""
    if isinstance(value, Elements):
        return _summary_text(value)
    text = json.dumps(value, ensure_ascii=False, separators=(", ", ": "), default=_summary_text)
    if len(text) <= COMPACT_LIMIT:
        return text
    return f"{text[:COMPACT_LIMIT]}... ({len(text):,} characters)"


def _summary_text(value: Any) -> str:
    if isinstance(value, Elements):
        return f"<{value.view} of {value.length:,} values, sha256 {value.sha256()}>"
    raise TypeError(f"{type(value).__name__} is not JSON")


def _sequence(value: Any) -> Elements | list[Any] | None:
    """The values a side of a difference holds: a read's, or a held read's ``values``."""
    if isinstance(value, dict) and isinstance(value.get("values"), (Elements, list)):
        value = value["values"]
    return value if isinstance(value, (Elements, list)) else None


def _first_index(left: Elements | list[Any], right: Elements | list[Any]) -> int | None:
    if isinstance(left, Elements) and isinstance(right, Elements):
        return first_difference_index(left, right)
    def values(side: Elements | list[Any], other: Elements | list[Any]) -> list[Any]:
        return side.values(0, len(other) + 1) if isinstance(side, Elements) and isinstance(other, list) else list(
            side.values() if isinstance(side, Elements) else side)
    return first_difference_in_values(values(left, right), values(right, left), same_value)


def difference_window(difference: Difference) -> dict[str, Any] | None:
    """Where a long read first differs, and :data:`WINDOW` values around it on each side; ``None`` for short ones.

    Observed against the reference; against the ``expect`` when the reference agrees or is missing.
    """
    sides = {"observed": _sequence(difference.observed), "reference": _sequence(difference.reference)}
    if difference.expect is not NO_EXPECT:
        sides["expect"] = _sequence(difference.expect)
    known = {name: side for name, side in sides.items() if side is not None}
    longest = max((side.length if isinstance(side, Elements) else len(side) for side in known.values()), default=0)
    if "observed" not in known or longest <= 2 * WINDOW + 1:
        return None
    index = None
    for other in ("reference", "expect"):
        if other in known:
            index = _first_index(known["observed"], known[other])
            if index is not None:
                break
    if index is None:
        return None
    start, stop = max(0, index - WINDOW), index + WINDOW + 1
    window: dict[str, Any] = {"index": index, "start": start}
    for name, side in known.items():
        window[name] = side.values(start, stop) if isinstance(side, Elements) else side[start:stop]
    return window


def difference_lines(difference: Difference) -> list[str]:
    """The step, the op and every side of one difference; for a long read, where it first differs and around it."""
    lines = [f"  step {difference.step} ({difference.op}):",
             f"    observed:  {compact(difference.observed)}",
             f"    reference: {compact(difference.reference)}"]
    if difference.expect is not NO_EXPECT:
        lines.append(f"    expect:    {compact(difference.expect)}")
    window = difference_window(difference)
    if window is not None:
        lines.append(f"    first difference at [{window['index']:,}]; values from [{window['start']:,}]:")
        lines += [f"      {name + ':':<10} {compact(window[name])}" for name in ("observed", "reference", "expect")
                  if name in window]
    return lines


def case_detail(case: Case) -> list[str]:
    """What went wrong in one case, as indented lines: the detail (why), then the differences."""
    detail = [f"  {case.detail}"] if case.detail else []
    return detail + [line for difference in case.differences for line in difference_lines(difference)]


def interrupted_line(signal_name: str) -> str:
    """What every report says when a signal cut the run short.

    >>> interrupted_line("SIGINT")
    'interrupted by SIGINT: only the cases that finished before it are reported'
    """
    return f"interrupted by {signal_name}: only the cases that finished before it are reported"


def version_line(spec_version: str) -> str:
    """What every report says about which specification judged (``linmem run --spec-version``).

    >>> version_line("2.0")
    'judged by the WebAssembly 2.0 rules (--spec-version)'
    """
    return f"judged by the WebAssembly {spec_version} rules (--spec-version)"


def summary_line(cases: Sequence[Case]) -> str:
    """``summary: 3 pass, 1 fail, 0 error, 0 unsupported``."""
    return "summary: " + ", ".join(f"{count} {status}" for status, count in summary(cases).items())


class Grid:
    """Cases arranged as rows (files, sorted by path) by columns (runtimes, in order of appearance)."""

    def __init__(self, cases: Sequence[Case]) -> None:
        self.labels: list[str] = list(dict.fromkeys(case.runtime.label for case in cases))
        self.cells: dict[str, dict[str, list[Case]]] = defaultdict(lambda: defaultdict(list))
        for case in cases:
            self.cells[display_file(case.file)][case.runtime.label].append(case)

    @property
    def rows(self) -> list[str]:
        """The files, sorted by path."""
        return sorted(self.cells)

    def cell(self, row: str, label: str) -> list[Case]:
        """The cases of one file on one runtime (none when it did not run there)."""
        return self.cells[row].get(label, [])


def cell_text(cases: Sequence[Case]) -> str:
    """``pass`` for one case; ``257 pass, 2 unsupported`` for many; ``-`` for none."""
    if not cases:
        return "-"
    if len(cases) == 1:
        return cases[0].status.value
    return ", ".join(f"{count} {status}" for status, count in summary(cases).items() if count)


def worst(cases: Sequence[Case]) -> Status | None:
    """The status a cell is coloured by; ``None`` for an empty cell."""
    present = {case.status for case in cases}
    return next((status for status in SEVERITY if status in present), None)


def unsupported_groups(cases: Sequence[Case], examples: int = 3) -> list[str]:
    """One line per runtime and reason cases could not run there: how many, and where."""
    groups: dict[tuple[str, str], list[Case]] = defaultdict(list)
    for case in cases:
        if case.status is Status.UNSUPPORTED:
            groups[(case.runtime.label, case.detail)].append(case)
    lines = []
    for (label, reason), members in groups.items():
        where = ", ".join(case.id for case in members[:examples]) + (", ..." if len(members) > examples else "")
        lines.append(f"UNSUPPORTED on {label} ({len(members)}): {reason} [{where}]")
    return lines


def problems(cases: Sequence[Case]) -> list[Case]:
    """The cases that make a run fail: ``fail`` and ``error``."""
    return [case for case in cases if not case.passed]


def listed_problems(cases: Sequence[Case]) -> tuple[list[Case], int]:
    """The problems a text report lists in full, and how many more there are."""
    found = problems(cases)
    return found[:LISTED_PROBLEMS], max(0, len(found) - LISTED_PROBLEMS)
