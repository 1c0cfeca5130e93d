"""The reference model in processes of its own: each scenario's reference computed beside the runtimes, in time.

A :class:`ModelPool` hands scenarios to a few worker processes in the order
they are submitted and gives back a :class:`~concurrent.futures.Future` for
each reference. A runtime's thread runs a scenario on its runtime and waits for
that future only when it judges it, so the runtimes start at once while the
model works ahead of them; every target of a run shares the same futures, so
each reference is computed once however many runtimes there are.

Each case has a time limit (``--model-timeout``). A case that gives no result
in time has its worker killed, and its reference is a gap naming the limit; a
case whose worker dies (a crash, a signal) has a gap saying so. Either way the
next case gets a fresh worker and nothing else is lost. An exception the model
raises is a bug in linmem: it is raised again, with the worker's traceback, in
the thread that waits for that reference.

**How a worker starts.** As a fresh interpreter (``sys.executable -c``, with
the parent's import path), never a fork: the parent has threads, which a fork
would copy in whatever state they were in. It is started like every other
child of linmem (:mod:`harness.runtimes.process`): in a session of its own,
killed with its group. That is why it is not a ``multiprocessing`` ``spawn``
process, which would share the terminal's process group (a Ctrl-C while a
worker starts prints its ``KeyboardInterrupt`` traceback), import the parent's
``__main__`` again (a script without an ``if __name__ == "__main__"`` guard
would run twice) and start a resource-tracker process besides. What is kept of
``multiprocessing`` is its pickling :class:`~multiprocessing.connection.Connection`,
over a socket pair. A worker whose parent is gone (killed with SIGKILL) exits
by itself.
"""

from __future__ import annotations

import math
import os
import queue
import signal
import subprocess
import threading
from concurrent.futures import Future
from multiprocessing.connection import Connection
from typing import Any, Callable

from ..errors import InputError, RuntimeFailure
from ..model.deep_stack import run_deep
from ..model.interpreter import _FRAMES_PER_CALL, _HEADROOM, MAX_CALL_DEPTH
from ..runtimes import python_child
from ..runtimes.process import debug, describe_exit, kill_group
from ..scenarios.decoded import reuse_translations
from ..scenarios.suite import PreparedScenario, reference_for
from ..scenarios.verdict import Reference

#: seconds the model may spend on one scenario before its reference is a gap (``--model-timeout``)
MODEL_TIMEOUT = 120.0
#: the most worker processes a run keeps, however many cores there are
MAX_WORKERS = 8
#: seconds a fresh worker may take to start (import the model) before it counts as crashed
START_TIMEOUT = 60.0

_Job = tuple[PreparedScenario, "Future[Reference]"]


def parse_model_timeout(text: str, *, option: str = "--model-timeout") -> float:
    """``text`` as a time limit in seconds: a positive, finite number, else :class:`InputError`.

    >>> parse_model_timeout("2.5")
    2.5
    >>> parse_model_timeout("inf")
    Traceback (most recent call last):
    ...
    harness.errors.InputError: --model-timeout: expected a positive, finite number of seconds, got 'inf'
    """
    try:
        seconds = float(text)
    except ValueError:
        seconds = math.nan
    if not (math.isfinite(seconds) and seconds > 0):
        raise InputError(f"{option}: expected a positive, finite number of seconds, got {text!r}")
    return seconds


def default_workers() -> int:
    """How many worker processes a run keeps: one per core, at most :data:`MAX_WORKERS`.

    Measured on a 2-core machine (the library plus two cases of 10 s each on
    the model): one worker 22.6 s, two 12.5 to 16.2 s, three no better than
    two; on the library alone, 0.46 to 0.52 s whatever the count. Past the
    cores, workers only share them; the cap is a guess beyond what was measured.
    """
    return max(1, min(os.cpu_count() or 1, MAX_WORKERS))


