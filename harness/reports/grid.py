"""What every report shows the same way: rows of files by columns of runtimes, and each case's detail.

A row is a case file; a column is a runtime (``reference`` and ``wabt``
included). A cell holding one case (a scenario) shows its status; a cell
holding many (a ``.wast`` script's commands) shows the counts per status.
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from pathlib import Path
from typing import Any, Sequence

from ..case import NO_EXPECT, Case, Difference, Status, summary

#: a cell's colour comes from its worst status, in this order
SEVERITY = (Status.FAIL, Status.ERROR, Status.UNSUPPORTED, Status.PASS)
#: how many failing or erring cases a text report lists before it says how many more there are
LISTED_PROBLEMS = 200


def display_file(path: Path) -> str:
    """A path relative to the working directory when it lies below it."""
    try:
        relative = os.path.relpath(path)
    except ValueError:
        return str(path)
    return str(path) if relative.startswith("..") else relative


def title(case: Case) -> str:
    """Where a case comes from, in one line: ``tests/x.wast:42 assert_return``."""
    where = display_file(case.file) + (f":{case.line}" if case.line is not None else "")
    return f"{where} {case.command}" if case.command else where


def compact(value: Any) -> str:
    """An observation as one line of JSON."""
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))


def difference_lines(difference: Difference) -> list[str]:
    """The step, the op and every side of one difference."""
    lines = [f"  step {difference.step} ({difference.op}):",
             f"    observed:  {compact(difference.observed)}",
             f"    reference: {compact(difference.reference)}"]
    if difference.expect is not NO_EXPECT:
        lines.append(f"    expect:    {compact(difference.expect)}")
    return lines


def case_detail(case: Case) -> list[str]:
    """What went wrong in one case, as indented lines: the differences, else the detail."""
    if case.differences:
        return [line for difference in case.differences for line in difference_lines(difference)]
    return [f"  {case.detail}"] if case.detail else []


def interrupted_line(signal_name: str) -> str:
    """What every report says when a signal cut the run short.

    >>> interrupted_line("SIGINT")
    'interrupted by SIGINT: only the cases that finished before it are reported'
    """
    return f"interrupted by {signal_name}: only the cases that finished before it are reported"


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
