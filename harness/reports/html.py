"""The files x runtimes matrix as one self-contained HTML page (``--html``).

The page needs no network: its style and its filtering script are inline.
Each cell is coloured by its worst status and opens to the cases behind it
(each difference, or the reason); a legend explains the colours; filters hide
rows by status or by name, and ``page.html?show=fail,error`` opens filtered.
"""

from __future__ import annotations

import html
from typing import Sequence

from ..case import Case, Status
from ..model.versions import DEFAULT_VERSION
from ..runtimes.discovery import Runtime
from .grid import (
    Grid,
    case_detail,
    cell_text,
    interrupted_line,
    summary_line,
    title,
    version_line,
    worst,
)

#: cases listed inside one cell before it says how many more there are
LISTED_PER_CELL = 100
STATUS_COLOURS = {"pass": "#2e7d32", "fail": "#c62828", "error": "#ef6c00", "unsupported": "#757575"}
EMPTY_COLOUR = "#bbb"
LEGEND = {
    "pass": "the runtime agrees with the reference model (or the script) and every expect holds",
    "fail": "a step or a command differs from the reference model, the script or an expect",
    "error": "the runtime crashed, hung or broke the protocol, or the model cannot judge",
    "unsupported": "the runtime lacks a feature the case needs (found by probing)",
}

STYLE = """
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #222; }
table.matrix { border-collapse: collapse; }
table.matrix th, table.matrix td { border: 1px solid #ccc; padding: 4px 8px; vertical-align: top; }
table.matrix th { background: #f3f3f3; position: sticky; top: 0; }
td.cell { color: white; font-weight: 600; min-width: 7em; }
td.cell details summary { cursor: pointer; }
td.cell pre { color: #222; background: #fff; padding: 4px; white-space: pre-wrap; font-weight: normal; max-width: 40em; }
.legend span { display: inline-block; padding: 2px 8px; margin-right: 8px; color: white; border-radius: 3px; }
.filters { margin: 1em 0; }
"""

_SCRIPT = """
function applyFilters() {
  var text = document.getElementById('name-filter').value.toLowerCase();
  var shown = {};
  document.querySelectorAll('.filters input[type=checkbox]').forEach(function (box) { shown[box.value] = box.checked; });
  document.querySelectorAll('table.matrix tbody tr').forEach(function (row) {
    var statuses = row.getAttribute('data-statuses').split(' ');
    var wanted = statuses.some(function (status) { return shown[status]; });
    var named = row.getAttribute('data-name').toLowerCase().indexOf(text) >= 0;
    row.style.display = wanted && named ? '' : 'none';
  });
}
document.querySelectorAll('.filters input').forEach(function (input) { input.addEventListener('input', applyFilters); });
// matrix.html?show=fail,error opens with only those statuses shown
var requested = new URLSearchParams(window.location.search).get('show');
if (requested) {
  var wanted = requested.split(',');
  document.querySelectorAll('.filters input[type=checkbox]').forEach(function (box) {
    box.checked = wanted.indexOf(box.value) >= 0;
  });
  applyFilters();
}
"""


def _cell(cases: Sequence[Case]) -> str:
    status = worst(cases)
    if status is None:
        return f'<td class="cell" style="background:{EMPTY_COLOUR}">-</td>'
    body = html.escape(cell_text(cases))
    listed = [case for case in cases if case.status is not Status.PASS]
    if listed:
        lines = []
        for case in listed[:LISTED_PER_CELL]:
            lines += [f"{case.status.value}: {title(case)}"] + case_detail(case)
        if len(listed) > LISTED_PER_CELL:
            lines.append(f"... and {len(listed) - LISTED_PER_CELL} more")
        details = html.escape("\n".join(lines))
        body = f"<details><summary>{body}</summary><pre>{details}</pre></details>"
    return f'<td class="cell status-{status.value}" style="background:{STATUS_COLOURS[status.value]}">{body}</td>'


def _rows(grid: Grid) -> str:
    rows = []
    for row in grid.rows:
        cells = [grid.cell(row, label) for label in grid.labels]
        statuses = " ".join(sorted({case.status.value for cases in cells for case in cases}))
        rows.append(f'<tr data-name="{html.escape(row)}" data-statuses="{statuses}">'
                    f'<th style="text-align:left">{html.escape(row)}</th>{"".join(_cell(c) for c in cells)}</tr>')
    return "".join(rows)


def render_html(cases: Sequence[Case], runtimes: Sequence[Runtime], *, interrupted: str | None = None,
                spec_version: str = DEFAULT_VERSION.value) -> str:
    """One self-contained HTML page with the matrix, a legend, filters and every difference.

    A run a signal cut short (``interrupted``: its name) says so above the summary.
    """
    warning = (f'<p id="interrupted"><strong>{html.escape(interrupted_line(interrupted))}</strong></p>'
               if interrupted is not None else "")
    grid = Grid(cases)
    header = "".join(f"<th>{html.escape(label)}</th>" for label in grid.labels)
    legend = "".join(f'<span style="background:{STATUS_COLOURS[s]}">{s}</span>{html.escape(text)}<br>'
                     for s, text in LEGEND.items())
    filters = "".join(f'<label><input type="checkbox" value="{s}" checked> {s}</label> ' for s in STATUS_COLOURS)
    runtime_list = "".join(f"<li>{html.escape(r.describe())}</li>" for r in runtimes)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>linmem matrix</title><style>{STYLE}</style></head>
<body>
<h1>linmem: files x runtimes</h1>
{warning}<p id="summary">{html.escape(summary_line(cases).removeprefix("summary: "))}</p>
<p id="spec-version">{html.escape(version_line(spec_version))}</p>
<ul>{runtime_list}</ul>
<div class="legend">{legend}</div>
<div class="filters">Show: {filters} <input id="name-filter" type="search" placeholder="filter by name"></div>
<table class="matrix"><thead><tr><th>file</th>{header}</tr></thead>
<tbody>{_rows(grid)}</tbody></table>
<script>{_SCRIPT}</script>
</body></html>
"""
