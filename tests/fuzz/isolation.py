"""One input, run in a forked child under a time bound and a memory cap, and the verdict on how it ended.

A child is cheap (a fork costs about 2 ms) and makes every way of going wrong
observable without harming the suite: an exception of the wrong kind, a hang in
Python code (a ``SIGPROF`` after the bound in CPU seconds raises :class:`Hang`
in the child, so the traceback says where it was stuck), a hang in C code
(big-integer arithmetic does not look at signals: ``RLIMIT_CPU`` kills the child
with ``SIGXCPU`` a little later), a runaway allocation (``RLIMIT_AS`` turns it
into ``MemoryError``) and a crash. The bound is CPU time, so a loaded machine
does not turn slow inputs into hangs.
"""

from __future__ import annotations

import faulthandler
import gc
import math
import os
import pickle
import resource
import select
import signal
import sys
import traceback
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Callable, Optional

from harness.errors import HarnessError

#: CPU seconds one input may take; well-formed inputs of this size take a few milliseconds
TIME_BOUND = float(os.environ.get("LINMEM_FUZZ_SECONDS", "1"))
#: CPU seconds past the bound after which the kernel kills a child stuck where no signal reaches
GRACE = 0.5
#: wall-clock seconds the parent waits at most, whatever the machine's load (a last resort)
WALL_LIMIT = 120.0
#: bytes of address space a child may add to what the parent already maps
MEMORY_HEADROOM = 1 << 30
_HARNESS = Path(__file__).resolve().parents[2] / "harness"

#: a call that raised a ``HarnessError``: ``None`` if that is a clean rejection, else what is wrong with it
ErrorCheck = Callable[[HarnessError], Optional[str]]


class Hang(BaseException):
    """Raised in the child by its alarm: the input took longer than the bound."""


class Ending(Enum):
    """How a call on one input ended."""

    RETURNED = "returned"  # accepted the input
    REJECTED = "rejected"  # raised a HarnessError that passed the target's check (or a documented gap)
    BUG = "bug"  # any other exception, or a HarnessError that fails the check
    HANG = "hang"  # past the time bound
    CRASH = "crash"  # the child died without a word (a signal, an interpreter abort)


@dataclass(frozen=True)
class Outcome:
    """How one input ended; ``origin`` groups failures: exception type and the innermost linmem frame."""

    ending: Ending
    detail: str = ""
    origin: str = ""

    @property
    def failed(self) -> bool:
        """True for the endings that are bugs in linmem."""
        return self.ending in (Ending.BUG, Ending.HANG, Ending.CRASH)


def run_bounded(call: Callable[[], object], *, check: ErrorCheck = lambda error: None,
                allowed: tuple[type[BaseException], ...] = (), seconds: float = TIME_BOUND) -> Outcome:
    """Run ``call`` in a forked child and judge how it ended."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        os.close(read_end)
        try:
            os.write(write_end, pickle.dumps(_judge_in_child(call, check, allowed, seconds)))
        finally:
            os._exit(0)
    os.close(write_end)
    try:
        payload = _read_all(read_end, WALL_LIMIT)
    finally:
        os.close(read_end)
    if payload is None:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        return Outcome(Ending.HANG, f"no answer within {WALL_LIMIT:g} s of wall-clock time", "Hang: no answer")
    _, status = os.waitpid(pid, 0)
    if not payload and os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGXCPU:
        return Outcome(Ending.HANG, f"killed after {math.ceil(seconds + GRACE)} CPU s (stuck where no signal reaches)",
                       "Hang: in C code")
    if not payload:
        cause = f"signal {signal.Signals(-os.waitstatus_to_exitcode(status)).name}" \
            if os.WIFSIGNALED(status) else f"exit status {os.waitstatus_to_exitcode(status)}"
        return Outcome(Ending.CRASH, f"the child died: {cause}", f"Crash: {cause}")
    return pickle.loads(payload)


def _read_all(descriptor: int, seconds: float) -> bytes | None:
    """Everything written to the pipe until it closes, or ``None`` if that takes longer than ``seconds``."""
    chunks = []
    while True:
        ready, _, _ = select.select([descriptor], [], [], seconds)
        if not ready:
            return None
        chunk = os.read(descriptor, 1 << 16)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def _judge_in_child(call: Callable[[], object], check: ErrorCheck,
                    allowed: tuple[type[BaseException], ...], seconds: float) -> Outcome:  # pragma: no cover
    _cap_resources(seconds)
    signal.signal(signal.SIGPROF, _raise_hang)
    # the alarm repeats: a Hang swallowed where exceptions are ignored is raised again
    signal.setitimer(signal.ITIMER_PROF, seconds, 0.05)
    try:
        call()
    except HarnessError as error:
        signal.setitimer(signal.ITIMER_PROF, 0)
        problem = check(error)
        if problem:
            return Outcome(Ending.BUG, f"{type(error).__name__}: {problem}: {error.one_line()}"[:400],
                           f"{type(error).__name__} ({problem}) at {_innermost_frame(error)}")
        return Outcome(Ending.REJECTED, error.one_line()[:400])
    except Hang as hang:
        signal.setitimer(signal.ITIMER_PROF, 0)
        # where the alarm struck varies along the stuck loop: hangs are grouped by function, not by line
        return Outcome(Ending.HANG, f"took longer than {seconds:g} s at {_innermost_frame(hang)}",
                       f"Hang: in {_innermost_frame(hang, function=True)}")
    except allowed as gap:
        signal.setitimer(signal.ITIMER_PROF, 0)
        return Outcome(Ending.REJECTED, f"{type(gap).__name__}: {gap}"[:400])
    except BaseException as error:  # noqa: BLE001 - every other exception is the finding
        signal.setitimer(signal.ITIMER_PROF, 0)
        message = " ".join(str(error).split())[:300]
        return Outcome(Ending.BUG, f"{type(error).__name__}: {message}",
                       f"{type(error).__name__} at {_innermost_frame(error)}")
    signal.setitimer(signal.ITIMER_PROF, 0)
    return Outcome(Ending.RETURNED)


def _raise_hang(signum: int, frame: object) -> None:  # pragma: no cover - the child
    raise Hang()


def _cap_resources(seconds: float) -> None:  # pragma: no cover - the child
    faulthandler.disable()  # pytest's: a crash is reported by the parent, in one line
    gc.callbacks.clear()  # Hypothesis's: a Hang raised in one would only be printed
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    resource.setrlimit(resource.RLIMIT_CPU, (math.ceil(seconds + GRACE), hard))
    page_size = os.sysconf("SC_PAGE_SIZE")
    mapped = int(Path("/proc/self/statm").read_text().split()[0]) * page_size
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = mapped + MEMORY_HEADROOM
    resource.setrlimit(resource.RLIMIT_AS, (limit if hard == resource.RLIM_INFINITY else min(limit, hard), hard))
    sys.setrecursionlimit(1000)


def _innermost_frame(error: BaseException, *, function: bool = False) -> str:
    """``harness/x/y.py:LINE`` (or ``:FUNCTION``) of the innermost frame in linmem's package, else the innermost."""
    frames = [frame for frame in traceback.extract_tb(error.__traceback__) if frame.filename != __file__]
    ours = [frame for frame in frames if Path(frame.filename).resolve().is_relative_to(_HARNESS)]
    chosen = (ours or frames or [None])[-1]
    if chosen is None:
        return "?"
    filename = Path(chosen.filename)
    shown = filename.resolve().relative_to(_HARNESS.parent) if ours else Path(filename.name)
    return f"{shown}:{chosen.name if function else chosen.lineno}"
