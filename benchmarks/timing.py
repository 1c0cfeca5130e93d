"""What every benchmark here times with: the best of several runs."""

from __future__ import annotations

import compileall
import time
from pathlib import Path
from typing import Callable


def best_of(repeat: int, action: Callable[[], object]) -> float:
    """The fastest of ``repeat`` timed runs, in seconds."""
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        timings.append(time.perf_counter() - started)
    return min(timings)


def compile_linmem_bytecode() -> None:
    """Compile linmem's sources to bytecode, as pip does when it installs linmem's wheel.

    A benchmark that starts ``linmem`` as a command measures it as installed:
    an editable install where ``PYTHONDONTWRITEBYTECODE`` is set (as on the
    machines these figures were taken on) would otherwise compile every module
    again in every run and in every model worker, about 0.1 s each time.
    """
    compileall.compile_dir(Path(__file__).resolve().parent.parent / "harness", quiet=1)
