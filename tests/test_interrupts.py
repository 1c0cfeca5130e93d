"""Stop signals in the main thread: the first raises (or waits for the end of a block that must not be cut), later ones do not."""

from __future__ import annotations

import os
import signal
import time

import pytest

from harness.interrupts import Interrupted, deferred, handling_signals, received


def deliver(signum: int) -> None:
    """Send ``signum`` to this process and give the interpreter a moment to run the handler."""
    os.kill(os.getpid(), signum)
    time.sleep(0.05)


def test_the_first_stop_signal_raises_interrupted_naming_it() -> None:
    with pytest.raises(Interrupted) as stopped:
        with handling_signals():
            deliver(signal.SIGTERM)
            pytest.fail("the signal did not interrupt")
    assert stopped.value.signum == signal.SIGTERM and stopped.value.signal_name == "SIGTERM"


def test_a_signal_inside_a_deferred_block_is_raised_when_the_block_ends() -> None:
    finished = []
    with pytest.raises(Interrupted) as stopped:
        with handling_signals():
            with deferred():
                deliver(signal.SIGHUP)
                finished.append("the block ran to its end")
            pytest.fail("the held-back signal was not raised")
    assert finished == ["the block ran to its end"] and stopped.value.signum == signal.SIGHUP


def test_a_second_signal_does_not_interrupt_the_cleanup_of_the_first() -> None:
    cleaned = []
    with pytest.raises(Interrupted):
        with handling_signals():
            try:
                deliver(signal.SIGINT)
            finally:
                deliver(signal.SIGINT)  # a second Ctrl-C while the first one's cleanup runs
                cleaned.append("cleanup ran to its end")
    assert cleaned == ["cleanup ran to its end"]


def test_the_previous_handlers_come_back_afterwards() -> None:
    before = signal.getsignal(signal.SIGTERM)
    with handling_signals():
        assert signal.getsignal(signal.SIGTERM) is not before
    assert signal.getsignal(signal.SIGTERM) is before


def test_an_ignored_signal_stays_ignored() -> None:
    previous = signal.signal(signal.SIGHUP, signal.SIG_IGN)  # as under nohup
    try:
        with handling_signals():
            deliver(signal.SIGHUP)
            assert received() == []
    finally:
        signal.signal(signal.SIGHUP, previous)


def test_as_a_whole_process_a_signal_after_the_first_is_counted_even_after_the_block() -> None:
    before = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    try:
        with pytest.raises(Interrupted):
            with handling_signals(whole_process=True):
                deliver(signal.SIGINT)
        deliver(signal.SIGINT)  # a second Ctrl-C while the process exits: no KeyboardInterrupt
        assert received() == [signal.SIGINT, signal.SIGINT]
    finally:
        for signum, handler in before.items():
            signal.signal(signum, handler)


def test_called_in_process_the_callers_handlers_come_back_after_a_signal() -> None:
    handler = signal.getsignal(signal.SIGTERM)
    with pytest.raises(Interrupted):
        with handling_signals():
            deliver(signal.SIGTERM)
    assert signal.getsignal(signal.SIGTERM) is handler
