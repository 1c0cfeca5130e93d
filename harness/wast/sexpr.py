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


#: white space and line comments, as one run (block comments nest, so the reader skips those itself)
_BLANK = re.compile(rb"(?:[ \t\n\r]+|;;[^\n]*)+")
#: a keyword, identifier or number: up to a delimiter or white space
_ATOM = re.compile(rb"[^()\"; \t\n\r]+")
#: the bytes of a string that stand for themselves (no quote, backslash or control character)
_PLAIN = re.compile(rb"[^\"\\\x00-\x1f\x7f]+")
#: blanks, then one common token: an opening parenthesis (not a block comment's), a closing one, an atom,
#: or a string with no escape (its bytes as they are). The blanks match one way only (a byte at a time, a
#: line comment to its end), so a failed match backtracks in linear time and never into a comment.
_TOKEN = re.compile(rb"(?:[ \t\n\r]|;;[^\n]*(?=\n|\Z))*(?:(\((?!;))|(\))|([^()\"; \t\n\r]+)|\"([^\"\\\x00-\x1f\x7f]*)\")")
#: where a block comment's depth changes
_BLOCK_MARK = re.compile(rb"\(;|;\)")


class Reader:
    """A cursor over a script's bytes, read token by token with regular expressions.

    ``line`` is the line of the last node read; it is brought up to date (by
    counting the newlines passed) only where a node starts, not byte by byte.
    """

    def __init__(self, source: bytes, path: str) -> None:
        self.source = source
        self.path = path
        self.offset = 0
        self.line = 1
        self._counted = 0  # the offset ``line`` was counted up to

    def fail(self, message: str, at: int | None = None) -> SexprError:
        """An error at the current (or the given) byte offset, with its line and column."""
        line, column = position(self.source, self.offset if at is None else at)
        return SexprError(message, path=self.path, line=line, column=column)

    def skip_blank(self) -> None:
        """Skip white space and both kinds of comment."""
        source = self.source
        while True:
            blank = _BLANK.match(source, self.offset)
            if blank:
                self.offset = blank.end()
            if not source.startswith(b"(;", self.offset):
                return
            self._skip_block_comment()

    def _skip_block_comment(self) -> None:
        start, depth = self.offset, 0
        for mark in _BLOCK_MARK.finditer(self.source, start):
            depth += 1 if mark[0] == b"(;" else -1
            if depth == 0:
                self.offset = mark.end()
                return
        raise self.fail("unterminated block comment", start)

    def read_string(self) -> String:
        """A string literal starting at the current quote."""
        source = self.source
        start, line = self.offset, self._line_at(self.offset)
        self.offset += 1
        value = bytearray()
        while True:
            plain = _PLAIN.match(source, self.offset)
            if plain:
                value += plain[0]
                self.offset = plain.end()
            if self.offset >= len(source):
                raise self.fail("unterminated string", start)
            byte = source[self.offset]
            if byte == ord('"'):
                self.offset += 1
                return String(bytes(value), line, start)
            if byte == ord("\n"):
                raise self.fail("newline in a string (write it as \\n)")
            if byte in _CONTROL:
                raise self.fail(f"control character 0x{byte:02x} in a string (write it as an escape)")
            value += self._escape()  # the only byte left: a backslash

    def _escape(self) -> bytes:
        following = self.source[self.offset + 1:self.offset + 2]
        if following and following[0] in _ESCAPES:
            self.offset += 2
            return _ESCAPES[following[0]]
        if following == b"u":
            return self._unicode_escape()
        pair = self.source[self.offset + 1:self.offset + 3]
        if len(pair) != 2 or not all(digit in _HEX_DIGITS for digit in pair):
            raise self.fail(f"unknown escape \\{pair.decode('utf-8', 'replace')}")
        self.offset += 3
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
        self.offset = match.end()
        return chr(code).encode("utf-8")

    def read_atom(self) -> Atom:
        """A run of characters up to a delimiter or white space (at least one)."""
        start = self.offset
        atom = _ATOM.match(self.source, start)
        self.offset = atom.end() if atom else start
        return Atom(self.source[start:self.offset].decode("utf-8", "replace"), self._line_at(start), start)

    def _line_at(self, offset: int) -> int:
        """The line of ``offset``, at or after the offset the line was last counted to."""
        self.line += self.source.count(b"\n", self._counted, offset)
        self._counted = offset
        return self.line

    def read_all(self) -> list[Node]:
        """Every top-level node, each list holding its items (read without recursion).

        One regular expression reads the common tokens (after any blanks): a
        parenthesis, an atom, a string without escapes. Anything else (a block
        comment, a string with escapes, the end, an error) is read by the
        methods above.
        """
        source, size, token = self.source, len(self.source), _TOKEN.match
        top: list[Node] = []
        open_lists: list[SList] = []
        siblings = top
        offset = 0
        while True:
            match = token(source, offset)
            if match is None:
                self.offset = offset
                self.skip_blank()
                offset = self.offset
                if offset >= size:
                    if open_lists:
                        raise self.fail("unclosed '('", open_lists[-1].start)
                    return top
                if source[offset] == 0x22:  # a string with escapes (or a bad one)
                    siblings.append(self.read_string())
                    offset = self.offset
                elif source[offset] == 0x3B:
                    raise self.fail("unexpected ';' (a comment starts with ';;' or '(;')")
                continue  # after a block comment
            kind = match.lastindex
            start, offset = match.start(kind), match.end()
            if kind == 2:  # )
                if not open_lists:
                    raise self.fail("unexpected ')'", start)
                open_lists.pop().end = offset
                siblings = open_lists[-1].items if open_lists else top
                continue
            if kind == 4:  # the quote opens just before the string's bytes
                start -= 1
            self.line += source.count(b"\n", self._counted, start)  # :meth:`_line_at`, inline: it is hot
            self._counted = start
            if kind == 1:  # (
                opened = SList(line=self.line, start=start)
                siblings.append(opened)
                open_lists.append(opened)
                siblings = opened.items
            elif kind == 3:
                siblings.append(Atom(match[3].decode("utf-8", "replace"), self.line, start))
            else:
                siblings.append(String(match[4], self.line, start))


def read_all(source: bytes, path: str) -> list[Node]:
    """Every top-level node of a script."""
    return Reader(source, path).read_all()