class ModelPool:
    """Worker processes that compute scenarios' references, each within ``timeout`` seconds.

    Nothing starts before the first :meth:`submit`, and no more workers than
    scenarios submitted; :meth:`close` (or leaving a ``with`` block) kills
    every worker at once, and every reference still awaited is then a gap.
    """

    def __init__(self, *, workers: int | None = None, timeout: float = MODEL_TIMEOUT,
                 option: str = "--model-timeout") -> None:
        self.workers = workers or default_workers()
        self.timeout = timeout
        self.option = option  # named in a timeout's gap: how the user changes the limit
        self.started = 0  # worker processes started so far, replacements included
        self._jobs: queue.Queue[_Job | None] = queue.Queue()
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._live: set[_Worker] = set()
        self._by_content: dict[bytes, Future[Reference]] = {}  # every reference submitted, by its scenario's content
        self._closed = False

    def submit(self, prepared: PreparedScenario) -> Future[Reference]:
        """The future reference of ``prepared``, computed after everything submitted before it.

        A scenario the same as one submitted before (the same steps, imports and
        modules' bytes, under any file name) shares that one's future: the model
        is deterministic, so each distinct reference is computed once.
        """
        key = prepared.content_key
        with self._lock:
            known = self._by_content.get(key)
            if known is not None:
                return known
            future: Future[Reference] = Future()
            if self._closed:
                future.set_result(_stopped())
                return future
            self._by_content[key] = future
            if len(self._threads) < self.workers:
                self._add_thread()
            self._jobs.put((prepared, future))
        return future

    def worker_pids(self) -> list[int]:
        """The process ids of the workers alive now (for tests and debugging)."""
        with self._lock:
            return [worker.pid for worker in self._live]

    def close(self) -> None:
        """Kill every worker now; references not yet computed become gaps. Safe from any thread, twice."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            for worker in self._live:  # under the lock: none of them is reaped yet, so no pid is reused
                worker.kill()  # a thread waiting on its answer sees the socket close and stops
        while True:
            try:
                job = self._jobs.get_nowait()
            except queue.Empty:
                break
            if job is not None:
                job[1].set_result(_stopped())
        for _ in self._threads:
            self._jobs.put(None)
        for thread in self._threads:
            thread.join(timeout=5)

    def __enter__(self) -> "ModelPool":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- one thread per worker ------------------------------------------------
    def _add_thread(self) -> None:
        """Under the lock: one more thread, with its worker."""
        thread = threading.Thread(target=self._serve, name=f"linmem-model-{len(self._threads)}", daemon=True)
        self._threads.append(thread)
        thread.start()

    def _serve(self) -> None:
        """Start a worker, then compute jobs in turn on it, replacing it after a timeout or a crash."""
        try:
            worker = self._start()
        except (_WorkerLost, RuntimeFailure):
            worker = None  # the first job tries again, and says why
        try:
            while (job := self._jobs.get()) is not None:
                prepared, future = job
                try:
                    outcome, worker = self._compute(prepared, worker)
                except Exception as unexpected:  # noqa: BLE001 - e.g. no process can start: raised where awaited
                    outcome = unexpected
                if isinstance(outcome, Reference):
                    future.set_result(outcome)
                else:
                    future.set_exception(outcome)
        finally:
            if worker is not None:
                self._retire(worker)

    def _compute(self, prepared: PreparedScenario,
                 worker: _Worker | None) -> tuple[Reference | BaseException, _Worker | None]:
        """The reference (or the model's bug), and the worker to use next (``None``: start a fresh one)."""
        try:
            worker = worker or self._start()
        except _WorkerLost as lost:
            return self._gap(str(lost)), None
        if worker is None:
            return _stopped(), None
        try:
            return worker.compute(prepared, self.timeout), worker
        except _NoResult:
            self._retire(worker)
            return self._gap(f"no result within {self.timeout:g} s ({self.option})"), None
        except _WorkerLost as lost:
            self._retire(worker)
            return self._gap(str(lost)), None
        except _ModelBug as bug:
            return bug.error, worker

    def _gap(self, why: str) -> Reference:
        return _stopped() if self._closed else Reference(None, f"reference model: {why}")

    def _start(self) -> _Worker | None:
        """A fresh worker, ready for a case; ``None`` once the pool is closed."""
        with self._lock:
            if self._closed:
                return None
            worker = _Worker()
            self._live.add(worker)
            self.started += 1
        debug(f"model worker {worker.pid} started")
        try:
            worker.wait_ready(START_TIMEOUT)
        except _WorkerLost:
            self._retire(worker)
            raise
        return worker

    def _retire(self, worker: _Worker) -> None:
        with self._lock:
            self._live.discard(worker)
        worker.stop()


def _stopped() -> Reference:
    return Reference(None, "reference model: the run was stopped before this reference was computed")


class _NoResult(Exception):
    """The worker gave no result within the time limit."""


class _WorkerLost(Exception):
    """The worker process ended (or never started) before it answered; the message says how."""


class _ModelBug(Exception):
    """The model raised an exception: ``error`` is it, as the worker raised it."""

    def __init__(self, error: BaseException) -> None:
        super().__init__(str(error))
        self.error = error



class _Worker:
    """One model process (a fresh interpreter, in a session of its own) and the parent's end of its socket."""

    def __init__(self) -> None:
        self.process, self.connection = python_child.spawn("harness.pipeline.model_pool:serve_references",
                                                           "a reference model worker")
        self.pid = self.process.pid

    def wait_ready(self, timeout: float) -> None:
        """Wait for the worker's first message, sent once the model is imported."""
        if not self.connection.poll(timeout):
            raise _WorkerLost(f"its worker process did not start within {timeout:g} s")
        self._receive()

    def compute(self, prepared: PreparedScenario, timeout: float) -> Reference:
        """``prepared``'s reference; raises :class:`_NoResult`, :class:`_WorkerLost` or :class:`_ModelBug`."""
        try:
            self.connection.send((prepared.scenario, prepared.binaries))  # the worker decodes (once per module)
            answered = self.connection.poll(timeout)
        except OSError:
            raise _WorkerLost(self._ended()) from None
        if not answered:
            raise _NoResult()
        return self._receive()

    def _receive(self) -> Reference:
        try:
            kind, payload, remote_traceback = self.connection.recv()
        except (EOFError, OSError):
            raise _WorkerLost(self._ended()) from None
        except Exception as unreadable:  # noqa: BLE001 - an exception that pickles but does not unpickle
            raise _ModelBug(RuntimeError(f"a model worker's answer cannot be read: {unreadable!r}")) from None
        if kind == "bug":
            payload.__cause__ = python_child.RemoteTraceback(remote_traceback)
            raise _ModelBug(payload)
        return payload

    def _ended(self) -> str:
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:  # the socket closed, yet the process lingers: it is killed later
            return "its worker process closed its socket before giving a result"
        return f"its worker process ended ({describe_exit(self.process.returncode)}) before giving a result"

    def kill(self) -> None:
        """SIGKILL to the worker's group, from any thread: a thread waiting on its answer sees the socket close."""
        if self.process.returncode is not None:  # reaped: its pid may belong to another process by now
            return
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):  # gone already
            pass

    def stop(self) -> None:
        """Kill the worker's group, reap it and close the socket."""
        kill_group(self.process)
        self.connection.close()
        debug(f"model worker {self.pid} stopped")


