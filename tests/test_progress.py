"""The live progress line on a real pseudo-terminal, on pipes and in-memory streams, and under threads.

No part of tqdm is mocked: the line is drawn on the slave end of a real pty
(or by a child process whose standard output is one) and read from the master,
then replayed on a minimal screen (carriage return, newline, erase to the end
of the line, printable characters) to see what a person would see.
"""

from __future__ import annotations

import fcntl
import io
import os
import pty
import re
import select
import struct
import subprocess
import sys
import termios
import threading
import time
from pathlib import Path
from typing import Callable, Iterator, TextIO

import pytest

from harness.pipeline.progress import Progress
from tests.conftest import spin_script

ROOT = Path(__file__).resolve().parent.parent
RUNTIMES = ("reference", "node-24.19.0", "bun-1.4.5")
#: fast timings for tests: the line appears after DELAY, is redrawn every INTERVAL
DELAY = 0.1
INTERVAL = 0.025
#: what ends the output of a run whose line was drawn: back to column 0, erase to the end of the row
ERASE_TO_END = "\x1b[K"
WIPE = "\r" + ERASE_TO_END


class Terminal:
    """A pseudo-terminal of a given width: the slave end as a text stream, everything written read back."""

    def __init__(self, columns: int = 120) -> None:
        self.master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
        self.stream: TextIO = open(slave, "w", encoding="utf-8", closefd=True)
        self._chunks: list[bytes] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while True:
            try:
                chunk = os.read(self.master, 4096)
            except OSError:  # EIO: the slave end is closed
                return
            if not chunk:
                return
            self._chunks.append(chunk)

    def output(self) -> str:
        """Everything written, once the slave end is closed (the pty turns each newline into CR LF)."""
        self.stream.close()
        self._reader.join(timeout=5)
        os.close(self.master)
        return b"".join(self._chunks).decode("utf-8")


MakeTerminal = Callable[..., Terminal]


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch) -> Iterator[MakeTerminal]:
    """Makes pseudo-terminals (``TERM`` set to a real terminal's, whatever the test run's is)."""
    monkeypatch.setenv("TERM", "xterm-256color")
    made: list[Terminal] = []

    def make(columns: int = 120) -> Terminal:
        made.append(Terminal(columns))
        return made[-1]

    yield make
    for each in made:
        if not each.stream.closed:
            each.output()


def screen(output: str) -> list[str]:
    """The lines a terminal shows after ``output`` (CR, LF, erase to end of line and printable text)."""
    lines: list[list[str]] = [[]]
    column = 0
    for char in re.findall(r"\x1b\[K|.", output, re.DOTALL):
        if char == ERASE_TO_END:
            del lines[-1][column:]
        elif char == "\r":
            column = 0
        elif char == "\n":
            lines.append([])
            column = 0
        else:
            line = lines[-1]
            line.extend(" " * (column - len(line) + 1))
            line[column] = char
            column += 1
    return ["".join(line).rstrip() for line in lines]


def frames(output: str) -> list[str]:
    """Each redraw of the line: the text between two carriage returns, trailing padding dropped."""
    return [frame.rstrip() for frame in output.replace(ERASE_TO_END, "").split("\r") if frame.strip()]


def slow_run(stream: TextIO, seconds: float = 4 * DELAY, enabled: bool | None = None) -> Progress:
    """A run of 3 runtimes x 20 cases lasting ``seconds`` (longer than the delay by default)."""
    with Progress(dict.fromkeys(RUNTIMES, 20), stream=stream, enabled=enabled, delay=DELAY,
                  interval=INTERVAL) as progress:
        for _ in range(20):
            for runtime in RUNTIMES:
                progress.advance(runtime)
            time.sleep(seconds / 20)
    return progress


def quick_run(stream: TextIO) -> Progress:
    """The same cases, done at once, well within the default delay of one second."""
    with Progress(dict.fromkeys(RUNTIMES, 20), stream=stream, interval=INTERVAL) as progress:
        for _ in range(20):
            for runtime in RUNTIMES:
                progress.advance(runtime)
    return progress


