"""Scenario-run reports: the contract's JSON shape, JUnit XML and the terminal table."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest

from harness.reports.terminal import json_document, junit_document, render_table, write_reports
from harness.scenarios.suite import load_all, prepare_all, run_on_runtimes
from harness.runtimes.discovery import Runtime
from harness.compiler.wabt import Compiler
from tests.conftest import write_file

SCENARIOS = Path(__file__).parent / "scenarios"


@pytest.fixture(scope="module")
def cases(compiler: Compiler, node_runtime: Runtime, tmp_path_factory: pytest.TempPathFactory):
    directory = tmp_path_factory.mktemp("report")
    sum_wat = (SCENARIOS.parent.parent / "wat" / "sum.wat").resolve()
    failing = (SCENARIOS / "article" / "sum.scenario.toml").read_text().replace(
        "../../../wat/sum.wat", str(sum_wat)).replace("expect = [7, 4, 11]", "expect = [7, 4, 99]")
    write_file(directory, "failing.scenario.toml", failing)
    scenarios = load_all([SCENARIOS / "article" / "sum.scenario.toml", directory / "failing.scenario.toml"])
    return run_on_runtimes(prepare_all(scenarios, compiler), [node_runtime])


def test_json_report_has_the_contracts_shape(cases, node_runtime: Runtime) -> None:
    document = json_document(cases, [node_runtime])
    assert document["runtimes"] == [{**node_runtime.as_json(), "engine": node_runtime.engine,
                                     "engine_version": node_runtime.engine_version}]
    by_id = {case["id"]: case for case in document["cases"]}
    passing, failing = by_id["sum.scenario.toml"], by_id["failing.scenario.toml"]
    assert set(passing) == {"id", "file", "runtime", "status", "observed", "reference", "differences"}
    assert passing["id"] == "sum.scenario.toml" and passing["file"] == "tests/scenarios/article/sum.scenario.toml"
    assert passing["runtime"] == {"name": node_runtime.name, "version": node_runtime.version}
    assert passing["observed"] == {"instantiate": None, "steps": [None, [7, 4, 0], None, [7, 4, 11]]}
    assert failing["differences"] == [{"step": 4, "op": "read", "observed": [7, 4, 11], "reference": [7, 4, 11],
                                       "expect": [7, 4, 99]}]
    assert document["summary"] == {"pass": 1, "fail": 1, "error": 0, "unsupported": 0}


def test_junit_report_has_a_suite_per_runtime_and_a_failure_per_failing_case(cases, node_runtime: Runtime) -> None:
    root = ElementTree.fromstring(junit_document(cases))
    [suite] = root.findall("testsuite")
    assert suite.get("name") == node_runtime.label()
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("2", "1", "0")
    failing = [case for case in suite.findall("testcase") if case.find("failure") is not None]
    assert [case.get("name") for case in failing] == ["failing.scenario.toml"]
    assert "expect:    [7, 4, 99]" in failing[0].find("failure").text


def test_the_table_has_a_column_per_runtime_and_details_under_it(cases, node_runtime: Runtime) -> None:
    table = render_table(cases)
    header, *rows = table.splitlines()[:3]
    assert header.split() == ["scenario", node_runtime.label()]
    assert ["tests/scenarios/article/sum.scenario.toml", "pass"] in [row.split() for row in rows]
    assert "summary: 1 pass, 1 fail, 0 error, 0 unsupported" in table
    assert "  step 4 (read):\n    observed:  [7, 4, 11]\n    reference: [7, 4, 11]\n    expect:    [7, 4, 99]" in table


def test_reports_are_written_whole(cases, node_runtime: Runtime, tmp_path: Path) -> None:
    write_reports(cases, [node_runtime], json_path=tmp_path / "r.json", junit_path=tmp_path / "r.xml")
    assert json.loads((tmp_path / "r.json").read_text())["summary"]["fail"] == 1
    assert ElementTree.parse(tmp_path / "r.xml").getroot().tag == "testsuites"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.json", "r.xml"]
