"""The one error hierarchy of linmem.

Every error a user can cause (bad input) or meet (a broken setup, a runtime
that dies) is a :class:`HarnessError`. The command line and the pytest plugin
print :meth:`HarnessError.one_line` and never a traceback; an exception that is
not a ``HarnessError`` is a bug in linmem.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

EXIT_AGREE = 0
EXIT_DIFFERENCE = 1
EXIT_BAD_INPUT = 2
EXIT_INTERNAL = 3


class HarnessError(Exception):
    """Base of every error linmem reports to its user."""

    exit_code = EXIT_BAD_INPUT

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None = None,
        line: int | None = None,
        column: int | None = None,
        detail: str = "",
    ) -> None:
        super().__init__(message)
        self.message = message
        self.path = str(path) if path is not None else None
        self.line = line
        self.column = column
        self.detail = detail

    def location(self) -> str:
        """``file:line:column`` as far as known, or an empty string."""
        parts = [p for p in (self.path, self.line, self.column) if p is not None]
        return ":".join(str(p) for p in parts)

    def one_line(self) -> str:
        """The error as the single line a user sees."""
        where = self.location()
        text = " ".join(self.message.split("\n"))
        return f"{where}: {text}" if where else text


class InputError(HarnessError):
    """Something the user gave linmem is unusable (file, flag, module)."""


class OutputPathError(InputError):
    """A file the user asked linmem to write (a report, ``compile -o``) cannot be written there."""


class InputErrors(InputError):
    """Several bad inputs at once, found before anything runs; each is one line of the detail."""

    def __init__(self, errors: Sequence[HarnessError]) -> None:
        lines = [error.one_line() for error in errors]
        super().__init__(f"{len(errors)} bad input{'s' if len(errors) > 1 else ''}:" if len(errors) > 1 else lines[0],
                         detail="\n".join(lines) if len(errors) > 1 else errors[0].detail)
        self.errors = list(errors)


class MissingFileError(InputError):
    """A file named on the command line or in a case does not exist."""


class WatError(InputError):
    """wabt rejected a text module: malformed (parse) or invalid (validate)."""

    def __init__(self, message: str, *, stage: str, excerpt: str = "", **where: object) -> None:
        super().__init__(message, detail=excerpt, **where)  # type: ignore[arg-type]
        self.stage = stage
        self.excerpt = excerpt


class WasmDecodeError(InputError):
    """A binary is not a WebAssembly module the reference decoder can read."""

    def __init__(self, message: str, *, offset: int | None = None, path: str | Path | None = None) -> None:
        at = f" (at byte offset {offset})" if offset is not None else ""
        super().__init__(message + at, path=path)
        self.offset = offset


class SetupError(HarnessError):
    """The machine lacks something linmem needs (a Node, the npm packages)."""


class RuntimeNotFound(SetupError):
    """No JavaScript runtime could be found in any of the places looked at."""


class RuntimeBroken(SetupError):
    """A runtime was found but does not start or does not answer like Node."""


class NpmInstallError(SetupError):
    """Installing the npm side (wabt.js) with the runtime's bundled npm failed."""


class RuntimeFailure(HarnessError):
    """A runtime crashed, hung or broke the protocol while running a case."""


class ToolTimeout(RuntimeFailure):
    """A child process did not answer within its time limit and was killed."""


class ProtocolError(RuntimeFailure):
    """A child process answered with something that is not the expected JSON."""
