"""Reading S-expressions as the WebAssembly text format writes them (for ``.wast`` scripts).

Files are read as bytes. Line comments (``;;``) and nested block comments
(``(; ... ;)``) are skipped; strings keep their escapes decoded to bytes
(``\\n``, ``\\t``, ``\\\\``, ``\\'``, ``\\"``, ``\\hh``, ``\\u{...}``). Every node
knows its line and its byte span, so a script's module can be handed to wabt
exactly as written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union

from ..errors import InputError

_DELIMITERS = b"()\";"
_SPACE = b" \t\n\r"
_ESCAPES = {ord("n"): b"\n", ord("t"): b"\t", ord("r"): b"\r", ord("\\"): b"\\", ord("'"): b"'", ord('"'): b'"'}


class SexprError(InputError):
    """Text that is not a well-formed S-expression."""


@dataclass(frozen=True)
class Atom:
    """A keyword, identifier or number, as written."""

    text: str
    line: int


@dataclass(frozen=True)
class String:
    """A string literal, as the bytes it denotes."""

    value: bytes
    line: int


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


class Reader:
    """A cursor over a script's bytes."""

    def __init__(self, source: bytes, path: str) -> None:
        self.source = source
        self.path = path
        self.offset = 0
        self.line = 1

    def fail(self, message: str, line: int | None = None) -> SexprError:
        """An error at the current (or the given) line."""
        return SexprError(message, path=self.path, line=line or self.line)

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
        line, depth = self.line, 0
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
        raise self.fail("unterminated block comment", line)

    def read_string(self) -> String:
        """A string literal starting at the current quote."""
        line = self.line
        self._advance()
        value = bytearray()
        while True:
            if self.offset >= len(self.source):
                raise self.fail("unterminated string", line)
            byte = self.source[self.offset]
            if byte == ord('"'):
                self._advance()
                return String(bytes(value), line)
            if byte == ord("\n"):
                raise self.fail("newline in a string", line)
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
        if self.source.startswith(b"u{", self.offset + 1):
            end = self.source.find(b"}", self.offset)
            if end < 0:
                raise self.fail("unterminated \\u{...} escape")
            code = int(self.source[self.offset + 3:end].replace(b"_", b""), 16)
            self._advance(end + 1 - self.offset)
            return chr(code).encode("utf-8")
        pair = self.source[self.offset + 1:self.offset + 3]
        try:
            value = bytes([int(pair, 16)])
        except ValueError:
            raise self.fail(f"unknown escape \\{pair.decode('latin-1')}") from None
        self._advance(3)
        return value

    def read_atom(self) -> Atom:
        """A run of characters up to a delimiter or white space."""
        start, line = self.offset, self.line
        while self.offset < len(self.source) and self.source[self.offset] not in _DELIMITERS + _SPACE:
            self._advance()
        return Atom(self.source[start:self.offset].decode("utf-8", "replace"), line)

    def read_node(self) -> Node:
        """One node (atom, string or list) after skipping blanks."""
        self.skip_blank()
        if self.offset >= len(self.source):
            raise self.fail("unexpected end of file")
        byte = self.source[self.offset]
        if byte == ord("("):
            return self.read_list()
        if byte == ord(")"):
            raise self.fail("unexpected ')'")
        if byte == ord('"'):
            return self.read_string()
        return self.read_atom()

    def read_list(self) -> SList:
        """A parenthesised list starting at the current ``(``."""
        node = SList(line=self.line, start=self.offset)
        self._advance()
        while True:
            self.skip_blank()
            if self.offset >= len(self.source):
                raise self.fail("unclosed '(' ", node.line)
            if self.source[self.offset] == ord(")"):
                self._advance()
                node.end = self.offset
                return node
            node.items.append(self.read_node())


def read_all(source: bytes, path: str) -> list[Node]:
    """Every top-level node of a script."""
    reader = Reader(source, path)
    nodes = []
    while True:
        reader.skip_blank()
        if reader.offset >= len(source):
            return nodes
        nodes.append(reader.read_node())
