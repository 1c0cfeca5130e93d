"""The reaper: kills linmem's child process groups when linmem dies without cleaning up (SIGKILL, a crash).

linmem kills every child it started on every way out it sees (a signal, an
error, ``atexit``: :mod:`harness.runtimes.process`). A SIGKILL to linmem is
the one way out it cannot see, and a runtime spinning in an infinite loop
would then spin forever. So the first child linmem starts brings up this
small process, in a session of its own, and tells it on a pipe each process
group it starts (``+PGID``) and reaps (``-PGID``). When the pipe ends, which
the kernel does when linmem exits however it exits, the reaper kills every
group still listed and exits. Run as a script (no imports from linmem), so it
starts in a few milliseconds.
"""

from __future__ import annotations

import os
import signal
import sys


def reap(lines) -> set[int]:
    """Follow ``+PGID``/``-PGID`` lines to their end; the groups still listed then."""
    groups: set[int] = set()
    for line in lines:
        sign, number = line[:1], line[1:].strip()
        if number.isdigit():
            (groups.add if sign == "+" else groups.discard)(int(number))
    return groups


def kill_groups(groups: set[int]) -> None:
    """SIGKILL to each process group (gone ones are skipped)."""
    for group in groups:
        try:
            os.killpg(group, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def main() -> None:
    for stop in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(stop, signal.SIG_IGN)  # a terminal's Ctrl-C is linmem's to handle; the reaper waits for the pipe
    kill_groups(reap(sys.stdin))


if __name__ == "__main__":
    main()
