"""Child processes: run_tool's failures and the long-lived worker's recovery, on real Node."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

from harness.errors import ProtocolError, RuntimeFailure, ToolTimeout
from harness.resources import JS_DIR
from harness.runtimes.discovery import Runtime
from harness.runtimes.process import JsonLineWorker, describe_exit, run_tool, tail
from harness.runtimes.protocol import JsError, parse_answer, request

MISBEHAVE = Path(__file__).parent / "fixtures" / "js" / "misbehave.js"


@pytest.fixture
def worker(node_runtime: Runtime):
    with JsonLineWorker(node_runtime.command(JS_DIR / "worker.js", str(MISBEHAVE)), name="test worker") as live:
        yield live


def ask(worker: JsonLineWorker, op: str, timeout: float = 10.0, **fields: object) -> object:
    return parse_answer(worker.request(request(op, **fields), timeout=timeout), who=worker.name)


def test_worker_answers_requests_in_order(worker: JsonLineWorker) -> None:
    assert [ask(worker, "echo", payload=n) for n in range(3)] == [{"echoed": n} for n in range(3)]


def test_javascript_exceptions_come_back_by_name(worker: JsonLineWorker) -> None:
    error = ask(worker, "throws")
    assert isinstance(error, JsError)
    assert (error.name, error.message) == ("RangeError", "thrown on purpose")


def test_a_crashed_worker_is_reported_with_its_stderr_and_restarted(worker: JsonLineWorker) -> None:
    first_pid = ask(worker, "pid")["pid"]  # type: ignore[index]
    with pytest.raises(RuntimeFailure) as caught:
        ask(worker, "crash")
    assert "exit code 7" in caught.value.message
    assert "about to crash" in caught.value.detail
    assert ask(worker, "pid")["pid"] != first_pid  # type: ignore[index]
    assert worker.restarts == 1


def test_a_hung_worker_is_killed_after_its_timeout_and_restarted(worker: JsonLineWorker) -> None:
    started = time.monotonic()
    with pytest.raises(ToolTimeout, match="did not answer within 0.5 s"):
        ask(worker, "hang", timeout=0.5)
    assert time.monotonic() - started < 5
    assert ask(worker, "echo", payload="after") == {"echoed": "after"}


def test_pipelined_requests_are_answered_in_order_past_the_window(worker: JsonLineWorker) -> None:
    payload = "x" * 1000  # 500 requests of about 1 KiB: many times the bytes sent before an answer is read
    messages = [request("echo", payload=f"{n}{payload}") for n in range(500)]
    answers = [parse_answer(answer, who=worker.name) for answer in worker.requests(messages, timeout=10)]
    assert answers == [{"echoed": f"{n}{payload}"} for n in range(500)]
    assert worker.starts == 1


def test_a_pipelined_request_that_hangs_times_out_alone_and_the_next_request_restarts(
        worker: JsonLineWorker) -> None:
    messages = [request("echo", payload=1), request("hang"), request("echo", payload=3)]
    answers = worker.requests(messages, timeout=0.5)
    assert parse_answer(next(answers), who=worker.name) == {"echoed": 1}
    with pytest.raises(ToolTimeout, match="did not answer within 0.5 s"):
        next(answers)
    assert ask(worker, "echo", payload="after") == {"echoed": "after"}  # not the third request's answer
    assert worker.restarts == 1


def test_answers_left_unread_by_a_pipeline_are_not_read_out_of_turn(worker: JsonLineWorker) -> None:
    answers = worker.requests([request("echo", payload=n) for n in range(5)], timeout=10)
    assert parse_answer(next(answers), who=worker.name) == {"echoed": 0}
    answers.close()  # type: ignore[attr-defined]
    assert ask(worker, "echo", payload="next") == {"echoed": "next"}
    assert worker.restarts == 0


def test_output_that_is_not_json_is_a_protocol_error(worker: JsonLineWorker) -> None:
    with pytest.raises(ProtocolError, match="not JSON: 'this is not json'"):
        ask(worker, "garbage")
    assert ask(worker, "echo", payload=1) == {"echoed": 1}


def test_json_nested_too_deep_for_python_is_a_protocol_error(worker: JsonLineWorker) -> None:
    with pytest.raises(ProtocolError, match=r"not JSON: '\[\[\[\["):
        ask(worker, "deep")
    assert ask(worker, "echo", payload=1) == {"echoed": 1}


def test_unknown_ops_are_errors_not_crashes(worker: JsonLineWorker) -> None:
    error = ask(worker, "no_such_op")
    assert isinstance(error, JsError) and "unknown op" in error.message


def test_run_tool_reports_the_exit_code_and_stderr_tail() -> None:
    with pytest.raises(RuntimeFailure) as caught:
        run_tool([sys.executable, "-c", "import sys; sys.stderr.write('boom\\n'); sys.exit(3)"], timeout=30)
    assert "failed with exit code 3" in caught.value.message
    assert caught.value.detail == "boom"


def test_run_tool_kills_the_whole_process_group_on_timeout(tmp_path: Path) -> None:
    marker = tmp_path / "grandchild.pid"
    script = (f"import subprocess, sys, time; p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']); "
              f"open({str(marker)!r}, 'w').write(str(p.pid)); time.sleep(60)")
    with pytest.raises(ToolTimeout):
        run_tool([sys.executable, "-c", script], timeout=1.5)
    grandchild = int(marker.read_text())
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and _alive(grandchild):
        time.sleep(0.05)
    assert not _alive(grandchild)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().split()[2] != "Z"


def test_a_missing_program_is_a_runtime_failure_not_an_oserror(tmp_path: Path) -> None:
    with pytest.raises(RuntimeFailure, match="cannot start"):
        run_tool([str(tmp_path / "nothing-here")], timeout=5)


def test_describe_exit_names_signals() -> None:
    assert describe_exit(-9) == "signal SIGKILL"
    assert describe_exit(2) == "exit code 2"


def test_tail_keeps_the_last_non_empty_lines() -> None:
    assert tail("a\n\nb\nc\n", lines=2) == "b\nc"
