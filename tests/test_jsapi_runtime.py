"""JS API test files on a real runtime through the real testharness.js (the pinned npm wpt-runner's).

Statuses and messages expected here are testharness.js's own, as its
documentation states them (``assert_equals: DESCRIPTION expected X but got Y``).
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from harness.case import Case, CaseKind, Status
from harness.compiler.npm import packaged_testharness
from harness.jsapi.on_runtime import JsApiDriver
from harness.jsapi.testfile import read_test_file
from harness.runtimes.discovery import Runtime
from tests.conftest import FIXTURES, ROOT
from tests.test_cli import assert_one_clean_error

OWN = ROOT / "tests" / "jsapi"
ON_PURPOSE = FIXTURES / "jsapi" / "memory"

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def driver(node_runtime: Runtime) -> JsApiDriver:
    with JsApiDriver(node_runtime, timeout=3) as started:
        yield started


def run(driver: JsApiDriver, path: Path) -> dict[str, tuple[Status, str]]:
    """Each case of one file on the driver, by id: its status and detail."""
    test_file = read_test_file(path, fallback_harness=lambda: packaged_testharness(driver.runtime))
    cases: list[Case] = driver.run(test_file)
    assert {case.kind for case in cases} == {CaseKind.JSAPI}
    return {case.id: (case.status, case.detail) for case in cases}


def test_our_own_memory_files_pass_subtest_by_subtest(driver: JsApiDriver) -> None:
    assert run(driver, OWN / "memory" / "buffer.any.js") == {
        "buffer.any.js: A one-page memory's buffer is 65536 bytes": (Status.PASS, ""),
        "buffer.any.js: The buffer is the same object until the memory grows": (Status.PASS, ""),
        "buffer.any.js: A write through one view is seen by another": (Status.PASS, ""),
        "buffer.any.js: An instantiated module's exported memory has its declared size": (Status.PASS, "")}


def test_a_failing_assertion_is_fail_with_its_message(driver: JsApiDriver) -> None:
    assert run(driver, ON_PURPOSE / "fails.any.js") == {
        "fails.any.js: passes": (Status.PASS, ""),
        "fails.any.js: fails on purpose": (Status.FAIL, "assert_equals: the byte length on purpose wrong "
                                                        "expected 1234 but got 65536")}


def test_an_exception_at_the_top_level_is_an_error_of_the_file(driver: JsApiDriver) -> None:
    assert run(driver, ON_PURPOSE / "throws.any.js") == {
        "throws.any.js: defined before the throw": (Status.PASS, ""),
        "throws.any.js": (Status.ERROR, "uncaught exception: TypeError: thrown at the top level on purpose "
                                        "(at the top level of throws.any.js)")}


def test_an_exception_thrown_later_outside_any_test_is_an_error_of_the_file(driver: JsApiDriver) -> None:
    assert run(driver, ON_PURPOSE / "async-throw.any.js") == {
        "async-throw.any.js: first": (Status.PASS, ""), "async-throw.any.js: waits": (Status.PASS, ""),
        "async-throw.any.js": (Status.ERROR, "uncaught exception: RangeError: thrown later on purpose")}


def test_a_harness_error_is_an_error_of_the_file(driver: JsApiDriver) -> None:
    assert run(driver, ON_PURPOSE / "setup-throws.any.js") == {
        "setup-throws.any.js": (Status.ERROR, "harness status ERROR: Error: setup broke on purpose")}


def test_a_test_that_never_ends_times_out_as_an_error(driver: JsApiDriver) -> None:
    assert run(driver, ON_PURPOSE / "times-out.any.js") == {
        "times-out.any.js: ends at once": (Status.PASS, ""),
        "times-out.any.js: never ends": (Status.ERROR, "TIMEOUT: Test timed out"),
        "times-out.any.js": (Status.ERROR, "harness status TIMEOUT; the file's timeout (--timeout) ended its tests")}


@pytest.mark.parametrize("name, detail", [
    ("loops.any.js", "the file did not finish within 3 s (--timeout) and its runtime did not end it: killed, "
                     "and restarted for the next file"),
    ("crashes.any.js", "JS API driver exited with exit code 7; it will be restarted")])
def test_a_hung_or_crashed_runtime_is_an_error_and_the_next_file_runs(driver: JsApiDriver, name: str,
                                                                      detail: str) -> None:
    [(case_id, (status, got))] = run(driver, ON_PURPOSE / name).items()
    assert (case_id, status) == (name, Status.ERROR) and got.endswith(detail)
    assert Counter(status for status, _ in run(driver, OWN / "memory" / "grow.any.js").values()) == {Status.PASS: 3}


def test_linmem_run_reports_one_case_per_subtest_in_every_report(run_linmem, tmp_path: Path,
                                                                 node_runtime: Runtime) -> None:
    completed = run_linmem("run", str(OWN), str(ON_PURPOSE / "fails.any.js"), "--json", str(tmp_path / "r.json"),
                           "--junit", str(tmp_path / "r.xml"), "--markdown", str(tmp_path / "r.md"))
    assert completed.returncode == 1, completed.stdout + completed.stderr
    assert "summary: 8 pass, 1 fail, 0 error, 0 unsupported" in completed.stdout
    assert "FAIL: tests/fixtures/jsapi/memory/fails.any.js: fails on purpose on " + node_runtime.label() in completed.stdout
    document = json.loads((tmp_path / "r.json").read_text())
    assert {(case["kind"], case["runtime"]["name"]) for case in document["cases"]} == {("jsapi", node_runtime.name)}
    assert (tmp_path / "r.xml").read_text().count("<testcase ") == 9
    assert "| `tests/fixtures/jsapi/memory/fails.any.js` | 1 pass, 1 fail |" in (tmp_path / "r.md").read_text()


def test_a_missing_meta_script_is_one_line_naming_file_and_line(run_linmem) -> None:
    missing = FIXTURES / "jsapi-missing" / "missing-meta.any.js"
    assert_one_clean_error(run_linmem("run", str(missing)), f"{missing}:2: META script /wasm/jsapi/absent.js not found")


def test_node_reference_alone_runs_no_js_api_file_and_says_so(run_linmem) -> None:
    completed = run_linmem("run", str(OWN), "--node", "reference")
    assert completed.returncode == 0
    assert ("2 JS API test files (*.any.js) not run: they run on JavaScript runtimes only, and --node reference "
            "alone names none") in completed.stderr


def test_the_official_memory_tests_all_pass(run_linmem, spec_js_api: Path, tmp_path: Path,
                                            node_runtime: Runtime) -> None:
    if node_runtime.name != "node" or node_runtime.major < 24:
        pytest.skip(f"the 72 pass on Node 24 and later; this is {node_runtime.label()}")
    completed = run_linmem("run", str(spec_js_api / "memory"), "--json", str(tmp_path / "r.json"))
    assert completed.returncode == 0, completed.stdout + completed.stderr
    document = json.loads((tmp_path / "r.json").read_text())
    assert document["summary"] == {"pass": 72, "fail": 0, "error": 0, "unsupported": 0}