# -- in the worker process ------------------------------------------------------
def serve_references(fd: int, parent_pid: int) -> None:
    """A worker's life: the reference of each scenario received on socket ``fd``, until it closes."""
    connection = Connection(fd)
    reuse_translations()  # this process only computes references: each module translated once, kept on disk
    python_child.exit_with_parent(parent_pid)
    connection.send(("ready", None, ""))
    while True:
        try:
            scenario, binaries = connection.recv()
        except (EOFError, OSError):
            return
        try:
            connection.send(("reference", on_deep_stack(reference_for, scenario, binaries), ""))
        except Exception as bug:  # noqa: BLE001 - a bug in the model: the parent raises it again
            python_child.send_exception(connection, "bug", bug)


#: Python frames a scenario's own machinery may take below the model's calls (the wasm calls' own are counted apart)
_SCENARIO_FRAMES = 200


def on_deep_stack(compute: Callable[..., Reference], *args: Any) -> Reference:
    """``compute(*args)`` on the model's deep stack (:mod:`harness.model.deep_stack`), as a whole.

    Each call into wasm runs on that stack anyway; running the whole scenario
    there hands it over once instead of once per call, which was most of a small
    scenario's time on the model. The recursion limit allows the same depth of
    wasm calls as it does for each call on its own, plus the scenario's frames.
    """
    frames = MAX_CALL_DEPTH * _FRAMES_PER_CALL + _HEADROOM + _SCENARIO_FRAMES
    return run_deep(lambda: compute(*args), frames)
