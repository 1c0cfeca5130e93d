"""Running the model's translated code on a stack deep enough for WebAssembly's call chains.

Each wasm call is one Python call (:mod:`.codegen`), so a chain of
``MAX_CALL_DEPTH`` calls needs that many Python frames: far more than the main
thread's recursion limit (1,000) and, where Python calls recurse in C (Python
3.10, calls through ``*args``), more than its C stack (8 MiB) holds. So each
invocation from the host runs in a thread of its own with a stack of
``STACK_BYTES`` (reserved address space; the system commits only the pages
touched), while the recursion limit is raised for as long as one runs.
Re-entrant invocations (a host function calling back into wasm) run on the
deep thread directly.
"""

from __future__ import annotations

import sys
import threading
from typing import Callable, TypeVar

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
    outcome: dict[str, object] = {}

    def target() -> None:
        _state.deep = True
        try:
            outcome["value"] = call()
        except BaseException as error:  # noqa: BLE001 - carried to the calling thread and raised there
            outcome["error"] = error

    _enter(frames)
    try:
        with _lock:
            previous = threading.stack_size(STACK_BYTES)
            try:
                thread = threading.Thread(target=target, name="linmem-model-deep-stack", daemon=True)
                thread.start()
            finally:
                threading.stack_size(previous)
        thread.join()
    finally:
        _leave()
    if "error" in outcome:
        raise outcome["error"]  # type: ignore[misc]
    return outcome["value"]  # type: ignore[return-value]


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
