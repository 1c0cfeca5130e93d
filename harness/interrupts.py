"""Stopping linmem by signal: SIGINT (Ctrl-C), SIGTERM and SIGHUP, all three alike.

While :func:`handling_signals` is in force (``linmem``'s ``main``), the first
of them raises :class:`Interrupted` in the main thread, wherever it is, so
that every ``with`` block and ``finally`` on the way out stops what it
started. Signals after the first (a second Ctrl-C while that cleanup runs) are
counted, not raised: the cleanup is short (every child is killed with SIGKILL)
and must run to its end, or it would leave children behind.

A few things must not be cut in half by the first signal either: starting a
child and recording it (:mod:`harness.runtimes.process`), replacing a set of
report files (:mod:`harness.reports`). They run under :func:`deferred`; a
signal that comes inside is raised as soon as the block ends.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from typing import Iterator

#: the signals that stop linmem (each exits with status 128 + its number)
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class Interrupted(KeyboardInterrupt):
    """A stop signal arrived; ``signum`` says which (a ``KeyboardInterrupt``, so code that stops on Ctrl-C stops on it)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum

    @property
    def signal_name(self) -> str:
        """``SIGINT``, ``SIGTERM`` or ``SIGHUP``."""
        return signal.Signals(self.signum).name


def signum_of(interruption: KeyboardInterrupt) -> int:
    """The signal behind ``interruption``: its own for :class:`Interrupted`, else SIGINT (Python's Ctrl-C)."""
    return int(getattr(interruption, "signum", signal.SIGINT))


class _State:
    """What the handler knows: signals seen, how deep the main thread is in :func:`deferred`, one held back."""

    def __init__(self) -> None:
        self.received: list[int] = []
        self.depth = 0
        self.pending: int | None = None


_state = _State()


def _on_signal(signum: int, frame: object) -> None:
    _state.received.append(signum)
    if len(_state.received) > 1:
        return  # the first is being handled: its cleanup runs to its end
    if _state.depth > 0:
        _state.pending = signum
        return
    raise Interrupted(signum)


def received() -> list[int]:
    """The stop signals seen since :func:`handling_signals` began, in order."""
    return list(_state.received)


@contextlib.contextmanager
def handling_signals(*, whole_process: bool = False) -> Iterator[None]:
    """Make SIGINT, SIGTERM and SIGHUP raise :class:`Interrupted` (once) in this block; restore after.

    A signal the process inherited as ignored (``nohup``, a shell's
    background job) stays ignored. When the block is the ``whole_process``
    (``linmem`` as a program) and a stop signal came, the handlers stay: the
    process is on its way out, and a second Ctrl-C must not cut its last
    cleanup (``atexit``) short. Outside the main thread this does nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    global _state
    _state = _State()
    previous = {}
    for signum in STOP_SIGNALS:
        if signal.getsignal(signum) is not signal.SIG_IGN:
            previous[signum] = signal.signal(signum, _on_signal)
    try:
        yield
    finally:
        if not (_state.received and whole_process):
            for signum, handler in previous.items():
                signal.signal(signum, handler)


@contextlib.contextmanager
def deferred() -> Iterator[None]:
    """A block the first stop signal does not cut in half: it is raised when the block ends.

    Only the main thread is ever interrupted, so elsewhere this does nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _state.depth += 1
    try:
        yield
    finally:
        _state.depth -= 1
        if _state.depth == 0 and _state.pending is not None:
            signum, _state.pending = _state.pending, None
            raise Interrupted(signum)
