"""Reading S-expressions as the WebAssembly text format writes them (for ``.wast`` scripts).

Files are read as bytes. Line comments (``;;``) and nested block comments
(``(; ... ;)``) are skipped; strings keep their escapes decoded to bytes
(``\\n``, ``\\t``, ``\\\\``, ``\\'``, ``\\"``, ``\\hh``, ``\\u{...}``). Every node
knows its line and its byte span, so a script's module can be handed to wabt
exactly as written, and every error names its line and column.

The reader keeps its open lists on a stack of its own, not on Python's call
stack, so any depth of parentheses reads (a few hundred thousand levels cost
no more than as many siblings).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Union

from ..errors import InputError

_DELIMITERS = b"()\";"
_SPACE = b" \t\n\r"
_ESCAPES = {ord("n"): b"\n", ord("t"): b"\t", ord("r"): b"\r", ord("\\"): b"\\", ord("'"): b"'", ord('"'): b'"'}
#: ``\u{hexnum}``: hex digits, an underscore only between two of them
_UNICODE_ESCAPE = re.compile(rb"u\{([0-9a-fA-F](?:_?[0-9a-fA-F])*)\}")
_HEX_DIGITS = b"0123456789abcdefABCDEF"
#: the characters a string may hold as they are (the spec's ``stringchar``): no control character
_CONTROL = set(range(0x20)) | {0x7F}


class SexprError(InputError):
    """Text that is not a well-formed S-expression."""


@dataclass(frozen=True)
class Atom:
    """A keyword, identifier or number, as written (``start`` is its byte offset)."""

    text: str
    line: int
    start: int = 0


@dataclass(frozen=True)
class String:
    """A string literal, as the bytes it denotes (``start`` is the offset of its opening quote)."""

    value: bytes
    line: int
    start: int = 0


@dataclass
class SList:
    """A parenthesised list and the byte span ``[start, end)`` it covers."""

    items: list["Node"] = field(default_factory=list)
    line: int = 0
    start: int = 0
    end: int = 0

    def head(self) -> str | None:
        """The first item's text when it is an atom (``module``, ``assert_return``...)."""
        return self.items[0].text if self.items and isinstance(self.items[0], Atom) else None


Node = Union[Atom, String, SList]


def position(source: bytes, offset: int) -> tuple[int, int]:
    """The 1-based line and column (in characters) of byte ``offset``.

    >>> position(b"(module\\n  (func))", 10)
    (2, 3)
    """
    return source.count(b"\n", 0, offset) + 1, column_at(source, offset)


def column_at(source: bytes, offset: int) -> int:
    """The 1-based column (in characters) of byte ``offset``: cheap, it looks back to the line's start only."""
    line_start = source.rfind(b"\n", 0, offset) + 1
    return len(source[line_start:offset].decode("utf-8", "replace")) + 1


