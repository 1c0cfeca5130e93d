"""Mutated inputs: a seed file of our own corpus and a few byte- or token-level edits to it.

An edit is a small record Hypothesis can shrink: fewer edits, earlier
positions, shorter payloads. Positions are taken modulo the input's length, so
every edit applies to every seed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from hypothesis import strategies as st

EDIT_KINDS = ("flip", "delete", "insert", "duplicate", "overwrite", "truncate")

#: tokens worth inserting into a TOML or JSON scenario: structure, quoting, the values checkers meet
TOML_TOKENS = (
    b"[[steps]]\n", b"[memory]\n", b"[imports.\"js.f\"]\n", b"[[modules]]\n", b"op = ", b"view = ", b"offset = ",
    b"values = ", b"expect = ", b"wat = ", b"= []", b"= {}", b"= 5", b"= -1", b"= true", b"= \"\"", b"= [1, 2]",
    b"= nan", b"= inf", b"= -0.0", b"= 1e400", b"= 0x7fffffff", b"= \"$x\"", b"= \"$x + 1\"", b"'''", b'"""', b'"',
    b"'", b"\\u{0}", b"\\uD800", b"\\", b"#", b"\n", b"=", b".", b",", b"[", b"]", b"{", b"}",
    b"1979-05-27T07:32:00Z", b"9" * 4400, b"[" * 200, b"{\"a\": " * 50, b"\xff", b"\x00", b"\xef\xbb\xbf",
)

#: tokens worth inserting into a .wast script: delimiters, comments, escapes, literals, command heads
WAST_TOKENS = (
    b"(", b")", b";", b";;", b"(;", b";)", b'"', b"\\", b"\\u{", b"\\u{110000}", b"\\u{d800}", b"\\u{zz}", b"\\ff",
    b"\\n", b"nan:0x", b"nan:canonical", b"0x1p", b"e99", b"e999999999", b"0x", b"_", b"-", b"+", b"inf",
    b"i32.const ", b"i64.const ", b"f32.const ", b"f64.const ", b"(module ", b"(module binary ", b"(module quote ",
    b"(module definition ", b"(assert_return ", b"(assert_trap ", b"(assert_invalid ", b"(assert_malformed ",
    b"(invoke ", b"(get ", b"(register ", b"(either ", b"(ref.extern ", b"(ref.null ", b"$M ", b"\n", b" ",
    b"(" * 300, b"\xff", b"\x00", b"\xc3",
)

#: byte runs worth inserting into a wasm binary: long and overlong LEB128s, prefixes, ends, section ids
WASM_TOKENS = (
    b"\x00", b"\x01", b"\x0b", b"\x7f", b"\x80", b"\xff\xff\xff\xff\x0f", b"\xff\xff\xff\xff\x7f",
    b"\x80\x80\x80\x80\x80\x00", b"\xff" * 10, b"\x41\x00", b"\x42\x7f", b"\x28\x02\x00", b"\x40", b"\x02\x40",
    b"\x03\x40", b"\x04\x40", b"\x05", b"\xfc\x08\x00\x00", b"\xfc\x0a\x00\x00", b"\xfc\x0b\x00", b"\xfd\x00\x04\x00",
    b"\xfd\x0c" + bytes(16), b"\xfd\x80\x02", b"\xfb\x00", b"\xfe\x00", b"\xd0\x70", b"\xd2\x00", b"\x60\x00\x00",
    b"\x0c\x01\x01", b"\x11\x00\x00", b"\x1c\x01\x7f", b"\x00asm\x01\x00\x00\x00",
)


@dataclass(frozen=True)
class Edit:
    """One change: ``kind`` at ``position`` (modulo the length), ``size`` bytes, with ``payload``."""

    kind: str
    position: int
    size: int
    payload: bytes


def edits(tokens: Sequence[bytes], most: int = 6) -> st.SearchStrategy[list[Edit]]:
    """A short list of edits; inserted and overwriting payloads are ``tokens`` or a few random bytes."""
    one = st.builds(Edit, st.sampled_from(EDIT_KINDS), st.integers(0, 1 << 16), st.integers(1, 64),
                    st.one_of(st.sampled_from(tokens), st.binary(min_size=1, max_size=8)))
    return st.lists(one, min_size=1, max_size=most)


def apply_edits(seed: bytes, changes: Sequence[Edit]) -> bytes:
    """``seed`` with each edit applied in turn."""
    data = bytearray(seed)
    for change in changes:
        at = change.position % (len(data) + 1)
        span = data[at:at + change.size]
        if change.kind == "flip" and at < len(data):
            data[at] ^= (change.payload[0] or 1)
        elif change.kind == "delete":
            del data[at:at + change.size]
        elif change.kind == "insert":
            data[at:at] = change.payload
        elif change.kind == "duplicate":
            data[at:at] = span
        elif change.kind == "overwrite":
            data[at:at + len(change.payload)] = change.payload
        elif change.kind == "truncate":
            del data[at:]
    return bytes(data)
