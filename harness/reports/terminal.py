"""The terminal report: runtimes, the files x runtimes table, the summary, then what did not pass."""

from __future__ import annotations

from typing import Sequence

from ..case import Case
from ..model.versions import DEFAULT_VERSION
from ..runtimes.discovery import Runtime
from .grid import (
    Grid,
    case_detail,
    cell_text,
    interrupted_line,
    listed_problems,
    summary_line,
    title,
    unsupported_groups,
    version_line,
)

MIN_COLUMN = 11


def render_runtimes(runtimes: Sequence[Runtime]) -> str:
    """One line per runtime: name, version, engine and engine version, path, and where it came from."""
    return "\n".join(f"runtime: {runtime.describe()}" for runtime in runtimes)


def render_table(cases: Sequence[Case], *, interrupted: str | None = None,
                 spec_version: str = DEFAULT_VERSION.value) -> str:
    """One row per file, one column per runtime; the summary and the spec version that judged;
    unsupported by reason; every problem.

    A run a signal cut short (``interrupted``: its name) says so under the summary.
    """
    grid = Grid(cases)
    texts = {row: [cell_text(grid.cell(row, label)) for label in grid.labels] for row in grid.rows}
    first = max([len("file")] + [len(row) for row in grid.rows])
    widths = [max([len(label), MIN_COLUMN] + [len(texts[row][i]) for row in grid.rows])
              for i, label in enumerate(grid.labels)]
    lines = [_line(["file".ljust(first)] + [label.ljust(w) for label, w in zip(grid.labels, widths)])]
    for row in grid.rows:
        lines.append(_line([row.ljust(first)] + [text.ljust(w) for text, w in zip(texts[row], widths)]))
    lines += ["", summary_line(cases), version_line(spec_version)]
    if interrupted is not None:
        lines.append(interrupted_line(interrupted))
    lines += unsupported_groups(cases)
    listed, more = listed_problems(cases)
    for case in listed:
        lines += ["", f"{case.status.value.upper()}: {title(case)} on {case.runtime.label}"] + case_detail(case)
    if more:
        lines += ["", f"... and {more} more (every case is in --json, --junit and --html)"]
    return "\n".join(lines)


def _line(cells: list[str]) -> str:
    return "  ".join(cells).rstrip()
