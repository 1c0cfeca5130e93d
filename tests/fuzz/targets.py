"""The three fuzzed readers, each as a call on one input file and the rule its errors must keep."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

from harness.errors import HarnessError
from harness.model import decode_module
from harness.model.traps import UnsupportedInstruction
from harness.model.validate import validate
from harness.runtimes.probes import module_requirements
from harness.scenarios.format import load_scenario
from harness.wast.script import read_script

from .isolation import TIME_BOUND, Outcome, run_bounded

#: an input: the file name's suffix (what the loader goes by) and the file's bytes
FuzzInput = tuple[str, bytes]


@dataclass(frozen=True)
class Target:
    """A reader under fuzzing: what it does with one input, which errors it may raise, and their rule."""

    name: str
    read: Callable[[Path], object]
    check: Callable[[HarnessError, Path], Optional[str]]
    allowed: tuple[type[BaseException], ...] = ()

    def run(self, item: FuzzInput, directory: Path, seconds: float = TIME_BOUND) -> Outcome:
        """Write the input to a file in ``directory`` and read it in a bounded child."""
        suffix, data = item
        path = directory / f"fuzz-{self.name}{suffix}"

        def call() -> object:
            path.write_bytes(data)
            return self.read(path)
        return run_bounded(call, check=lambda error: self.check(error, path), allowed=self.allowed, seconds=seconds)


def names_the_file(error: HarnessError, path: Path) -> str | None:
    """A user's error must say which file it is about."""
    return None if str(path) in error.one_line() else "does not name the file"


def names_file_and_line(error: HarnessError, path: Path) -> str | None:
    """A script's error must name the file and the line (the reader always knows it)."""
    return names_the_file(error, path) or (None if error.line is not None else "does not name the line")


def _decode_and_validate(path: Path) -> object:
    """What linmem does with a binary before instantiating it: decode, validate, work out what it needs."""
    module = decode_module(path.read_bytes())
    validate(module)
    return module_requirements(module)


SCENARIOS = Target("scenario", load_scenario, names_the_file)
WAST = Target("wast", read_script, names_file_and_line)
#: UnsupportedInstruction is the model's documented gap (GC and atomic prefixes): callers report it as such
DECODER = Target("decoder", _decode_and_validate, lambda error, path: None, (UnsupportedInstruction,))