def test_a_run_longer_than_the_delay_shows_counts_runtimes_and_time_then_wipes_the_line(
        terminal: MakeTerminal) -> None:
    tty = terminal()
    progress = slow_run(tty.stream)
    output = tty.output()
    shown = frames(output)
    assert progress.done == 60 and progress.total == 60
    assert len(shown) >= 3, output
    assert any(frame.endswith("00:00") for frame in shown)
    middle = shown[len(shown) // 2]
    assert "/60 cases  reference " in middle and "  node-24.19.0 " in middle and "  bun-1.4.5 " in middle
    assert all("\n" not in frame for frame in shown)
    assert output.endswith(WIPE) and screen(output) == [""], "the last redraw is wiped, the cursor at column 0"


def test_the_line_is_redrawn_at_most_once_an_interval(terminal: MakeTerminal) -> None:
    tty = terminal()
    with Progress({"reference": 1}, stream=tty.stream, delay=0.1, interval=0.1):
        time.sleep(0.65)
    drawn = len(frames(tty.output()))
    assert 2 <= drawn <= 6, "one redraw every 0.1 s from 0.1 s to 0.65 s"


def test_a_run_shorter_than_the_delay_writes_nothing(terminal: MakeTerminal) -> None:
    tty = terminal()
    progress = quick_run(tty.stream)
    assert progress.enabled and progress.done == 60
    assert tty.output() == ""


@pytest.mark.parametrize("kind", ["StringIO", "pipe"])
def test_nothing_is_written_when_the_stream_is_not_a_terminal(kind: str, terminal: MakeTerminal) -> None:
    terminal()  # TERM is a real terminal's: only the stream itself decides
    if kind == "StringIO":
        memory = io.StringIO()
        progress = slow_run(memory)
        written = memory.getvalue()
    else:
        read_end, write_end = os.pipe()
        with open(write_end, "w", encoding="utf-8") as stream:
            progress = slow_run(stream)
        with open(read_end, encoding="utf-8") as pipe:
            written = pipe.read()
    assert not progress.enabled and progress.done == 60
    assert written == ""


def test_the_same_run_on_a_terminal_does_write(terminal: MakeTerminal) -> None:
    """The twin of the test above: same run, a terminal this time, so "nothing" there can fail."""
    tty = terminal()
    progress = slow_run(tty.stream)
    assert progress.enabled
    assert "/60 cases" in tty.output()


def test_a_dumb_terminal_gets_nothing(terminal: MakeTerminal, monkeypatch: pytest.MonkeyPatch) -> None:
    tty = terminal()
    monkeypatch.setenv("TERM", "dumb")
    progress = slow_run(tty.stream)
    assert not progress.enabled
    assert tty.output() == ""


def test_enabled_false_turns_it_off_on_a_terminal(terminal: MakeTerminal) -> None:
    tty = terminal()
    assert not slow_run(tty.stream, enabled=False).enabled
    assert tty.output() == ""


def test_enabled_true_forces_it_on_a_stream_that_is_not_a_terminal() -> None:
    stream = io.StringIO()
    assert slow_run(stream, enabled=True).enabled
    assert "/60 cases" in stream.getvalue()


def test_the_line_fits_a_narrow_terminal_dropping_runtime_detail(terminal: MakeTerminal) -> None:
    tty = terminal(columns=40)
    slow_run(tty.stream)
    output = tty.output()
    shown = frames(output)
    assert shown and all(len(frame) <= 37 for frame in shown), shown
    assert any("/60 cases" in frame for frame in shown)
    assert not any("reference" in frame for frame in shown), "three runtimes do not fit in 37 columns"
    assert screen(output) == [""]


def test_concurrent_advances_from_many_threads_all_count(terminal: MakeTerminal) -> None:
    """Every thread advances every runtime in turn, with thread switches as often as Python allows."""
    threads, each = 8, 20000
    labels = [f"runtime-{index}" for index in range(4)]
    tty = terminal()
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        totals = dict.fromkeys(labels, threads * each // len(labels))
        with Progress(totals, stream=tty.stream, delay=0.0, interval=0.001) as progress:
            def work(first: int) -> None:
                for step in range(each):
                    progress.advance(labels[(first + step) % len(labels)])

            workers = [threading.Thread(target=work, args=(index,)) for index in range(threads)]
            for worker in workers:
                worker.start()
            for worker in workers:
                worker.join()
    finally:
        sys.setswitchinterval(interval)
    assert progress.done == threads * each == progress.total
    assert progress.counts() == dict.fromkeys(labels, (threads * each // 4, threads * each // 4))
    assert screen(tty.output()) == [""]


def test_close_is_idempotent_and_nothing_is_drawn_after_it(terminal: MakeTerminal) -> None:
    tty = terminal()
    progress = slow_run(tty.stream)
    progress.close()
    progress.advance("reference")
    time.sleep(3 * INTERVAL)
    progress.close()
    assert progress.counts()["reference"] == (21, 20)
    output = tty.output()
    assert output.endswith(WIPE) and output.count(WIPE) == 1, "wiped once, nothing drawn after"
    assert screen(output) == [""]


CHILD = """
import fcntl, sys, termios, time
from harness.pipeline.progress import Progress
fcntl.ioctl(sys.stdin.fileno(), termios.TIOCSCTTY, 0)  # this pty is our terminal: Ctrl-C reaches us
try:
    with Progress({"reference": 10**6, "node-24.19.0": 10**6}, delay=0.1, interval=0.02) as progress:
        while True:
            progress.advance("reference"); progress.advance("node-24.19.0")
            time.sleep(0.001)
except KeyboardInterrupt:
    print("interrupted")
"""


def read_until(master: int, end: bytes, seconds: float = 10.0) -> bytes:
    """Read the master end of a pty until ``end`` has been read (failing after ``seconds``)."""
    output, deadline = b"", time.monotonic() + seconds
    while end not in output:
        ready, _, _ = select.select([master], [], [], max(0.0, deadline - time.monotonic()))
        assert ready, f"no {end!r} in {seconds} s: {output!r}"
        output += os.read(master, 4096)
    return output


def test_ctrl_c_while_the_line_is_shown_leaves_a_clean_line() -> None:
    """A child process draws on its standard output, a real pty; ^C typed at the master interrupts it."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    env = {**os.environ, "TERM": "xterm-256color", "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen([sys.executable, "-c", CHILD], stdin=slave, stdout=slave, stderr=slave,
                             cwd=ROOT, env=env, start_new_session=True)
    os.close(slave)
    try:
        output = read_until(master, b"cases")
        os.write(master, b"\x03")  # Ctrl-C, as typed: the pty's line discipline sends SIGINT
        output += read_until(master, b"interrupted\r\n")
    finally:
        try:
            child.wait(timeout=5)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
        os.close(master)
    text = output.decode("utf-8")
    assert child.returncode == 0, text
    assert "cases  reference " in text
    assert screen(text) == ["interrupted", ""], repr(text[-300:])


#: one call keeps the reference model busy for well over a second (15 million turns, under its fuel of 20 million)
SLOW_WAST = spin_script(15_000_000)


def run_linmem_on_a_terminal(arguments: list[str], cwd: Path) -> tuple[int, str]:
    """``linmem ARGUMENTS`` with a real pty as standard output; its exit status and everything it wrote."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 160, 0, 0))
    env = {**os.environ, "TERM": "xterm-256color"}
    child = subprocess.Popen([sys.executable, "-m", "harness", *arguments], stdin=subprocess.DEVNULL,
                             stdout=slave, stderr=slave, cwd=cwd, env=env, start_new_session=True)
    os.close(slave)
    output = b""
    try:
        while True:
            ready, _, _ = select.select([master], [], [], 120)
            assert ready, f"linmem wrote nothing for 120 s: {output!r}"
            try:
                chunk = os.read(master, 4096)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            output += chunk
    finally:
        child.wait(timeout=60)
        os.close(master)
    return child.returncode, output.decode("utf-8")


def test_linmem_run_on_a_terminal_shows_the_line_then_a_clean_report(tmp_path: Path, npm_side: Path) -> None:
    (tmp_path / "slow.wast").write_text(SLOW_WAST)
    status, text = run_linmem_on_a_terminal(["run", "slow.wast"], tmp_path)
    assert status == 0, text
    # 2 cases on the model (module, assert_return) and 2 on the runtime under test
    line = re.compile(r"\d/4 cases  reference \d/2  \S+ \d/2  \d\d:\d\d$")
    assert any(line.match(frame) for frame in frames(text)), text[:500]
    shown = screen(text)
    assert "summary: 4 pass, 0 fail, 0 error, 0 unsupported" in shown
    assert not any("cases" in line for line in shown)  # the line was wiped before the report


def test_linmem_run_into_a_pipe_writes_no_progress_at_all(run_linmem, tmp_path: Path) -> None:
    (tmp_path / "slow.wast").write_text(SLOW_WAST)
    completed = run_linmem("run", "slow.wast", cwd=tmp_path)
    assert completed.returncode == 0, completed.stderr
    assert "\r" not in completed.stdout and "\x1b" not in completed.stdout and "cases" not in completed.stdout
    assert "summary: 4 pass, 0 fail, 0 error, 0 unsupported" in completed.stdout