class Reader:
    """A cursor over a script's bytes."""

    def __init__(self, source: bytes, path: str) -> None:
        self.source = source
        self.path = path
        self.offset = 0
        self.line = 1

    def fail(self, message: str, at: int | None = None) -> SexprError:
        """An error at the current (or the given) byte offset, with its line and column."""
        line, column = position(self.source, self.offset if at is None else at)
        return SexprError(message, path=self.path, line=line, column=column)

    def _advance(self, count: int = 1) -> None:
        self.line += self.source.count(b"\n", self.offset, self.offset + count)
        self.offset += count

    def skip_blank(self) -> None:
        """Skip white space and both kinds of comment."""
        while self.offset < len(self.source):
            if self.source[self.offset] in _SPACE:
                self._advance()
            elif self.source.startswith(b";;", self.offset):
                end = self.source.find(b"\n", self.offset)
                self._advance((end if end >= 0 else len(self.source)) - self.offset)
            elif self.source.startswith(b"(;", self.offset):
                self._skip_block_comment()
            else:
                return

    def _skip_block_comment(self) -> None:
        start, depth = self.offset, 0
        while self.offset < len(self.source):
            if self.source.startswith(b"(;", self.offset):
                depth += 1
                self._advance(2)
            elif self.source.startswith(b";)", self.offset):
                depth -= 1
                self._advance(2)
                if depth == 0:
                    return
            else:
                self._advance()
        raise self.fail("unterminated block comment", start)

    def read_string(self) -> String:
        """A string literal starting at the current quote."""
        start, line = self.offset, self.line
        self._advance()
        value = bytearray()
        while True:
            if self.offset >= len(self.source):
                raise self.fail("unterminated string", start)
            byte = self.source[self.offset]
            if byte == ord('"'):
                self._advance()
                return String(bytes(value), line, start)
            if byte == ord("\n"):
                raise self.fail("newline in a string (write it as \\n)")
            if byte in _CONTROL:
                raise self.fail(f"control character 0x{byte:02x} in a string (write it as an escape)")
            if byte == ord("\\"):
                value += self._escape()
            else:
                value.append(byte)
                self._advance()

    def _escape(self) -> bytes:
        following = self.source[self.offset + 1:self.offset + 2]
        if following and following[0] in _ESCAPES:
            self._advance(2)
            return _ESCAPES[following[0]]
        if following == b"u":
            return self._unicode_escape()
        pair = self.source[self.offset + 1:self.offset + 3]
        if len(pair) != 2 or not all(digit in _HEX_DIGITS for digit in pair):
            raise self.fail(f"unknown escape \\{pair.decode('utf-8', 'replace')}")
        self._advance(3)
        return bytes([int(pair, 16)])

    def _unicode_escape(self) -> bytes:
        """``\\u{hexnum}``: a Unicode scalar value (not a surrogate, at most 0x10FFFF) as UTF-8."""
        match = _UNICODE_ESCAPE.match(self.source, self.offset + 1)
        if not match:
            raise self.fail("malformed \\u{...} escape: expected hex digits in braces, such as \\u{1F600}")
        digits = match[1].replace(b"_", b"").lstrip(b"0") or b"0"
        code = int(digits, 16) if len(digits) <= 6 else 0x110000  # more digits are out of range anyway
        if code >= 0x110000 or 0xD800 <= code < 0xE000:
            raise self.fail(f"\\u{{{match[1].decode()}}} is not a Unicode scalar value "
                            "(a surrogate, or above 10FFFF)")
        self._advance(match.end() - self.offset)
        return chr(code).encode("utf-8")

    def read_atom(self) -> Atom:
        """A run of characters up to a delimiter or white space (at least one)."""
        start, line = self.offset, self.line
        while self.offset < len(self.source) and self.source[self.offset] not in _DELIMITERS + _SPACE:
            self._advance()
        return Atom(self.source[start:self.offset].decode("utf-8", "replace"), line, start)

    def read_all(self) -> list[Node]:
        """Every top-level node, each list holding its items (read without recursion)."""
        top: list[Node] = []
        open_lists: list[SList] = []
        while True:
            self.skip_blank()
            if self.offset >= len(self.source):
                if open_lists:
                    raise self.fail("unclosed '('", open_lists[-1].start)
                return top
            byte = self.source[self.offset]
            if byte == ord(")"):
                if not open_lists:
                    raise self.fail("unexpected ')'")
                self._advance()
                open_lists.pop().end = self.offset
                continue
            siblings = open_lists[-1].items if open_lists else top
            if byte == ord("("):
                opened = SList(line=self.line, start=self.offset)
                self._advance()
                siblings.append(opened)
                open_lists.append(opened)
            elif byte == ord('"'):
                siblings.append(self.read_string())
            elif byte == ord(";"):
                raise self.fail("unexpected ';' (a comment starts with ';;' or '(;')")
            else:
                siblings.append(self.read_atom())


def read_all(source: bytes, path: str) -> list[Node]:
    """Every top-level node of a script."""
    return Reader(source, path).read_all()
