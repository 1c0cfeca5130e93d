"""The files x runtimes table in Markdown (``--markdown``), for pull requests."""

from __future__ import annotations

from typing import Sequence

from ..case import Case
from .grid import (
    LISTED_PROBLEMS,
    Grid,
    case_detail,
    cell_text,
    problems,
    summary_line,
    title,
    unsupported_groups,
)


def render_markdown(cases: Sequence[Case]) -> str:
    """The table, the summary, unsupported by reason, then the details of every case that failed."""
    grid = Grid(cases)
    lines = ["| file | " + " | ".join(grid.labels) + " |", "| --- |" + " --- |" * len(grid.labels)]
    for row in grid.rows:
        lines.append(f"| `{row}` | " + " | ".join(cell_text(grid.cell(row, label)) for label in grid.labels) + " |")
    lines += ["", summary_line(cases)]
    unsupported = unsupported_groups(cases)
    if unsupported:
        lines += [""] + [f"- {line}" for line in unsupported]
    listed = problems(cases)
    for case in listed[:LISTED_PROBLEMS]:
        lines += ["", f"**{case.status.value}**: `{title(case)}` on {case.runtime.label}", "", "```"]
        lines += case_detail(case) + ["```"]
    if len(listed) > LISTED_PROBLEMS:
        lines += ["", f"... and {len(listed) - LISTED_PROBLEMS} more"]
    return "\n".join(lines) + "\n"
