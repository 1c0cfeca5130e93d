"""Child processes: run_tool's failures and the long-lived worker's recovery, on real Node."""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path

import pytest

from harness.errors import ProtocolError, RuntimeFailure, ToolTimeout
from harness.resources import JS_DIR
from harness.runtimes.discovery import Runtime
from harness.runtimes.process import (
    EncodedRequest,
    JsonLineWorker,
    describe_exit,
    run_tool,
    tail,
)
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


def test_an_encoded_request_is_the_line_of_its_document_with_each_id() -> None:
    document = request("echo", payload={"text": "é\n", "n": [1, 2.5]})
    encoded = EncodedRequest(document)
    assert encoded.line(7) == b'{"v":1,"op":"echo","payload":{"text":"\\u00e9\\n","n":[1,2.5]},"id":7}\n'
    assert encoded.line(12) == b'{"v":1,"op":"echo","payload":{"text":"\\u00e9\\n","n":[1,2.5]},"id":12}\n'
    assert EncodedRequest({}).line(3) == b'{"id":3}\n'
    with pytest.raises(ValueError, match="gets its id when it is sent"):
        EncodedRequest({"id": 1})


def test_an_encoded_request_is_answered_like_its_document_each_time_it_is_sent(worker: JsonLineWorker) -> None:
    encoded = EncodedRequest(request("echo", payload="same"))
    tickets = [worker.send(encoded) for _ in range(3)]
    answers = [worker.receive_line(ticket, timeout=10) for ticket in tickets]
    assert [parse_answer(answer, who=worker.name) for answer, _ in answers] == [{"echoed": "same"}] * 3
    assert [line.startswith(b'{"id":%d,' % ticket) for (_, line), ticket in zip(answers, tickets)] == [True] * 3


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


def test_requests_sent_ahead_are_answered_in_order(worker: JsonLineWorker) -> None:
    tickets = [worker.send(request("echo", payload=n)) for n in range(4)]
    assert [worker.receive(ticket, timeout=10)["result"] for ticket in tickets] == [{"echoed": n} for n in range(4)]


def test_answers_cannot_be_received_out_of_order(worker: JsonLineWorker) -> None:
    first, second = worker.send(request("echo", payload=1)), worker.send(request("echo", payload=2))
    with pytest.raises(ValueError, match="in the order their requests were sent"):
        worker.receive(second, timeout=10)
    assert worker.receive(first, timeout=10)["result"] == {"echoed": 1}


def test_a_crash_is_the_crashing_request_s_and_the_requests_sent_after_it_go_to_a_fresh_worker(
        worker: JsonLineWorker) -> None:
    before = worker.send(request("pid"))
    crash = worker.send(request("crash"))
    after = [worker.send(request("pid")) for _ in range(2)]
    first_pid = worker.receive(before, timeout=10)["result"]["pid"]
    with pytest.raises(RuntimeFailure, match="exit code 7"):
        worker.receive(crash, timeout=10)
    later_pids = {worker.receive(ticket, timeout=10)["result"]["pid"] for ticket in after}
    assert len(later_pids) == 1 and first_pid not in later_pids
    assert worker.restarts == 1


def test_a_hang_is_the_hanging_request_s_and_the_requests_sent_after_it_are_answered(worker: JsonLineWorker) -> None:
    hang = worker.send(request("hang"))
    after = worker.send(request("echo", payload="after"))
    with pytest.raises(ToolTimeout, match="did not answer within 0.5 s"):
        worker.receive(hang, timeout=0.5)
    assert worker.receive(after, timeout=10)["result"] == {"echoed": "after"}


def test_a_fresh_worker_gets_the_whole_request_and_a_known_one_the_short_one(worker: JsonLineWorker) -> None:
    def echo(payload: str, whole: str) -> int:
        return worker.send(request("echo", payload=payload), whole=request("echo", payload=whole),
                           generation=worker.starts)
    first = echo("short 1", "whole 1")  # the worker starts with it
    second = echo("short 2", "whole 2")
    crash = worker.send(request("crash"))
    third = echo("short 3", "whole 3")  # sent to the worker that crashes, then again to its successor
    assert worker.receive(first, timeout=10)["result"] == {"echoed": "whole 1"}
    assert worker.receive(second, timeout=10)["result"] == {"echoed": "short 2"}
    with pytest.raises(RuntimeFailure):
        worker.receive(crash, timeout=10)
    assert worker.receive(third, timeout=10)["result"] == {"echoed": "whole 3"}


def test_requests_sent_behind_a_hung_one_never_block_the_sender_and_are_answered_after_it(
        worker: JsonLineWorker) -> None:
    big = "x" * 40_000  # each is more than a pipe holds beyond what the hung child already read
    hang = worker.send(request("spin"))  # busy for good: it reads nothing more
    read_before = worker.send(request("echo", payload="read before it spins"))
    time.sleep(0.5)
    sender = threading.Thread(target=lambda: tickets.extend(worker.send(request("echo", payload=big + str(n)))
                                                            for n in range(8)), daemon=True)
    tickets: list[int] = []
    sender.start()
    sender.join(timeout=10)
    assert not sender.is_alive(), "a write blocked on the hung child's full pipe"
    with pytest.raises(ToolTimeout):
        worker.receive(hang, timeout=0.5)
    assert worker.receive(read_before, timeout=10)["result"] == {"echoed": "read before it spins"}
    assert [worker.receive(ticket, timeout=10)["result"]["echoed"] for ticket in tickets] == [
        big + str(n) for n in range(8)]
