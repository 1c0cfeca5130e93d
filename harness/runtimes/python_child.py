"""A fresh Python interpreter as a child of linmem, spoken to over a socket: how the reference model gets cores of its own.

Both the scenario workers (:mod:`harness.pipeline.model_pool`) and the
``.wast`` model process (:mod:`harness.wast.model_process`) start this way: as
``sys.executable -c`` with the parent's import path, never a fork (the parent
has threads, which a fork would copy in whatever state they were in), in a
session of their own and killed with their group like every other child
(:func:`~harness.runtimes.process.start_child`). They talk through
:mod:`multiprocessing`'s pickling :class:`~multiprocessing.connection.Connection`
over a socket pair, and a child whose parent is gone (killed with SIGKILL)
exits by itself.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
import traceback
from multiprocessing.connection import Connection

from ..errors import RuntimeFailure
from .process import start_child

#: seconds between two checks, in a child, that the process that started it is still there
ORPHAN_CHECK_INTERVAL = 0.5


def spawn(entry: str, what: str) -> tuple[subprocess.Popen[bytes], Connection]:
    """Start ``entry`` (``"package.module:function"``, called with the socket's fd and the parent's pid) in a
    fresh interpreter; the process and the parent's end of its socket. ``what`` names it in the error
    raised when it cannot start."""
    module, function = entry.split(":")
    bootstrap = (f"import json, sys; sys.path[:] = json.loads(sys.argv[1]); from {module} import {function}; "
                 f"{function}(int(sys.argv[2]), int(sys.argv[3]))")
    parent_end, child_end = socket.socketpair()
    argv = [sys.executable, "-c", bootstrap, json.dumps(sys.path), str(child_end.fileno()), str(os.getpid())]
    try:
        process = start_child(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              pass_fds=(child_end.fileno(),))
    except OSError as error:
        parent_end.close()
        raise RuntimeFailure(f"cannot start {what} ({sys.executable}): {error.strerror or error}") from None
    finally:
        child_end.close()
    return process, Connection(parent_end.detach())


class RemoteTraceback(Exception):
    """The traceback of an exception raised in a child, chained to it when the parent raises it again."""

    def __str__(self) -> str:
        return str(self.args[0])


def send_exception(connection: Connection, kind: str, raised: Exception) -> None:
    """In a child: send ``(kind, raised, its traceback)`` for the parent to raise again; an exception that
    does not pickle goes as its words."""
    text = traceback.format_exc()
    try:
        connection.send((kind, raised, text))
    except Exception:  # noqa: BLE001 - whatever pickling raises
        connection.send((kind, RuntimeError(f"{type(raised).__name__}: {raised}"), text))


def exit_with_parent(parent_pid: int) -> None:
    """In a child: end the process once the one that started it is gone, even in the middle of its work."""
    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(ORPHAN_CHECK_INTERVAL)
        os._exit(1)
    threading.Thread(target=watch, daemon=True).start()
