"""One set of report writers for every kind of case: a run mixing scenarios and .wast scripts.

The run is real (the default Node, the reference model, wabt): a passing and a
deliberately failing scenario, our passing memory script and the fixture
script whose expectations are wrong. Every expected value below is read off
the fixture files by hand, not off the code under test.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest

from harness.case import REFERENCE, Case, CaseKind, RuntimeId, Status, summary
from harness.compiler.wabt import Compiler
from harness.errors import InputError
from harness.reports import ReportPaths, write_reports
from harness.reports.document import json_document
from harness.reports.junit import junit_document
from harness.reports.markdown import render_markdown
from harness.reports.terminal import render_table
from harness.runtimes.discovery import Runtime
from tests.conftest import write_file
from tests.oracle import run_paths

TESTS = Path(__file__).parent
SCENARIOS = TESTS / "scenarios"


#: the exact counts below are those of a runtime that runs every command of both scripts
def needs_full_2_0(test):
    """i64 calls (memory.wast) and externref (wrong.wast) on the runtime under test."""
    return pytest.mark.needs_feature("bigint_i64")(pytest.mark.needs_feature("reference_types")(test))


@pytest.fixture(scope="module")
def mixed(compiler: Compiler, node_runtime: Runtime, tmp_path_factory: pytest.TempPathFactory) -> list[Case]:
    directory = tmp_path_factory.mktemp("mixed")
    sum_wat = (TESTS.parent / "wat" / "sum.wat").resolve()
    failing = (SCENARIOS / "article" / "sum.scenario.toml").read_text().replace(
        "../../../wat/sum.wat", str(sum_wat)).replace("expect = [7, 4, 11]", "expect = [7, 4, 99]")
    write_file(directory, "failing.scenario.toml", failing)
    (directory / "scripts").mkdir()
    for script in (TESTS / "wast" / "memory.wast", TESTS / "fixtures" / "wast" / "wrong.wast"):
        (directory / "scripts" / script.name).write_bytes(script.read_bytes())
    return run_paths([SCENARIOS / "article" / "sum.scenario.toml", directory], compiler, [node_runtime])


@needs_full_2_0
def test_one_table_holds_both_kinds_with_a_column_per_runtime(mixed: list[Case], node_runtime: Runtime) -> None:
    table = render_table(mixed)
    header, *rows = table.splitlines()
    assert header.split() == ["file", "reference", "wabt", node_runtime.label()]
    cells = {row.split()[0]: row.split()[1:] for row in rows[:4]}
    assert cells["tests/scenarios/article/sum.scenario.toml"] == ["-", "-", "pass"]
    assert [name for name in cells if name.endswith("failing.scenario.toml")]
    memory = next(value for name, value in cells.items() if name.endswith("memory.wast"))
    # tests/wast/memory.wast: 22 commands, one of them malformed text (judged by wabt alone)
    assert memory == ["21", "pass", "pass", "21", "pass"]
    assert "  step 4 (read):\n    observed:  [7, 4, 11]\n    reference: [7, 4, 11]\n    expect:    [7, 4, 99]" in table
    assert "wrong.wast:3 assert_return on reference\n  results [0x2] do not match the expectation" in table


@needs_full_2_0
def test_the_summary_counts_every_case_of_every_kind(mixed: list[Case]) -> None:
    counts = summary(mixed)
    kinds = {case.kind for case in mixed}
    assert kinds == {CaseKind.SCENARIO, CaseKind.WAST}
    # wrong.wast: lines 3, 4, 7, 9, 10 fail on the model and the runtime; line 5 (malformed text) on wabt
    assert counts["fail"] == 1 + 5 + 1 + 5


@needs_full_2_0
def test_json_has_the_contracts_shape_for_both_kinds(mixed: list[Case], node_runtime: Runtime) -> None:
    document = json_document(mixed, [node_runtime])
    assert document["runtimes"] == [{**node_runtime.as_json(), "engine": node_runtime.engine,
                                     "engine_version": node_runtime.engine_version}]
    by_key = {(case["id"], case["runtime"]["name"]): case for case in document["cases"]}
    passing = by_key[("sum.scenario.toml", node_runtime.name)]
    assert passing["file"] == "tests/scenarios/article/sum.scenario.toml" and passing["kind"] == "scenario"
    assert passing["observed"] == {"instantiate": None, "steps": [None, [7, 4, 0], None, [7, 4, 11]]}
    assert by_key[("failing.scenario.toml", node_runtime.name)]["differences"] == [
        {"step": 4, "op": "read", "observed": [7, 4, 11], "reference": [7, 4, 11], "expect": [7, 4, 99]}]
    command = by_key[("wrong.wast:7", "reference")]
    assert (command["kind"], command["line"], command["command"], command["status"]) == \
        ("wast", 7, "assert_return", "fail")
    assert command["runtime"] == {"name": "reference", "version": ""}
    assert document["summary"] == summary(mixed)


@needs_full_2_0
def test_junit_has_a_suite_per_runtime_and_a_case_per_case(mixed: list[Case], node_runtime: Runtime) -> None:
    root = ElementTree.fromstring(junit_document(mixed))
    suites = {suite.get("name"): suite for suite in root.findall("testsuite")}
    assert set(suites) == {"reference", "wabt", node_runtime.label()}
    runtime_suite = suites[node_runtime.label()]
    failing = [case.get("name") for case in runtime_suite.findall("testcase") if case.find("failure") is not None]
    assert failing == ["failing.scenario.toml", "wrong.wast:3", "wrong.wast:4", "wrong.wast:7", "wrong.wast:9",
                       "wrong.wast:10"]
    assert suites["wabt"].get("failures") == "1"
    assert next(case for case in runtime_suite if case.get("name") == "wrong.wast:7").get("line") == "7"


@needs_full_2_0
def test_markdown_is_the_same_table(mixed: list[Case], node_runtime: Runtime) -> None:
    text = render_markdown(mixed)
    header, rule = text.splitlines()[:2]
    assert header == f"| file | reference | wabt | {node_runtime.label()} |"
    assert rule == "| --- | --- | --- | --- |"
    assert "| `tests/scenarios/article/sum.scenario.toml` | - | - | pass |" in text
    assert "**fail**: `" in text and "wrong.wast:3 assert_return` on reference" in text


@needs_full_2_0
def test_every_requested_report_is_written_whole(mixed: list[Case], node_runtime: Runtime, tmp_path: Path) -> None:
    write_reports(mixed, [node_runtime], ReportPaths(json=tmp_path / "r.json", junit=tmp_path / "r.xml",
                                                     html=tmp_path / "r.html", markdown=tmp_path / "r.md"))
    assert json.loads((tmp_path / "r.json").read_text())["summary"] == summary(mixed)
    assert ElementTree.parse(tmp_path / "r.xml").getroot().tag == "testsuites"
    assert (tmp_path / "r.html").read_text().startswith("<!DOCTYPE html>")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.html", "r.json", "r.md", "r.xml"]


def test_unsupported_cases_are_grouped_by_runtime_and_reason() -> None:
    old = RuntimeId("node", "14.19.3")
    cases = [Case(CaseKind.WAST, f"x.wast:{line}", Path("x.wast"), old, Status.UNSUPPORTED, line=line,
                  command="assert_return", detail="lacks BigInt") for line in range(5)]
    cases.append(Case(CaseKind.SCENARIO, "s.scenario.toml", Path("s.scenario.toml"), old, Status.UNSUPPORTED,
                      detail="lacks multiple memories"))
    cases.append(Case(CaseKind.WAST, "x.wast:9", Path("x.wast"), REFERENCE, Status.PASS, line=9, command="module"))
    lines = render_table(cases).splitlines()
    assert "UNSUPPORTED on node-14.19.3 (5): lacks BigInt [x.wast:0, x.wast:1, x.wast:2, ...]" in lines
    assert "UNSUPPORTED on node-14.19.3 (1): lacks multiple memories [s.scenario.toml]" in lines
    assert lines[0].split() == ["file", "node-14.19.3", "reference"]
    assert lines[2].split() == ["x.wast", "5", "unsupported", "pass"]


def test_a_report_that_cannot_be_written_leaves_every_report_as_it_was(tmp_path: Path) -> None:
    cases = [Case(CaseKind.SCENARIO, "s.scenario.toml", Path("s.scenario.toml"), REFERENCE, Status.PASS)]
    (tmp_path / "r.json").write_text("the last run's report\n")
    (tmp_path / "r.xml").mkdir()  # a directory where the JUnit report should go: it cannot be replaced
    with pytest.raises(InputError, match="cannot write --junit here: it is a directory"):
        write_reports(cases, [], ReportPaths(json=tmp_path / "r.json", junit=tmp_path / "r.xml",
                                             markdown=tmp_path / "r.md"))
    assert (tmp_path / "r.json").read_text() == "the last run's report\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.json", "r.xml"]  # no temporary file left


def test_an_interrupted_run_says_so_in_every_report() -> None:
    cases = [Case(CaseKind.SCENARIO, "s.scenario.toml", Path("s.scenario.toml"), REFERENCE, Status.PASS)]
    line = "interrupted by SIGTERM: only the cases that finished before it are reported"
    assert json_document(cases, [], interrupted="SIGTERM")["interrupted"] == "SIGTERM"
    assert "interrupted" not in json_document(cases, [])
    root = ElementTree.fromstring(junit_document(cases, interrupted="SIGTERM"))
    assert root.get("interrupted") == "SIGTERM" and root.find("system-err").text == line
    assert render_markdown(cases, interrupted="SIGTERM").splitlines()[0] == f"**{line}**"
    assert line in render_table(cases, interrupted="SIGTERM").splitlines()
    assert line not in render_table(cases)


@pytest.mark.parametrize("version", ["2.0", "3.0"])
def test_every_report_says_which_webassembly_version_judged(version: str, tmp_path: Path) -> None:
    cases = [Case(CaseKind.WAST, "x.wast:1", Path("x.wast"), REFERENCE, Status.PASS, line=1, command="module")]
    line = f"judged by the WebAssembly {version} rules (--spec-version)"
    write_reports(cases, [], ReportPaths(json=tmp_path / "r.json", junit=tmp_path / "r.xml",
                                         html=tmp_path / "r.html", markdown=tmp_path / "r.md"), spec_version=version)
    assert json.loads((tmp_path / "r.json").read_text())["spec_version"] == version
    assert ElementTree.parse(tmp_path / "r.xml").getroot().get("spec_version") == version
    assert f'<p id="spec-version">{line}</p>' in (tmp_path / "r.html").read_text()
    assert line in (tmp_path / "r.md").read_text().splitlines()
    assert line in render_table(cases, spec_version=version).splitlines()
