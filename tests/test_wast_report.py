"""Reports of .wast runs: the terminal counts, JUnit per runtime, and a self-contained HTML page."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from pathlib import Path

from harness.wast_report import render_wast, wast_document, wast_html, wast_junit
from harness.wast_runner import WastCase

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
