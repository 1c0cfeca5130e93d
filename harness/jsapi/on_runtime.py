"""Running JS API test files on a JavaScript runtime (``js/jsapi_driver.js``), one case per subtest.

One long-lived driver process per runtime evaluates each file in a fresh
global (a ``vm`` context: Node, Deno and Bun all have one). testharness.js's
own statuses map to linmem's: PASS is ``pass``; FAIL (an assertion failed) is
``fail``; TIMEOUT and NOTRUN are ``error``; PRECONDITION_FAILED (an optional
feature the test says it needs is absent) is ``unsupported``. A harness
status other than OK, an uncaught exception, a file that never completes
and a driver that crashes are each one ``error`` case for the file as a
whole, with the message. A driver that hangs or crashes is restarted for
the next file.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Any, Callable

from ..case import Case, CaseKind, RuntimeId, Status
from ..errors import HarnessError, ToolTimeout
from ..resources import JS_DIR
from ..runtimes.discovery import Runtime
from ..runtimes.process import JsonLineWorker
from ..runtimes.protocol import JsError, parse_answer, request
from .testfile import JsApiFile

#: seconds one test file may take when no run's ``--timeout`` is given
TIMEOUT = 60.0
#: seconds the Python side waits past a file's own timeout before it kills a driver stuck in a loop
KILL_GRACE = 5.0

OnCase = Callable[[Case], None]


class TestStatus(IntEnum):
    """testharness.js's ``Test.statuses``."""

    PASS = 0
    FAIL = 1
    TIMEOUT = 2
    NOTRUN = 3
    PRECONDITION_FAILED = 4


class HarnessStatus(IntEnum):
    """testharness.js's ``TestsStatus.statuses``."""

    OK = 0
    ERROR = 1
    TIMEOUT = 2
    PRECONDITION_FAILED = 3


STATUS_OF = {TestStatus.PASS: Status.PASS, TestStatus.FAIL: Status.FAIL, TestStatus.TIMEOUT: Status.ERROR,
             TestStatus.NOTRUN: Status.ERROR, TestStatus.PRECONDITION_FAILED: Status.UNSUPPORTED}


class JsApiDriver:
    """One runtime's ``js/jsapi_driver.js`` process, serving test file after test file."""

    def __init__(self, runtime: Runtime, *, timeout: float = TIMEOUT) -> None:
        self.runtime = runtime
        self.timeout = timeout
        self.id = RuntimeId(runtime.name, runtime.version)
        self.worker = JsonLineWorker(runtime.command(JS_DIR / "worker.js", str(JS_DIR / "jsapi_driver.js")),
                                     name=f"{runtime.label()} JS API driver")

    def __enter__(self) -> "JsApiDriver":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self, *, grace: float = 2.0) -> None:
        """Stop the driver process for good (killed after ``grace`` seconds)."""
        self.worker.close(grace=grace)

    def run(self, test_file: JsApiFile, on_case: OnCase = lambda case: None) -> list[Case]:
        """Every subtest of ``test_file`` here, judged, plus one ``error`` case for a failure of the file itself."""
        try:
            answer = self.answer(test_file)
        except ToolTimeout:
            cases = [file_case(test_file, self.id, f"the file did not finish within {self.timeout:g} s (--timeout) "
                                                   "and its runtime did not end it: killed, and restarted for the next file")]
        except HarnessError as failure:
            cases = [file_case(test_file, self.id, failure.one_line())]
        else:
            cases = cases_of(test_file, self.id, answer)
        for case in cases:
            on_case(case)
        return cases

    def answer(self, test_file: JsApiFile) -> dict[str, Any]:
        """The driver's raw answer for one file; raises :class:`HarnessError` when the driver fails."""
        message = request("jsapi_run", harness=test_file.harness.as_json(),
                          scripts=[script.as_json() for script in test_file.scripts],
                          test=test_file.test.as_json(), timeout_ms=int(self.timeout * 1000))
        answer = parse_answer(self.worker.request(message, timeout=self.timeout + KILL_GRACE), who=self.worker.name)
        if isinstance(answer, JsError):
            raise HarnessError(f"{self.worker.name}: {answer.name}: {answer.message}")
        return answer


def subtest_id(test_file: JsApiFile, name: str) -> str:
    """``buffer.any.js: Zero-sized buffer``: a subtest's case id."""
    return f"{test_file.path.name}: {name}"


def file_case(test_file: JsApiFile, runtime: RuntimeId, detail: str) -> Case:
    """The ``error`` case of a file that failed as a whole."""
    return Case(CaseKind.JSAPI, test_file.path.name, test_file.path, runtime, Status.ERROR, detail=detail)


def cases_of(test_file: JsApiFile, runtime: RuntimeId, answer: dict[str, Any]) -> list[Case]:
    """The cases of one file's answer: its subtests, then what went wrong with the file as a whole."""
    cases = [subtest_case(test_file, runtime, result) for result in answer.get("results", [])]
    problems = [f"uncaught exception: {message}" for message in answer.get("uncaught", [])]
    harness = answer.get("harness")
    if harness is None:
        problems.append("the tests did not complete, even after the harness's timeout()")
    elif harness["status"] != HarnessStatus.OK:
        status = HarnessStatus(harness["status"]).name
        problems.append(f"harness status {status}" + (f": {harness['message']}" if harness["message"] else ""))
    if answer.get("timed_out"):
        problems.append("the file's timeout (--timeout) ended its tests")
    if problems:
        cases.append(file_case(test_file, runtime, "; ".join(problems)))
    return cases


def subtest_case(test_file: JsApiFile, runtime: RuntimeId, result: dict[str, Any]) -> Case:
    """One subtest's result as a case: the message kept for anything but a pass."""
    status = TestStatus(result["status"])
    message = " ".join(str(result.get("message") or "").split())
    detail = "" if status is TestStatus.PASS else (message if status is TestStatus.FAIL
                                                   else f"{status.name}" + (f": {message}" if message else ""))
    return Case(CaseKind.JSAPI, subtest_id(test_file, result["name"]), test_file.path, runtime,
                STATUS_OF[status], detail=detail)
