"""Every child process linmem starts goes through this module.

``run_tool`` runs a short-lived command to completion; :class:`JsonLineWorker`
keeps one process alive and exchanges one JSON document per line with it.
Both start the child in its own session so that a timeout kills the whole
process group, and both turn every way a child can go wrong (missing binary,
non-zero exit, signal, timeout, garbage on stdout) into a :class:`HarnessError`
that names the command and carries the tail of its stderr.

Every child is started by :func:`start_child`, which records it until it is
reaped: :func:`kill_every_child` (run by ``linmem``'s ``main`` on its way out,
and at interpreter exit) kills the group of each one still recorded, so no
path out of linmem (a signal at any moment, a second Ctrl-C during cleanup,
an internal error) leaves a runtime spinning behind it.
"""

from __future__ import annotations

import atexit
import collections
import json
import os
import queue
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass
from typing import Any, Iterator, Mapping, Sequence

from ..errors import ProtocolError, RuntimeFailure, ToolTimeout
from ..interrupts import deferred

STDERR_TAIL_LINES = 12


def debug_enabled() -> bool:
    """True when ``LINMEM_DEBUG=1`` asks for every message to be echoed."""
    return os.environ.get("LINMEM_DEBUG", "") not in ("", "0")


def debug(text: str) -> None:
    """Echo ``text`` to stderr when debugging is on."""
    if debug_enabled():
        print(f"[linmem debug] {text}", file=sys.stderr, flush=True)


def tail(text: str, lines: int = STDERR_TAIL_LINES) -> str:
    """The last ``lines`` non-empty lines of ``text``."""
    kept = [line for line in text.splitlines() if line.strip()]
    return "\n".join(kept[-lines:])


def describe_exit(returncode: int) -> str:
    """``exit code 3`` or ``signal SIGKILL`` for a finished process."""
    if returncode < 0:
        try:
            return f"signal {signal.Signals(-returncode).name}"
        except ValueError:
            return f"signal {-returncode}"
    return f"exit code {returncode}"


#: every child started and not yet reaped, by pid
_children: dict[int, subprocess.Popen[Any]] = {}
_children_lock = threading.Lock()


