"""The reference model's side of ``.wast`` scripts, in a process of its own beside the runtimes.

In one process, the model's work on a script and a runtime's (judging the
driver's answers) take turns on Python's one interpreter lock. Here the model
runs in a fresh interpreter of its own (started like the scenario workers of
:mod:`harness.pipeline.model_pool`: ``sys.executable -c``, never a fork, in a
session of its own, killed with its group), so the two sides use two cores.
The parent sends each script's commands, already read and checked; the
process judges them with :func:`.on_model.run_on_model` (its own
:class:`~harness.compiler.wabt.Compiler`, on the same cache, for malformed text
and any module not yet compiled) and sends the cases back as they come, a few
at a time. An exception there (a wabt process that failed, a model bug) is
raised again in the parent, with the process's traceback as its cause; a
process that dies is a :class:`~harness.errors.RuntimeFailure`.
"""

from __future__ import annotations

import subprocess
import threading
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, Sequence

from ..case import Case
from ..compiler.wabt import Compiler
from ..errors import RuntimeFailure
from ..model.versions import SpecVersion
from ..runtimes import python_child
from ..runtimes.process import describe_exit, kill_group
from .on_model import OnCase
from .script import Command

#: cases the process gathers before it sends them (fewer at a script's end)
CASES_PER_MESSAGE = 64


class ModelProcess:
    """One model process, started on first use, that runs script after script for the calling thread."""

    def __init__(self, compiler: Compiler) -> None:
        self.compiler = compiler
        self._process: subprocess.Popen[bytes] | None = None
        self._connection: Connection | None = None
        self._closed = False
        self._lock = threading.Lock()

    def run(self, path: Path, commands: Sequence[Command], on_case: OnCase, version: SpecVersion) -> list[Case]:
        """Every command of the script judged on the model, by ``version``'s rules; ``on_case`` for each."""
        connection = self._started()
        try:
            connection.send((path, list(commands), version))
        except OSError:
            raise RuntimeFailure(self._ended()) from None
        cases: list[Case] = []
        while True:
            kind, payload, remote_traceback = self._receive(connection)
            if kind == "done":
                return cases
            if kind == "raised":
                payload.__cause__ = python_child.RemoteTraceback(remote_traceback)
                raise payload
            for case in payload:
                cases.append(case)
                on_case(case)

    def _started(self) -> Connection:
        with self._lock:
            if self._closed:
                raise RuntimeFailure("the reference model's process was stopped")
            if self._connection is None:
                self._process, self._connection = _take_spare() or _spawn()
                try:
                    self._connection.send((self.compiler.runtime, self.compiler.cache_dir, self.compiler.use_cache))
                except OSError:
                    raise RuntimeFailure(self._ended()) from None
            return self._connection

    def _receive(self, connection: Connection) -> tuple[str, Any, str]:
        try:
            return connection.recv()  # type: ignore[no-any-return]
        except (EOFError, OSError):
            raise RuntimeFailure(self._ended()) from None

    def _ended(self) -> str:
        process = self._process
        if process is None or self._closed:
            return "the reference model's process was stopped"
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            return "the reference model's process closed its socket"
        return f"the reference model's process ended ({describe_exit(process.returncode)})"

    def close(self, *, grace: float = 2.0) -> None:
        """Stop the process for good: it ends when its socket closes, or is killed after ``grace`` seconds."""
        with self._lock:
            self._closed = True
            process, connection = self._process, self._connection
            self._process = self._connection = None
        if connection is not None:
            connection.close()
        if process is not None:
            try:
                if grace > 0:
                    process.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                pass
            kill_group(process)


def _spawn() -> tuple[subprocess.Popen[bytes], Connection]:
    """A fresh model process, and the parent's end of its socket."""
    return python_child.spawn("harness.wast.model_process:serve_scripts", "the reference model's process")


#: a model process started ahead of its use (:func:`prestart`), for the next :class:`ModelProcess` to take
_spare: tuple[subprocess.Popen[bytes], Connection] | None = None
_spare_lock = threading.Lock()


def prestart() -> None:
    """Start a model process now, so that its interpreter starts (imports the model) while the caller reads
    the scripts; the next :class:`ModelProcess` takes it. One that cannot start is left to that one to say."""
    global _spare
    with _spare_lock:
        if _spare is None:
            try:
                _spare = _spawn()
            except RuntimeFailure:
                pass


def discard_spare() -> None:
    """Stop the process :func:`prestart` started, if nothing took it (a run that ended before it ran)."""
    taken = _take_spare()
    if taken is not None:
        process, connection = taken
        connection.close()
        kill_group(process)


def _take_spare() -> tuple[subprocess.Popen[bytes], Connection] | None:
    global _spare
    with _spare_lock:
        taken, _spare = _spare, None
    return taken


# -- in the model's process -------------------------------------------------------
def serve_scripts(fd: int, parent_pid: int) -> None:
    """The process's life: each script received on socket ``fd`` judged on the model, until the socket closes."""
    from .on_model import run_on_model

    connection = Connection(fd)
    python_child.exit_with_parent(parent_pid)
    try:
        runtime, cache_dir, use_cache = connection.recv()
    except (EOFError, OSError):
        return
    with Compiler(runtime, cache_dir=cache_dir, use_cache=use_cache) as compiler:
        while True:
            try:
                path, commands, version = connection.recv()
            except (EOFError, OSError):
                return
            gathered: list[Case] = []

            def send_some(case: Case) -> None:
                gathered.append(case)
                if len(gathered) >= CASES_PER_MESSAGE:
                    connection.send(("cases", gathered[:], ""))
                    gathered.clear()
            try:
                run_on_model(path, compiler, send_some, commands, version=version)
            except Exception as raised:  # noqa: BLE001 - raised again in the parent
                if gathered:
                    connection.send(("cases", gathered, ""))
                python_child.send_exception(connection, "raised", raised)
                continue
            connection.send(("cases", gathered, ""))
            connection.send(("done", None, ""))
