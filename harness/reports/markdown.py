"""The files x runtimes table in Markdown (``--markdown``), for pull requests."""

from __future__ import annotations

from typing import Sequence

from ..case import Case
from ..model.versions import DEFAULT_VERSION
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


def render_markdown(cases: Sequence[Case], *, interrupted: str | None = None,
                    spec_version: str = DEFAULT_VERSION.value) -> str:
    """The table, the summary, unsupported by reason, then the details of every case that failed.

    A run a signal cut short (``interrupted``: its name) says so in a first line.
    """
    grid = Grid(cases)
    lines = [f"**{interrupted_line(interrupted)}**", ""] if interrupted is not None else []
    lines += ["| file | " + " | ".join(grid.labels) + " |", "| --- |" + " --- |" * len(grid.labels)]
    for row in grid.rows:
        lines.append(f"| `{row}` | " + " | ".join(cell_text(grid.cell(row, label)) for label in grid.labels) + " |")
    lines += ["", summary_line(cases), "", version_line(spec_version)]
    unsupported = unsupported_groups(cases)
    if unsupported:
        lines += [""] + [f"- {line}" for line in unsupported]
    listed, more = listed_problems(cases)
    for case in listed:
        lines += ["", f"**{case.status.value}**: `{title(case)}` on {case.runtime.label}", "", "```"]
        lines += case_detail(case) + ["```"]
    if more:
        lines += ["", f"... and {more} more"]
    return "\n".join(lines) + "\n"
