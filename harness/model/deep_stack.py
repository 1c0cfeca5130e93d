"""Running the model's translated code on a stack deep enough for WebAssembly's call chains.

Each wasm call is one Python call (:mod:`.codegen`), so a chain of
``MAX_CALL_DEPTH`` calls needs that many Python frames: far more than the main
thread's recursion limit (1,000) and, where Python calls recurse in C (Python
3.10, calls through ``*args``), more than its C stack (8 MiB) holds. So each
invocation from the host runs on one long-lived thread with a stack of
``STACK_BYTES`` (reserved address space; the system commits only the pages
touched), while the recursion limit is raised for as long as one runs.
Re-entrant invocations (a host function calling back into wasm) run on the
deep thread directly.
"""

from __future__ import annotations

import os
import queue
import sys
import threading
from typing import Any, Callable, TypeVar

T = TypeVar("T")

#: The deep thread's stack: room for a few hundred thousand Python frames even where each recurses in C.
STACK_BYTES = 512 * 1024 * 1024

_state = threading.local()
_lock = threading.Lock()
_running = 0
_saved_limit = 0


def run_deep(call: Callable[[], T], frames: int) -> T:
    """``call()``, on a thread whose stack and recursion limit allow ``frames`` more Python frames.

    Whatever ``call`` raises is raised here (a ``RecursionError`` past ``frames`` too).
    """
    if getattr(_state, "deep", False):
        return call()
    _enter(frames)
    try:
        return _deep_thread().run(call)
    finally:
        _leave()


class _DeepThread:
    """One long-lived thread with the deep stack, running one call at a time for any caller.

    Starting a thread per invocation cost about 95 us; handing a call to this
    one costs a fraction of that.
    """

    def __init__(self) -> None:
        self._calls: queue.SimpleQueue[tuple[Callable[[], Any], dict[str, Any], threading.Event]] = queue.SimpleQueue()
        self._one_at_a_time = threading.Lock()
        previous = threading.stack_size(STACK_BYTES)
        try:
            threading.Thread(target=self._serve, name="linmem-model-deep-stack", daemon=True).start()
        finally:
            threading.stack_size(previous)

    def run(self, call: Callable[[], T]) -> T:
        outcome: dict[str, Any] = {}
        done = threading.Event()
        with self._one_at_a_time:
            self._calls.put((call, outcome, done))
            done.wait()
        if "error" in outcome:
            raise outcome["error"]
        return outcome["value"]  # type: ignore[no-any-return]

    def _serve(self) -> None:
        _state.deep = True
        while True:
            call, outcome, done = self._calls.get()
            try:
                outcome["value"] = call()
            except BaseException as error:  # noqa: BLE001 - carried to the calling thread and raised there
                outcome["error"] = error
            finally:
                del call
                done.set()


_thread: _DeepThread | None = None


def _deep_thread() -> _DeepThread:
    """The process's deep thread, started with the first deep call (and again in a forked child)."""
    global _thread
    with _lock:
        if _thread is None or _thread_pid != os.getpid():
            _start_thread()
        return _thread  # type: ignore[return-value]


_thread_pid = 0


def _start_thread() -> None:
    global _thread, _thread_pid
    _thread, _thread_pid = _DeepThread(), os.getpid()


def _enter(frames: int) -> None:
    """Raise the recursion limit (it is the interpreter's, not the thread's) while any deep call runs."""
    global _running, _saved_limit
    with _lock:
        if _running == 0:
            _saved_limit = sys.getrecursionlimit()
        _running += 1
        needed = frames + 200  # the deep thread's own frames below the call
        if sys.getrecursionlimit() < needed:
            sys.setrecursionlimit(needed)


def _leave() -> None:
    global _running
    with _lock:
        _running -= 1
        if _running == 0:
            sys.setrecursionlimit(_saved_limit)
