"""The live progress line of a long run: cases done of all, per runtime, and the time so far.

A ``linmem run`` on the official core suite with ten runtimes takes over a
minute; this line shows it is moving. It follows three rules:

* It is drawn only when the stream is a terminal (and ``TERM`` is not
  ``dumb``): a pipe, a file or a CI log gets not one byte, so reports stay
  byte-for-byte what they were.
* It appears only once the run has lasted ``delay`` seconds (one by default):
  a quick run never flashes a line.
* When the run ends, normally or by ``KeyboardInterrupt``, the line is wiped
  and the cursor left at the start of that empty line, so what is printed next
  (the report) starts on a clean line.

**Which stream.** The line is drawn on standard output, the stream the report
goes to, and only when standard output is a terminal. The stream tested and the
stream drawn on are then one: "nothing extra when stdout is not a terminal"
holds by construction; ``linmem run ... 2> errors.log`` keeps that file free of
carriage returns and half-drawn lines (standard error stays for errors); and
the wipe is written to the same stream as the report that follows, so no
buffering between two streams can put them out of order.

**Which library.** `tqdm <https://tqdm.github.io>`_ (pure Python, no
dependencies of its own, MPL/MIT): it already does the terminal work this
needs: ``delay=`` (nothing before that), ``leave=False`` (wipe on close, and
nothing to wipe if nothing was drawn), a write lock shared by every bar, and
trimming to a display width that counts wide characters. ``rich`` would do as
well but brings pygments and markdown-it-py along and has no ``delay``.
One thing is added around it: a small ticker thread that redraws every
``interval`` seconds, so the clock moves even while no case finishes, and the
threads running cases never write to the terminal themselves (``advance`` only
counts). The width is read from the terminal at every redraw, and the line is
composed to fit it (see :meth:`Progress.line`).
"""

from __future__ import annotations

import os
import sys
import threading
from types import TracebackType
from typing import Any, Callable, Mapping, TextIO

from tqdm import tqdm

#: seconds a run must last before the line appears
DELAY = 1.0
#: seconds between two redraws (at most four a second)
INTERVAL = 0.25
#: the width assumed when the terminal does not tell its own (a pty of size 0x0)
FALLBACK_COLUMNS = 80
#: erase from the cursor to the end of the line (ANSI EL); what tqdm's own wipe leaves is erased with it
ERASE_LINE = "\x1b[K"
#: rows told to tqdm, which only needs more than one for a bar at position 0
_ROWS = 24


def terminal_wanted(stream: TextIO) -> bool:
    """Whether ``stream`` is a terminal that can redraw a line: a TTY, and ``TERM`` not ``dumb``."""
    isatty = getattr(stream, "isatty", None)
    try:
        is_terminal = bool(isatty and isatty())
    except ValueError:  # a closed file
        return False
    return is_terminal and os.environ.get("TERM", "") != "dumb"


def terminal_columns(stream: TextIO) -> int:
    """The width the line may take on the terminal behind ``stream``: three less than its columns.

    Two columns are kept for the ``^C`` a terminal echoes after the line when
    the user interrupts, and the last one so a full line never makes the
    terminal wrap: the line, and anything echoed after it, stay on one row.
    """
    try:
        columns = os.get_terminal_size(stream.fileno()).columns
    except (AttributeError, OSError, ValueError):
        columns = 0
    return max(1, (columns or FALLBACK_COLUMNS) - 3)


def count(value: int) -> str:
    """A count with thousands separators.

    >>> count(1234)
    '1,234'
    """
    return f"{value:,}"


class _Line(tqdm):
    """A tqdm bar whose whole text is the line :class:`Progress` composes for the current width."""

    #: no tqdm monitor thread: the ticker of :class:`Progress` does the redrawing
    monitor_interval = 0

    def __init__(self, compose: Callable[[int, float], str], **options: Any) -> None:
        self._compose = compose
        super().__init__(bar_format="{line}", **options)

    @property
    def format_dict(self) -> dict[str, Any]:
        """tqdm's fields, with ``ncols`` measured now and ``line`` composed to fit it."""
        fields = super().format_dict
        width = terminal_columns(self.fp)
        self.ncols = width
        return {**fields, "ncols": width, "line": self._compose(width, fields["elapsed"])}


