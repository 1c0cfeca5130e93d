"""The scenario x runtime matrix as a self-contained HTML page and as a Markdown table.

The HTML page needs no network: its style and its filtering script are inline.
Each cell is coloured by status and opens to the differences (or the reason)
behind it; a legend explains the colours; filters hide rows by status or by
name.
"""

from __future__ import annotations

import html
from typing import Sequence

from .terminal import case_detail, display_file
from ..scenarios.suite import CaseResult, summary
from ..runtimes.discovery import Runtime
from ..scenarios.verdict import Status

STATUS_COLOURS = {"pass": "#2e7d32", "fail": "#c62828", "error": "#ef6c00", "unsupported": "#757575"}
LEGEND = {
    "pass": "every step equals the reference model and every expect holds",
    "fail": "a step differs from the reference model or an expect",
    "error": "the runtime crashed, hung or broke the protocol, or the model cannot judge",
    "unsupported": "the runtime lacks a feature the scenario needs (found by probing)",
}


def _grid(cases: Sequence[CaseResult]) -> tuple[list[str], dict[str, dict[str, CaseResult]]]:
    labels = list(dict.fromkeys(f"{c.runtime['name']}-{c.runtime['version']}" for c in cases))
    rows: dict[str, dict[str, CaseResult]] = {}
    for case in cases:
        label = f"{case.runtime['name']}-{case.runtime['version']}"
        rows.setdefault(display_file(case.scenario.path), {})[label] = case
    return labels, rows


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


def _cell(case: CaseResult | None) -> str:
    if case is None:
        return '<td class="cell" style="background:#bbb">-</td>'
    status = case.status.value
    detail = "\n".join(case_detail(case))
    body = html.escape(status)
    if detail:
        body = f"<details><summary>{body}</summary><pre>{html.escape(detail)}</pre></details>"
    return f'<td class="cell status-{status}" style="background:{STATUS_COLOURS[status]}">{body}</td>'


def render_html(cases: Sequence[CaseResult], runtimes: Sequence[Runtime]) -> str:
    """One self-contained HTML page with the matrix, a legend, filters and every difference."""
    labels, rows = _grid(cases)
    counts = summary(cases)
    header = "".join(f"<th>{html.escape(label)}</th>" for label in labels)
    body_rows = []
    for name, by_runtime in rows.items():
        statuses = " ".join(sorted({case.status.value for case in by_runtime.values()}))
        cells = "".join(_cell(by_runtime.get(label)) for label in labels)
        body_rows.append(f'<tr data-name="{html.escape(name)}" data-statuses="{statuses}">'
                         f"<th style=\"text-align:left\">{html.escape(name)}</th>{cells}</tr>")
    legend = "".join(f'<span style="background:{STATUS_COLOURS[s]}">{s}</span>{html.escape(text)}<br>'
                     for s, text in LEGEND.items())
    filters = "".join(f'<label><input type="checkbox" value="{s}" checked> {s}</label> ' for s in STATUS_COLOURS)
    runtime_list = "".join(f"<li>{html.escape(r.describe())}</li>" for r in runtimes)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>linmem matrix</title><style>{STYLE}</style></head>
<body>
<h1>linmem: scenarios x runtimes</h1>
<p id="summary">{html.escape(", ".join(f"{count} {status}" for status, count in counts.items()))}</p>
<ul>{runtime_list}</ul>
<div class="legend">{legend}</div>
<div class="filters">Show: {filters} <input id="name-filter" type="search" placeholder="filter by name"></div>
<table class="matrix"><thead><tr><th>scenario</th>{header}</tr></thead>
<tbody>{''.join(body_rows)}</tbody></table>
<script>{_SCRIPT}</script>
</body></html>
"""


def render_markdown(cases: Sequence[CaseResult]) -> str:
    """The matrix as a Markdown table for pull requests, then the details of every case that did not pass."""
    labels, rows = _grid(cases)
    lines = ["| scenario | " + " | ".join(labels) + " |", "| --- |" + " --- |" * len(labels)]
    for name, by_runtime in rows.items():
        cells = [by_runtime[label].status.value if label in by_runtime else "-" for label in labels]
        lines.append(f"| `{name}` | " + " | ".join(cells) + " |")
    counts = summary(cases)
    lines += ["", "summary: " + ", ".join(f"{count} {status}" for status, count in counts.items())]
    for case in cases:
        if case.status is not Status.PASS:
            label = f"{case.runtime['name']}-{case.runtime['version']}"
            lines += ["", f"**{case.status.value}**: `{display_file(case.scenario.path)}` on {label}", "", "```"]
            lines += [line.strip("\n") for line in case_detail(case)] + ["```"]
    return "\n".join(lines) + "\n"
