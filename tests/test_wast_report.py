"""Reports of .wast runs: the terminal counts, JUnit per runtime, and a self-contained HTML page."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from pathlib import Path

from harness.reports.wast import render_wast, wast_document, wast_html, wast_junit
from harness.wast.on_model import WastCase

FILE = Path("x.wast")
CASES = [WastCase(FILE, 2, "module", "reference", "pass"),
         WastCase(FILE, 3, "assert_return", "reference", "fail", "results [0x2] do not match the expectation"),
         WastCase(FILE, 2, "module", "bun-1.4.5", "pass"),
         WastCase(FILE, 3, "assert_return", "bun-1.4.5", "unsupported", "bun-1.4.5 lacks something")]


def test_terminal_counts_per_file_and_runtime_then_problems() -> None:
    lines = render_wast(CASES).splitlines()
    assert lines[1].split() == ["x.wast", "reference", "1", "1", "0", "0"]
    assert lines[2].split() == ["x.wast", "bun-1.4.5", "1", "0", "0", "1"]
    assert lines[-1] == "FAIL: x.wast:3 assert_return on reference: results [0x2] do not match the expectation"
    assert lines[-2] == "UNSUPPORTED on bun-1.4.5 (1): bun-1.4.5 lacks something [x.wast:3]"


def test_unsupported_cases_are_grouped_by_runtime_and_reason() -> None:
    cases = [WastCase(FILE, line, "assert_return", "node-14.19.3", "unsupported", "lacks BigInt") for line in range(5)]
    cases.append(WastCase(FILE, 9, "assert_invalid", "node-22.20.0", "unsupported", "implements multi_memory"))
    lines = render_wast(cases).splitlines()
    assert lines[0].split()[:2] == ["file", "runtime"] and len(lines[1]) == len(lines[2])  # aligned columns
    assert "UNSUPPORTED on node-14.19.3 (5): lacks BigInt [x.wast:0, x.wast:1, x.wast:2, ...]" in lines
    assert "UNSUPPORTED on node-22.20.0 (1): implements multi_memory [x.wast:9]" in lines


def test_json_has_one_case_per_command_and_runtime() -> None:
    document = wast_document(CASES)
    assert [(c["id"], c["runtime"]["name"], c["status"]) for c in document["cases"]][1] == \
        ("x.wast:3", "reference", "fail")
    assert document["summary"] == {"pass": 2, "fail": 1, "unsupported": 1}


def test_junit_has_a_suite_per_runtime() -> None:
    root = ElementTree.fromstring(wast_junit(CASES))
    suites = {suite.get("name"): suite for suite in root.findall("testsuite")}
    assert (suites["reference"].get("failures"), suites["bun-1.4.5"].get("skipped")) == ("1", "1")


def test_html_is_self_contained_with_counts_and_details() -> None:
    page = wast_html(CASES)
    assert "<th>reference</th><th>bun-1.4.5</th>" in page and "1 pass, 1 fail" in page
    assert "results [0x2] do not match" in page and "http" not in page