class Progress:
    """Cases done on every runtime of a run, shown as one live line on a terminal.

    ``totals`` maps each runtime's label to the number of cases it will run, as
    known before the run; :meth:`advance` may be called from any thread.
    Use it as a context manager: leaving the block (an exception included)
    wipes the line.

    ``enabled``: ``None`` (the default) draws only when ``stream`` is a
    terminal and ``TERM`` is not ``dumb``; ``False`` never draws; ``True``
    draws whatever the stream is. ``stream`` defaults to ``sys.stdout`` (see
    the module's docstring for why). ``delay`` and ``interval`` are in seconds.
    """

    def __init__(self, totals: Mapping[str, int], *, stream: TextIO | None = None,
                 enabled: bool | None = None, delay: float = DELAY, interval: float = INTERVAL) -> None:
        self._stream = sys.stdout if stream is None else stream
        self._totals = dict(totals)
        self._done = dict.fromkeys(self._totals, 0)
        self._lock = threading.RLock()
        self._closed = False
        self._interval = interval
        self._stop = threading.Event()
        self._enabled = terminal_wanted(self._stream) if enabled is None else enabled
        self._drawn = self._enabled and delay <= 0  # tqdm draws at once when there is no delay
        self._bar: _Line | None = self._open_bar(delay) if self._enabled else None
        self._ticker: threading.Thread | None = self._start_ticker() if self._enabled else None

    def _open_bar(self, delay: float) -> _Line:
        """The tqdm bar: drawn after ``delay``, wiped on close, redrawn only when asked."""
        # ncols and nrows given, so tqdm never asks the terminal itself: a pty of size 0x0 would make
        # it draw nothing (nrows -1); the width is measured again at every redraw (format_dict)
        return _Line(self._compose, file=self._stream, leave=False,
                     delay=delay, mininterval=0, miniters=0, ncols=terminal_columns(self._stream),
                     nrows=_ROWS, dynamic_ncols=False, disable=False)

    def _start_ticker(self) -> threading.Thread:
        ticker = threading.Thread(target=self._tick, name="linmem-progress", daemon=True)
        ticker.start()
        return ticker

    def _tick(self) -> None:
        """Redraw every interval until closed; tqdm itself holds back until the delay has passed.

        The counts are read under the lock, but the terminal is written
        outside it: a terminal slow to take output never holds up ``advance``.
        """
        while not self._stop.wait(self._interval):
            if self._bar is not None and self._bar.update(0):
                self._drawn = True

    @property
    def enabled(self) -> bool:
        """Whether this progress draws at all (fixed when it is made)."""
        return self._enabled

    @property
    def done(self) -> int:
        """Cases done, all runtimes together."""
        with self._lock:
            return sum(self._done.values())

    @property
    def total(self) -> int:
        """Cases known, all runtimes together."""
        with self._lock:
            return sum(self._totals.values())

    def counts(self) -> dict[str, tuple[int, int]]:
        """Each runtime's cases ``(done, total)``, in the order runtimes were first named."""
        with self._lock:
            return {label: (self._done[label], self._totals[label]) for label in self._totals}

    def advance(self, runtime: str, cases: int = 1) -> None:
        """Count ``cases`` more cases done on ``runtime`` (a runtime not named before is added)."""
        with self._lock:
            self._totals.setdefault(runtime, 0)
            self._done[runtime] = self._done.get(runtime, 0) + cases

    def line(self, width: int | None = None, elapsed: float = 0.0) -> str:
        """The text of the line, fitted to ``width`` display columns (``None``: no limit).

        Every runtime's counts when they fit; else those of the runtimes still
        running, as many as fit, and how many more; else only the total and the
        time (cut at ``width`` if even that is too long).

        >>> progress = Progress({"reference": 700, "node-24.19.0": 700, "bun-1.4.5": 700}, enabled=False)
        >>> progress.advance("reference", 700); progress.advance("node-24.19.0", 400)
        >>> progress.advance("bun-1.4.5", 134)
        >>> progress.line(elapsed=12)
        '1,234/2,100 cases  reference 700/700  node-24.19.0 400/700  bun-1.4.5 134/700  00:12'
        >>> progress.line(width=70, elapsed=12)
        '1,234/2,100 cases  node-24.19.0 400/700  bun-1.4.5 134/700  00:12'
        >>> progress.line(width=60, elapsed=12)
        '1,234/2,100 cases  node-24.19.0 400/700  +1 more  00:12'
        >>> progress.line(width=30, elapsed=12)
        '1,234/2,100 cases  00:12'
        >>> progress.line(width=10, elapsed=12)
        '1,234/2,10'
        """
        return self._compose(width, elapsed)

    def _compose(self, width: int | None, elapsed: float) -> str:
        with self._lock:
            counts = self.counts()
            head = f"{count(self.done)}/{count(self.total)} cases"
        clock = tqdm.format_interval(elapsed)
        every = [_tally(label, pair) for label, pair in counts.items()]
        running = [_tally(label, pair) for label, pair in counts.items() if pair[0] < pair[1]]
        candidates = [every, *(_first(running, shown) for shown in range(len(running), -1, -1))]
        for tallies in candidates:
            text = "  ".join([head, *tallies, clock])
            if width is None or len(text) <= width:
                return text
        return text[:width]

    def close(self) -> None:
        """Stop redrawing and wipe the line (if one was drawn); calling it again does nothing."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        self._stop.set()
        if self._ticker is not None and self._ticker is not threading.current_thread():
            self._ticker.join(timeout=max(1.0, 4 * self._interval))
        with self._lock:
            if self._bar is not None:
                self._wipe(self._bar)

    def _wipe(self, bar: _Line) -> None:
        """Close the bar; if it was ever drawn, erase the rest of the row too.

        tqdm blanks only as many columns as it last wrote; a ``^C`` the
        terminal echoed after them would stay, so the row is erased to its end.
        """
        bar.close()
        if self._drawn and not getattr(self._stream, "closed", False):
            with bar.get_lock():
                self._stream.write("\r" + ERASE_LINE)
                self._stream.flush()

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()


def _tally(label: str, pair: tuple[int, int]) -> str:
    """One runtime's counts: ``label done/total``."""
    return f"{label} {count(pair[0])}/{count(pair[1])}"


def _first(tallies: list[str], shown: int) -> list[str]:
    """The first ``shown`` tallies, then how many more there are (nothing at all when ``shown`` is 0)."""
    hidden = len(tallies) - shown
    return tallies[:shown] + ([f"+{hidden} more"] if hidden and shown else [])
