"""Reports of ``.wast`` runs: counts per file and runtime, then every case that did not pass."""

from __future__ import annotations

import collections
from typing import Any, Sequence

from ..wast.on_model import WastCase

STATUSES = ("pass", "fail", "error", "unsupported")


def render_wast(cases: Sequence[WastCase]) -> str:
    """One line per file and runtime with its counts; then the cases that did not pass."""
    files = list(dict.fromkeys(case.file.name for case in cases))
    runtimes = list(dict.fromkeys(case.runtime for case in cases))
    tallies: dict[tuple[str, str], collections.Counter[str]] = collections.defaultdict(collections.Counter)
    for case in cases:
        tallies[(case.file.name, case.runtime)][case.status] += 1
    counts = {(name, runtime): tallies[(name, runtime)] for name in files for runtime in runtimes
              if (name, runtime) in tallies}
    width = max([len("file")] + [len(name) for name, _ in counts])
    runtime_width = max([len("runtime")] + [len(runtime) for runtime in runtimes])
    lines = [f"{'file':<{width}}  {'runtime':<{runtime_width}} " + " ".join(f"{status:>11}" for status in STATUSES)]
    for (name, runtime), counter in counts.items():
        lines.append(f"{name:<{width}}  {runtime:<{runtime_width}} "
                     + " ".join(f"{counter[status]:>11}" for status in STATUSES))
    total = collections.Counter(case.status for case in cases)
    lines += ["", "summary: " + ", ".join(f"{total[status]} {status}" for status in STATUSES)]
    lines += _unsupported_by_reason(cases)
    problems = [case for case in cases if case.status not in ("pass", "unsupported")]
    for case in problems[:200]:
        lines.append(f"{case.status.upper()}: {case.id} {case.command} on {case.runtime}: {case.detail}")
    if len(problems) > 200:
        lines.append(f"... and {len(problems) - 200} more")
    return "\n".join(lines)


def _unsupported_by_reason(cases: Sequence[WastCase], examples: int = 3) -> list[str]:
    """One line per runtime and reason a case could not run there: how many, and where."""
    groups: dict[tuple[str, str], list[WastCase]] = collections.defaultdict(list)
    for case in cases:
        if case.status == "unsupported":
            groups[(case.runtime, case.detail)].append(case)
    lines = []
    for (runtime, reason), members in groups.items():
        where = ", ".join(case.id for case in members[:examples]) + (", ..." if len(members) > examples else "")
        lines.append(f"UNSUPPORTED on {runtime} ({len(members)}): {reason} [{where}]")
    return lines


def wast_document(cases: Sequence[WastCase]) -> dict[str, Any]:
    """The JSON report: one case per command and runtime, ``id`` = ``file.wast:LINE``."""
    return {
        "cases": [{"id": case.id, "file": str(case.file), "command": case.command,
                   "runtime": {"name": case.runtime}, "status": case.status, "detail": case.detail}
                  for case in cases],
        "summary": dict(collections.Counter(case.status for case in cases)),
    }


def wast_junit(cases: Sequence[WastCase]) -> bytes:
    """JUnit XML: a test suite per runtime, a test case per command (``file.wast:LINE``)."""
    import xml.etree.ElementTree as ElementTree

    root = ElementTree.Element("testsuites", name="linmem-wast")
    suites: dict[str, Any] = {}
    for case in cases:
        suite = suites.get(case.runtime)
        if suite is None:
            suite = suites[case.runtime] = ElementTree.SubElement(root, "testsuite", name=case.runtime)
        element = ElementTree.SubElement(suite, "testcase", name=case.id, classname=case.runtime, file=str(case.file))
        if case.status == "fail":
            ElementTree.SubElement(element, "failure", message=case.detail or case.command).text = case.detail
        elif case.status == "error":
            ElementTree.SubElement(element, "error", message=case.detail).text = case.detail
        elif case.status == "unsupported":
            ElementTree.SubElement(element, "skipped", message=case.detail)
    for runtime, suite in suites.items():
        mine = collections.Counter(case.status for case in cases if case.runtime == runtime)
        suite.set("tests", str(sum(mine.values())))
        suite.set("failures", str(mine["fail"]))
        suite.set("errors", str(mine["error"]))
        suite.set("skipped", str(mine["unsupported"]))
    return ElementTree.tostring(root, encoding="utf-8", xml_declaration=True)


def wast_html(cases: Sequence[WastCase]) -> str:
    """A self-contained page: files x runtimes with counts, coloured, and every case that did not pass."""
    import html

    from .matrix import STATUS_COLOURS, STYLE

    runtimes = list(dict.fromkeys(case.runtime for case in cases))
    files = list(dict.fromkeys(case.file.name for case in cases))
    counts: dict[tuple[str, str], collections.Counter[str]] = collections.defaultdict(collections.Counter)
    problems: dict[tuple[str, str], list[WastCase]] = collections.defaultdict(list)
    for case in cases:
        counts[(case.file.name, case.runtime)][case.status] += 1
        if case.status != "pass":
            problems[(case.file.name, case.runtime)].append(case)
    header = "".join(f"<th>{html.escape(runtime)}</th>" for runtime in runtimes)
    rows = []
    for name in files:
        cells = []
        for runtime in runtimes:
            counter = counts.get((name, runtime))
            if not counter:
                cells.append('<td class="cell" style="background:#bbb">-</td>')
                continue
            worst = next(s for s in ("fail", "error", "unsupported", "pass") if counter[s] or s == "pass")
            text = ", ".join(f"{counter[s]} {s}" for s in STATUSES if counter[s])
            listed = problems.get((name, runtime), [])
            if listed:
                details = "\n".join(f"{c.id} {c.command} {c.status}: {c.detail}" for c in listed[:100])
                text = f"<details><summary>{html.escape(text)}</summary><pre>{html.escape(details)}</pre></details>"
            cells.append(f'<td class="cell status-{worst}" style="background:{STATUS_COLOURS[worst]}">{text}</td>')
        rows.append(f'<tr data-name="{html.escape(name)}"><th style="text-align:left">{html.escape(name)}</th>'
                    f'{"".join(cells)}</tr>')
    total = collections.Counter(case.status for case in cases)
    summary = ", ".join(f"{total[s]} {s}" for s in STATUSES)
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>linmem .wast</title>'
            f"<style>{STYLE}</style></head><body><h1>linmem: spec scripts x runtimes</h1>"
            f'<p id="summary">{html.escape(summary)}</p><table class="matrix"><thead><tr><th>script</th>{header}'
            f"</tr></thead><tbody>{''.join(rows)}</tbody></table></body></html>\n")