class _Reaper:
    """This process's :mod:`harness.runtimes.reaper`, told of each child group; started with the first child."""

    def __init__(self) -> None:
        self._pipe: Any = None
        self._owner = 0  # the pid that started it: a forked copy of this process starts its own

    def tell(self, line: str) -> None:
        """Send ``+PGID`` or ``-PGID``; a reaper that cannot be told is no reason to stop a run."""
        try:
            if self._owner != os.getpid():
                self._start()
            self._pipe.write(line + "\n")
            self._pipe.flush()
        except (OSError, ValueError):
            self._pipe = None
            self._owner = 0

    def _start(self) -> None:
        script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "reaper.py")
        process = subprocess.Popen([sys.executable, "-I", "-S", script], stdin=subprocess.PIPE, text=True,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        self._pipe, self._owner = process.stdin, os.getpid()
        process.returncode = 0  # never waited for: it outlives this process by design (no ResourceWarning)


_reaper = _Reaper()


def start_child(argv: Sequence[str], **options: Any) -> subprocess.Popen[Any]:
    """``subprocess.Popen(argv, **options)`` in a session of its own, recorded until :func:`kill_group` reaps it.

    A stop signal cannot come between the start and the record (:func:`~harness.interrupts.deferred`).
    """
    with deferred():
        process: subprocess.Popen[Any] = subprocess.Popen(list(argv), start_new_session=True, **options)
        with _children_lock:
            _children[process.pid] = process
            _reaper.tell(f"+{process.pid}")
    return process


def live_children() -> list[int]:
    """The pids of the children started and not yet reaped (for tests and debugging)."""
    with _children_lock:
        return [pid for pid, process in _children.items() if process.returncode is None]


def _kill(process: subprocess.Popen[Any]) -> None:
    """SIGKILL to ``process``'s group, unless it was reaped (its pid may be another process's by now)."""
    if process.returncode is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def kill_group(process: subprocess.Popen[Any]) -> None:
    """Kill ``process`` and everything it started, then reap it."""
    _kill(process)
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:  # pragma: no cover - a zombie we cannot reap
        pass
    with _children_lock:
        if _children.pop(process.pid, None) is not None:
            _reaper.tell(f"-{process.pid}")


def kill_every_child(*, keep: frozenset[int] = frozenset()) -> None:
    """Kill the group of every child still recorded but those in ``keep``, and reap them: the last line against leftovers."""
    with _children_lock:
        remaining = [process for pid, process in _children.items() if pid not in keep]
        for process in remaining:  # under the lock: none of them is reaped meanwhile
            _kill(process)
    for process in remaining:
        kill_group(process)


atexit.register(kill_every_child)


@dataclass(frozen=True)
class ToolResult:
    """What a finished command printed, and how it ended."""

    argv: tuple[str, ...]
    returncode: int
    stdout: bytes
    stderr: str


def run_tool(
    argv: Sequence[str],
    *,
    timeout: float,
    cwd: str | None = None,
    env: Mapping[str, str] | None = None,
    check: bool = True,
) -> ToolResult:
    """Run ``argv`` to completion; raise :class:`RuntimeFailure` if it fails.

    Raises :class:`ToolTimeout` (after killing the process group) when it runs
    longer than ``timeout`` seconds, and :class:`RuntimeFailure` when it cannot
    start or, with ``check``, exits non-zero.
    """
    command = " ".join(argv)
    debug(f"run: {command}")
    try:
        process = start_child(
            argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            cwd=cwd, env=dict(env) if env is not None else None,
        )
    except OSError as error:
        raise RuntimeFailure(f"cannot start {argv[0]}: {error.strerror or error}") from None
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        raise ToolTimeout(f"{command} did not finish within {timeout:g} s and was killed") from None
    finally:
        kill_group(process)  # reaped at once if it finished; else (a timeout, a signal) killed with its group
    result = ToolResult(tuple(argv), process.returncode, stdout, stderr.decode("utf-8", "replace"))
    if check and process.returncode != 0:
        raise RuntimeFailure(
            f"{command} failed with {describe_exit(process.returncode)}", detail=tail(result.stderr)
        )
    return result


#: bytes of requests written to a child beyond the one it is answering: so little that a child that is
#: not reading (hung on that one) never fills its stdin pipe (16 KiB at the least, on the systems linmem
#: runs on), so a write never blocks and the hung request's time limit is always seen
AHEAD_BYTES = 16 * 1024


class EncodedRequest:
    """A request document encoded once, to be sent many times (each time with its own ``id``).

    The line written for it is the same bytes as :class:`JsonLineWorker` writes for the document itself.
    """

    __slots__ = ("_head",)

    def __init__(self, document: dict[str, Any]) -> None:
        if "id" in document:
            raise ValueError("an encoded request gets its id when it is sent")
        text = _encoded(document)
        self._head = text[:-1] + (b',"id":' if len(text) > 2 else b'"id":')

    def line(self, request_id: int) -> bytes:
        """The request's line with ``request_id``."""
        return self._head + str(request_id).encode("ascii") + b"}\n"


def _encoded(document: dict[str, Any]) -> bytes:
    return json.dumps(document, separators=(",", ":")).encode("utf-8")


def _line(message: dict[str, Any] | EncodedRequest, request_id: int) -> bytes:
    """The line written for ``message`` under ``request_id``."""
    if isinstance(message, EncodedRequest):
        return message.line(request_id)
    return _encoded(dict(message, id=request_id)) + b"\n"


@dataclass
class _Pending:
    """A request sent to a :class:`JsonLineWorker` and not answered yet."""

    id: int
    message: dict[str, Any] | EncodedRequest
    whole: dict[str, Any] | EncodedRequest  # what a child that did not see the requests before it is sent instead
    short_for: int | None  # the child (by :attr:`JsonLineWorker.starts`) that ``message`` is meant for
    written_to: int | None = None  # the child it was written to; None: not written yet
    line: bytes = b""  # the line for the child :attr:`line_for` (kept while it waits for room to be written)
    line_for: int | None = None


class JsonLineWorker:
    """A long-lived child that answers one JSON line per JSON line it reads.

    Requests carry an ``id``; the answer must carry the same one. If the child
    dies or stops answering, the request raises and the next request starts a
    fresh child, so one bad case never takes the rest of a run down with it.
    """

    def __init__(self, argv: Sequence[str], *, name: str, env: Mapping[str, str] | None = None,
                 start_timeout: float = 30.0) -> None:
        self.argv = list(argv)
        self.name = name
        self.env = dict(env) if env is not None else None
        self.start_timeout = start_timeout
        self.starts = 0
        self.restarts = 0
        self._process: subprocess.Popen[bytes] | None = None
        self._lines: queue.Queue[bytes | None] = queue.Queue()
        self._stderr: collections.deque[str] = collections.deque(maxlen=200)
        self._stderr_thread: threading.Thread | None = None
        self._next_id = 0
        self._pending: collections.deque[_Pending] = collections.deque()  # sent, not yet received, in order
        self._written = 0  # how many of the first pending requests the running child was given
        self._ahead = 0  # their bytes, the first one's aside
        self._lock = threading.RLock()
        self._closed = False
        self._last_line = b""  # the line of the answer received last

    # -- life cycle -------------------------------------------------------
    def _start(self) -> subprocess.Popen[bytes]:
        debug(f"start {self.name}: {' '.join(self.argv)}")
        try:
            process = start_child(
                self.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=self.env,
            )
        except OSError as error:
            raise RuntimeFailure(f"cannot start {self.name} ({self.argv[0]}): {error.strerror or error}") from None
        self._lines = queue.Queue()
        self._stderr.clear()
        threading.Thread(target=self._pump_stdout, args=(process, self._lines), daemon=True).start()
        self._stderr_thread = threading.Thread(target=self._pump_stderr, args=(process,), daemon=True)
        self._stderr_thread.start()
        return process

    @staticmethod
    def _pump_stdout(process: subprocess.Popen[bytes], lines: queue.Queue[bytes | None]) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line)
        lines.put(None)

    def _pump_stderr(self, process: subprocess.Popen[bytes]) -> None:
        assert process.stderr is not None
        for line in process.stderr:
            self._stderr.append(line.decode("utf-8", "replace").rstrip("\n"))

    def close(self, *, grace: float = 2.0) -> None:
        """Stop the child for good: close its stdin, give it ``grace`` seconds, then kill the group.

        A request after this raises :class:`RuntimeFailure` instead of
        starting a new child (a run that is being stopped starts nothing).
        """
        self._closed = True
        self._stop(grace)

    def _stop(self, grace: float = 2.0) -> None:
        """Stop the current child; the next request starts a fresh one."""
        process, self._process = self._process, None
        if process is None:
            return
        try:
            if process.stdin:
                process.stdin.close()
            if grace > 0:
                process.wait(timeout=grace)
        except (OSError, subprocess.TimeoutExpired):
            pass
        kill_group(process)

    @property
    def pid(self) -> int | None:
        """The running child's process id (``None`` when none is running)."""
        return self._process.pid if self.running() and self._process is not None else None

    def running(self) -> bool:
        """Whether a child is up now (otherwise the next request starts a fresh one)."""
        return self._process is not None and self._process.poll() is None

    def __enter__(self) -> "JsonLineWorker":
        return self

    def __exit__(self, kind: type[BaseException] | None, *exc_info: object) -> None:
        self.close(grace=0 if kind is not None and issubclass(kind, KeyboardInterrupt) else 2.0)

    # -- requests ---------------------------------------------------------
    def request(self, message: dict[str, Any], *, timeout: float) -> dict[str, Any]:
        """Send ``message`` and return the child's answer to it.

        Raises :class:`ToolTimeout` when no answer comes within ``timeout``
        seconds (the child is killed), :class:`RuntimeFailure` when the child
        exits, and :class:`ProtocolError` when it prints something else than
        a JSON answer with the request's id.
        """
        with self._lock:
            if self._pending:
                raise ValueError(f"{self.name}: a request cannot pass the {len(self._pending)} sent before it")
            return self.receive(self.send(message), timeout=timeout)

    def send(self, message: dict[str, Any] | EncodedRequest, *, whole: dict[str, Any] | EncodedRequest | None = None,
             generation: int | None = None) -> int:
        """Send ``message`` without waiting for its answer; the ticket to :meth:`receive` it with.

        Requests are answered in the order they are sent, and their answers
        are received in that order. ``whole`` is the same request complete
        for a child that has seen no earlier request (the caller may leave out
        of ``message`` what it sent to the child before, as of the child
        :attr:`starts` counted ``generation``): it goes instead of ``message``
        to a child started since, and when requests are sent again to a fresh
        child after a crash or a timeout. A request is written at once while
        the requests not answered before it hold :data:`AHEAD_BYTES` or fewer
        (once they hold more than half of it, with the requests after it when
        they are down to half), else once they are answered. Either may be an
        :class:`EncodedRequest` (encoded once for many sends).
        """
        with self._lock:
            fresh = self._ensure_started()
            self._next_id += 1
            short_for = None if fresh or generation is None or generation != self.starts else self.starts
            pending = _Pending(self._next_id, message, whole if whole is not None else message, short_for)
            self._pending.append(pending)
            self._write_pending()
            return pending.id

    def receive(self, ticket: int, *, timeout: float) -> dict[str, Any]:
        """The answer to the request :meth:`send` gave ``ticket`` for, within ``timeout`` seconds of this call.

        Answers are received in the order their requests were sent. A
        request whose child crashes or hangs raises as :meth:`request` says;
        the requests sent after it are not lost: they go to a fresh child,
        whole, when their answers are received.
        """
        return self.receive_line(ticket, timeout=timeout)[0]

    def receive_line(self, ticket: int, *, timeout: float) -> tuple[dict[str, Any], bytes]:
        """:meth:`receive`, with the line the answer came as (its JSON text, as the child wrote it)."""
        with self._lock:
            if not self._pending or self._pending[0].id != ticket:
                raise ValueError(f"{self.name}: answers are received in the order their requests were sent")
            head = self._pending[0]
            try:
                if self._closed:
                    raise RuntimeFailure(f"{self.name} was stopped")
                if self._process is None:  # its child was stopped (a failure before it): a fresh one
                    self._send_again()
                elif head.written_to != self.starts:
                    self._write_pending()
                return self._await_answer(head.id, timeout), self._last_line
            finally:
                self._pop_head()
                if self._process is not None and not self._closed:
                    self._write_pending()

    def _pop_head(self) -> _Pending:
        """Under the lock: the first pending request, taken off (the counts of what was written follow)."""
        head = self._pending.popleft()
        if self._written and head.written_to == self.starts:
            self._written -= 1
            if self._written:  # the next one is the head now: not ahead any more
                self._ahead -= len(self._pending[0].line)
        return head

    def _ensure_started(self) -> bool:
        """Under the lock: a child running (started now if need be); whether it was started now."""
        if self._closed:
            raise RuntimeFailure(f"{self.name} was stopped")
        if self._process is not None and (self._pending or self._process.poll() is None):
            return False  # running; or it ended with requests unanswered, and receiving them will see the end
        self._stop()
        if self.starts:
            self.restarts += 1
        self._process = self._start()
        self.starts += 1
        self._written = self._ahead = 0
        if self._closed:  # closed from another thread while it started: it must not outlive the close
            self._stop(grace=0)
            raise RuntimeFailure(f"{self.name} was stopped")
        return True

    def _send_again(self) -> None:
        """Under the lock: every request not answered yet, whole, to a fresh child (the last one ended or hung)."""
        self._stop()
        self._ensure_started()
        for pending in self._pending:
            pending.written_to = None
        self._write_pending()

    def _write_pending(self) -> None:
        """Under the lock: write the requests not written yet, in order, while :data:`AHEAD_BYTES` allows.

        The first request not answered is always written (the child reads it
        as soon as it is free); those after it only while the bytes ahead of
        it stay within the bound. While the child has more than half of it
        ahead, and more than one request, the rest wait, to go together
        (one write for many small requests). A child gone is seen when an answer is awaited.
        """
        if self._written > 1 and self._ahead > AHEAD_BYTES // 2:
            return
        lines = []
        while self._written < len(self._pending):
            position = self._written
            pending = self._pending[position]
            if pending.line_for != self.starts:
                whole = pending.short_for != self.starts
                pending.line = _line(pending.whole if whole else pending.message, pending.id)
                pending.line_for = self.starts
            line = pending.line
            if position and self._ahead + len(line) > AHEAD_BYTES:
                break
            if debug_enabled():  # the echo is built only when it is shown: this runs for every request
                debug(f"-> {self.name}: {line.decode('utf-8', 'replace').rstrip()[:2000]}")
            pending.written_to = self.starts
            self._written += 1
            self._ahead += len(line) if position else 0
            lines.append(line)
        if not lines:
            return
        try:
            assert self._process is not None and self._process.stdin is not None
            self._process.stdin.write(lines[0] if len(lines) == 1 else b"".join(lines))
            self._process.stdin.flush()
        except (BrokenPipeError, OSError):
            pass

    def requests(self, messages: Sequence[dict[str, Any]], *, timeout: float) -> Iterator[dict[str, Any]]:
        """Send ``messages`` without waiting for each answer (pipelined), and yield the answers in order.

        They are written as :meth:`send` writes (never more than
        :data:`AHEAD_BYTES` ahead of the one being answered, so writing never
        blocks on a child that hangs), and each answer has ``timeout`` seconds,
        as if it were sent alone. The first failure raises as :meth:`request`
        does; the messages after it are then dropped, never sent again (the
        caller decides what to ask next). Answers left unread when the caller
        stops early are waited for and dropped, so none is read out of turn.
        """
        with self._lock:
            if self._pending:
                raise ValueError(f"{self.name}: a request cannot pass the {len(self._pending)} sent before it")
            tickets = collections.deque(self.send(message) for message in messages)
            try:
                while tickets:
                    yield self.receive(tickets.popleft(), timeout=timeout)
            finally:
                self._abandon(len(tickets), timeout)

    def _abandon(self, count: int, timeout: float) -> None:
        """Under the lock: drop the first ``count`` requests not answered; those the running child was
        given are awaited first (their answers dropped), the others are never written."""
        abandoned = [self._pop_head() for _ in range(count)]
        for pending in abandoned:
            if self._process is not None and pending.written_to == self.starts:
                try:
                    self._await_answer(pending.id, timeout)
                except (RuntimeFailure, ToolTimeout, ProtocolError):
                    pass  # the child is stopped now: the rest are only dropped
        if self._process is not None and not self._closed:
            self._write_pending()

    def _await_answer(self, request_id: int, timeout: float) -> dict[str, Any]:
        try:
            raw = self._lines.get(timeout=timeout)
        except queue.Empty:
            self._stop()
            raise ToolTimeout(f"{self.name} did not answer within {timeout:g} s; it was killed "
                              "and will be restarted", detail=self.stderr_tail()) from None
        if raw is None:
            return self._fail_dead()
        if debug_enabled():
            debug(f"<- {self.name}: {raw.decode('utf-8', 'replace').rstrip()[:2000]}")
        try:
            answer = json.loads(raw)
        except (ValueError, RecursionError):  # RecursionError: nested past Python's limit
            self._stop()
            raise ProtocolError(f"{self.name} printed something that is not JSON: "
                                f"{raw[:200].decode('utf-8', 'replace').rstrip()!r}",
                                detail=self.stderr_tail()) from None
        if not isinstance(answer, dict) or answer.get("id") != request_id:
            self._stop()
            raise ProtocolError(f"{self.name} answered out of turn: {str(answer)[:200]}")
        self._last_line = raw
        return answer

    def _fail_dead(self) -> dict[str, Any]:
        process = self._process
        code = process.wait(timeout=5) if process is not None else None
        if self._stderr_thread is not None:
            self._stderr_thread.join(timeout=2)
        self._stop()
        how = describe_exit(code) if code is not None else "an unknown cause"
        raise RuntimeFailure(f"{self.name} exited with {how}; it will be restarted",
                             detail=self.stderr_tail())

    def stderr_tail(self) -> str:
        """The last lines the child wrote to stderr."""
        return tail("\n".join(self._stderr))
