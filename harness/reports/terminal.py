"""Reports of a scenario run: the terminal table, ``--json`` (the contract's shape) and ``--junit``."""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ElementTree
from pathlib import Path
from typing import Any, Sequence

from ..resources import write_atomic
from ..scenarios.suite import CaseResult, summary
from ..runtimes.discovery import Runtime
from ..scenarios.format import NO_EXPECT
from ..scenarios.verdict import Difference, Status


def _label(runtime: dict[str, str]) -> str:
    return f"{runtime['name']}-{runtime['version']}"


def display_file(path: Path) -> str:
    """A path relative to the working directory when it lies below it."""
    try:
        return os.path.relpath(path) if not os.path.relpath(path).startswith("..") else str(path)
    except ValueError:
        return str(path)


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


def case_detail(case: CaseResult) -> list[str]:
    """What went wrong in one case, as indented lines."""
    if case.status is Status.FAIL:
        return [line for difference in case.verdict.differences for line in difference_lines(difference)]
    if case.verdict.reason:
        return [f"  {case.verdict.reason}"]
    return []


def render_runtimes(runtimes: Sequence[Runtime]) -> str:
    """One line per runtime: name, version, engine and engine version, path, and where it came from."""
    return "\n".join(f"runtime: {runtime.describe()}" for runtime in runtimes)


def render_table(cases: Sequence[CaseResult]) -> str:
    """One row per scenario, one column per runtime; then the details of every non-pass."""
    labels = list(dict.fromkeys(_label(case.runtime) for case in cases))
    rows: dict[str, dict[str, str]] = {}
    for case in cases:
        rows.setdefault(display_file(case.scenario.path), {})[_label(case.runtime)] = case.status.value
    first = max([len("scenario")] + [len(name) for name in rows])
    widths = [max(len(label), 11) for label in labels]
    lines = ["  ".join(["scenario".ljust(first)] + [label.ljust(w) for label, w in zip(labels, widths)]).rstrip()]
    for name, statuses in rows.items():
        cells = [statuses.get(label, "-").ljust(w) for label, w in zip(labels, widths)]
        lines.append("  ".join([name.ljust(first)] + cells).rstrip())
    counts = summary(cases)
    lines.append("")
    lines.append("summary: " + ", ".join(f"{count} {status}" for status, count in counts.items()))
    for case in cases:
        if case.status is not Status.PASS:
            lines += ["", f"{case.status.value.upper()}: {display_file(case.scenario.path)} on {_label(case.runtime)}"]
            lines += case_detail(case)
    return "\n".join(lines)


def case_document(case: CaseResult) -> dict[str, Any]:
    """One ``cases`` entry of the JSON report."""
    entry = {
        "id": case.id,
        "file": display_file(case.scenario.path),
        "runtime": case.runtime,
        "status": case.status.value,
        "observed": _without_runtime(case.observed),
        "reference": case.reference,
        "differences": [difference.as_json() for difference in case.verdict.differences],
    }
    if case.verdict.reason:
        entry["reason"] = case.verdict.reason
    return entry


def _without_runtime(document: dict[str, Any] | None) -> dict[str, Any] | None:
    if document is None:
        return None
    return {"instantiate": document["instantiate"], "steps": document["steps"]}


def json_document(cases: Sequence[CaseResult], runtimes: Sequence[Runtime]) -> dict[str, Any]:
    """The machine-readable report (scenario contract, ``linmem run ... --json FILE``)."""
    return {"runtimes": [{**runtime.as_json(), "engine": runtime.engine, "engine_version": runtime.engine_version}
                         for runtime in runtimes],
            "cases": [case_document(case) for case in cases],
            "summary": summary(cases)}


def junit_document(cases: Sequence[CaseResult]) -> bytes:
    """JUnit XML: a test suite per runtime, a test case per scenario."""
    root = ElementTree.Element("testsuites", name="linmem")
    suites: dict[str, ElementTree.Element] = {}
    for case in cases:
        label = _label(case.runtime)
        suite = suites.get(label)
        if suite is None:
            suite = suites[label] = ElementTree.SubElement(root, "testsuite", name=label)
        element = ElementTree.SubElement(suite, "testcase", name=case.id, classname=label,
                                         file=display_file(case.scenario.path))
        detail = "\n".join(case_detail(case))
        if case.status is Status.FAIL:
            ElementTree.SubElement(element, "failure", message=f"{len(case.verdict.differences)} step(s) differ").text = detail
        elif case.status is Status.ERROR:
            ElementTree.SubElement(element, "error", message=case.verdict.reason).text = detail
        elif case.status is Status.UNSUPPORTED:
            ElementTree.SubElement(element, "skipped", message=case.verdict.reason)
    for label, suite in suites.items():
        mine = [case for case in cases if _label(case.runtime) == label]
        counts = summary(mine)
        suite.set("tests", str(len(mine)))
        suite.set("failures", str(counts["fail"]))
        suite.set("errors", str(counts["error"]))
        suite.set("skipped", str(counts["unsupported"]))
    return ElementTree.tostring(root, encoding="utf-8", xml_declaration=True)


def write_reports(cases: Sequence[CaseResult], runtimes: Sequence[Runtime], *, json_path: Path | None,
                  junit_path: Path | None, html_path: Path | None = None, markdown_path: Path | None = None) -> None:
    """Write the requested report files, each atomically."""
    from .matrix import render_html, render_markdown
    if html_path is not None:
        write_atomic(html_path, render_html(cases, runtimes).encode("utf-8"))
    if markdown_path is not None:
        write_atomic(markdown_path, render_markdown(cases).encode("utf-8"))
    if json_path is not None:
        text = json.dumps(json_document(cases, runtimes), indent=2, ensure_ascii=False) + "\n"
        write_atomic(json_path, text.encode("utf-8"))
    if junit_path is not None:
        write_atomic(junit_path, junit_document(cases))
