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
#: the most bytes of requests :meth:`JsonLineWorker.requests` sends before their answers (half a Linux pipe)
PIPELINE_WINDOW = 32 * 1024


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
        self._lock = threading.Lock()
        self._closed = False

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
            self._ensure_started()
            request_id, line = self._envelope(message)
            self._send(line.encode("utf-8"))
            return self._await_answer(request_id, timeout)

    def requests(self, messages: Sequence[dict[str, Any]], *, timeout: float) -> Iterator[dict[str, Any]]:
        """Send ``messages`` without waiting for each answer (pipelined), and yield the answers in order.

        Each answer has ``timeout`` seconds from the one before it, as if it
        were sent alone. The first failure raises as :meth:`request` does (the
        child is then stopped, and later messages are never answered). At most
        :data:`PIPELINE_WINDOW` bytes are ever sent unanswered, so writing
        never blocks on a child that hangs. Answers left unread when the
        caller stops early are waited for and dropped.
        """
        with self._lock:
            self._ensure_started()
            pending: collections.deque[tuple[int, int]] = collections.deque()  # (id, size) sent, unanswered
            unsent = collections.deque(messages)
            outstanding = 0
            try:
                while unsent or pending:
                    if unsent and outstanding <= PIPELINE_WINDOW // 2:  # refill the window, in one write
                        batch = []
                        while unsent and (not batch or outstanding < PIPELINE_WINDOW):
                            request_id, line = self._envelope(unsent.popleft())
                            batch.append(line.encode("utf-8"))
                            pending.append((request_id, len(batch[-1])))
                            outstanding += len(batch[-1])
                        self._send(b"".join(batch))
                    request_id, size = pending.popleft()
                    outstanding -= size
                    yield self._await_answer(request_id, timeout)
            finally:
                self._drain([request_id for request_id, _ in pending], timeout)

    def _drain(self, request_ids: list[int], timeout: float) -> None:
        """Wait for (and drop) the answers to requests sent but no longer wanted, so none is read out of turn."""
        for request_id in request_ids:
            if self._process is None:
                return
            try:
                self._await_answer(request_id, timeout)
            except (RuntimeFailure, ToolTimeout, ProtocolError):
                return

    def _ensure_started(self) -> None:
        if self._closed:
            raise RuntimeFailure(f"{self.name} was stopped")
        if self._process is None or self._process.poll() is not None:
            self._stop()
            if self.starts:
                self.restarts += 1
            self._process = self._start()
            self.starts += 1
            if self._closed:  # closed from another thread while it started: it must not outlive the close
                self._stop(grace=0)
                raise RuntimeFailure(f"{self.name} was stopped")

    def _envelope(self, message: dict[str, Any]) -> tuple[int, str]:
        """The next request id, and the message's line carrying it."""
        self._next_id += 1
        line = json.dumps(dict(message, id=self._next_id), separators=(",", ":")) + "\n"
        if debug_enabled():  # the echo is built only when it is shown: this runs for every request
            debug(f"-> {self.name}: {line.rstrip()[:2000]}")
        return self._next_id, line

    def _send(self, lines: bytes) -> None:
        try:
            assert self._process is not None and self._process.stdin is not None
            self._process.stdin.write(lines)
            self._process.stdin.flush()
        except (BrokenPipeError, OSError):
            self._fail_dead()

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
