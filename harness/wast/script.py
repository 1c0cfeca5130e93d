"""Reading ``.wast`` spec scripts into commands (the script grammar of the spec interpreter's README).

This module reads; running the commands on runtimes and on the model comes
next. Every command keeps its line. Modules given as text keep their exact
source bytes (so wabt sees them as written); ``binary`` and ``quote`` modules
keep their decoded strings. Constants become canonical bit patterns: integers
with underscores, hex and sign; floats in decimal or hex, rounded once to
their format (never through a double for f32), ``inf``, ``nan`` and
``nan:0x...`` payloads; results may also be ``nan:canonical``,
``nan:arithmetic``, ``(either ...)`` and references. A command the reader does
not know is an error naming its file and line, never skipped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Union

from ..errors import InputError
from ..model.floats import F32, F64
from .literals import LiteralError, parse_float, parse_integer
from .sexpr import Atom, Node, SList, String, column_at, position, read_all

__all__ = ["parse_float", "parse_integer"]  # the literals are read by .literals; tests and callers import them here


class WastError(InputError):
    """A script the reader cannot read."""


class ScriptStateError(InputError):
    """A command refers to a module or export the script's run does not have (e.g. after a failed module)."""


@dataclass(frozen=True)
class Value:
    """A constant or an expected result: a type and bits, or a NaN pattern / reference."""

    type: str  # i32 i64 f32 f64 v128, or a reference type
    bits: int | None = None
    nan: str | None = None  # "canonical" or "arithmetic" (results only)
    reference: str | None = None  # "null", "extern", "func"
    #: a v128's lane shape as written (``i32x4``, ``f32x4``...); ``bits`` is the whole vector
    shape: str | None = None
    #: a v128 result's per-lane NaN patterns (``None`` where a lane is exact bits), lane 0 first
    lane_nans: tuple[str | None, ...] | None = None


@dataclass(frozen=True)
class Either:
    """``(either r1 r2 ...)``: any one of the alternatives."""

    alternatives: tuple["Result", ...]


Result = Union[Value, Either]


@dataclass(frozen=True)
class ModuleCommand:
    """A module: ``text`` (its exact source), ``binary`` or ``quote``; ``definition`` is not instantiated."""

    line: int
    name: str | None
    form: str
    source: bytes
    definition: bool = False


@dataclass(frozen=True)
class Action:
    """``(invoke $M? "name" args*)`` or ``(get $M? "name")``."""

    line: int
    kind: str
    module: str | None
    name: str
    args: tuple[Value, ...] = ()
    column: int = field(default=0, compare=False)  # of its opening parenthesis, for errors


@dataclass(frozen=True)
class Register:
    """``(register "as" $M?)``."""

    line: int
    as_name: str
    module: str | None


@dataclass(frozen=True)
class Assertion:
    """An assertion on an action or a module, with its expected results or message."""

    line: int
    kind: str
    subject: Union[Action, ModuleCommand]
    results: tuple[Result, ...] = ()
    message: str | None = None


Command = Union[ModuleCommand, Action, Register, Assertion]
#: The fields a module is made of: a script made only of them is one inline module.
MODULE_FIELDS = ("type", "import", "func", "table", "memory", "global", "export", "start", "elem", "data")
MODULE_ASSERTIONS = ("assert_invalid", "assert_malformed", "assert_unlinkable", "assert_uninstantiable")


def is_malformed_text(command: Command) -> bool:
    """An ``assert_malformed`` of a text module: judged by wabt's parser, not by any engine."""
    return isinstance(command, Assertion) and command.kind == "assert_malformed" and \
        isinstance(command.subject, ModuleCommand) and command.subject.form != "binary"


def read_script(path: str | Path) -> list[Command]:
    """Every command of a ``.wast`` file."""
    path = Path(path)
    try:
        source = path.read_bytes()
    except FileNotFoundError:
        raise WastError("no such file", path=path) from None
    except OSError as problem:
        raise WastError(f"cannot read: {problem.strerror or problem}", path=path) from None
    nodes = read_all(source, str(path))
    reader = ScriptReader(source, str(path))
    if nodes and all(isinstance(node, SList) and node.head() in MODULE_FIELDS for node in nodes):
        # a script of bare module fields is one module (the spec interpreter's inline form)
        return [ModuleCommand(nodes[0].line, None, "text", b"(module\n" + source + b"\n)")]
    return [reader.command(node) for node in nodes]


class ScriptReader:
    """Turns top-level nodes into commands."""

    def __init__(self, source: bytes, path: str) -> None:
        self.source = source
        self.path = path

    def fail(self, message: str, node: Node) -> WastError:
        """An error at ``node`` of the script (its line and column)."""
        line, column = position(self.source, node.start)
        return WastError(message, path=self.path, line=line, column=column)

    def command(self, node: Node) -> Command:
        """One top-level command."""
        if not isinstance(node, SList) or node.head() is None:
            raise self.fail("expected a command in parentheses", node)
        head = node.head()
        if head == "module":
            return self.module(node)
        if head == "register":
            return self.register(node)
        if head in ("invoke", "get"):
            return self.action(node)
        if head in ("assert_return", "assert_trap", "assert_exhaustion") + MODULE_ASSERTIONS:
            return self.assertion(node, head)
        if head in MODULE_FIELDS:
            raise self.fail(f"module field {head!r} outside a module (a script is either commands or "
                            "only module fields)", node)
        raise self.fail(f"unknown command {head!r}", node)

    def module(self, node: SList) -> ModuleCommand:
        """``(module $M? ...)`` in any of its forms."""
        items = node.items[1:]
        definition = bool(items) and isinstance(items[0], Atom) and items[0].text == "definition"
        if definition:
            items = items[1:]
        name = items[0].text if items and isinstance(items[0], Atom) and items[0].text.startswith("$") else None
        rest = items[1:] if name else items
        form = rest[0].text if rest and isinstance(rest[0], Atom) and rest[0].text in ("binary", "quote") else "text"
        if form == "text":
            return ModuleCommand(node.line, name, form, self._text_module(node, definition), definition)
        strings = rest[1:]
        for item in strings:
            if not isinstance(item, String):
                raise self.fail(f"(module {form} ...) takes only strings", item)
        joined = b"".join(item.value for item in strings)  # type: ignore[union-attr]
        return ModuleCommand(node.line, name, form, joined, definition)

    def _text_module(self, node: SList, definition: bool) -> bytes:
        text = self.source[node.start:node.end]
        return re.sub(rb"^\(module\s+definition\b", b"(module", text) if definition else text

    def name(self, node: String, what: str) -> str:
        """A name string (an export's, a registered module's): it must be UTF-8, as names are."""
        try:
            return node.value.decode("utf-8")
        except UnicodeDecodeError as problem:
            raise self.fail(f"{what} is not valid UTF-8 (byte 0x{node.value[problem.start]:02x} at index "
                            f"{problem.start}); names are UTF-8 text", node) from None

    def register(self, node: SList) -> Register:
        """``(register "name" $M?)``."""
        items = node.items[1:]
        if not items or not isinstance(items[0], String):
            raise self.fail("register needs a name string", node)
        module = items[1].text if len(items) > 1 and isinstance(items[1], Atom) else None
        return Register(node.line, self.name(items[0], "the registered name"), module)

    def action(self, node: SList) -> Action:
        """``invoke`` or ``get``, on the last module or a named one."""
        items = node.items[1:]
        module = None
        if items and isinstance(items[0], Atom) and items[0].text.startswith("$"):
            module, items = items[0].text, items[1:]
        if not items or not isinstance(items[0], String):
            raise self.fail(f"{node.head()} needs an export name string", node)
        if node.head() == "get" and len(items) > 1:
            raise self.fail("get takes no arguments: (get $M? \"name\")", items[1])
        args = tuple(self.constant(item) for item in items[1:])
        return Action(node.line, str(node.head()), module, self.name(items[0], "the export name"), args,
                      column_at(self.source, node.start))

    def assertion(self, node: SList, kind: str) -> Assertion:
        """Any ``assert_*`` command."""
        if len(node.items) < 2 or not isinstance(node.items[1], SList):
            raise self.fail(f"{kind} needs an action or a module", node)
        subject_node = node.items[1]
        subject: Union[Action, ModuleCommand] = (self.module(subject_node) if subject_node.head() == "module"
                                                 else self.action(subject_node))
        rest = node.items[2:]
        if kind == "assert_return":
            return Assertion(node.line, kind, subject, tuple(self.result(item) for item in rest))
        if not rest or not isinstance(rest[0], String):
            raise self.fail(f"{kind} needs a message string", node)
        return Assertion(node.line, kind, subject, message=rest[0].value.decode("utf-8", "replace"))

    def _parts(self, node: Node, what: str) -> tuple[str, Atom | None]:
        if not (isinstance(node, SList) and len(node.items) in (1, 2) and isinstance(node.items[0], Atom)):
            raise self.fail(f"expected a {what} such as (i32.const 1)", node)
        operand = node.items[1] if len(node.items) == 2 else None
        if operand is not None and not isinstance(operand, Atom):
            raise self.fail(f"expected a {what} such as (i32.const 1)", operand)
        return node.items[0].text, operand

    def vector(self, node: SList, *, result: bool) -> Value:
        """``(v128.const SHAPE lane*)``: as many lanes as the shape has; a result's float lanes may be
        ``nan:canonical`` or ``nan:arithmetic``."""
        items = node.items
        if len(items) < 2 or not isinstance(items[1], Atom) or items[1].text not in LANE_SHAPES:
            raise self.fail("expected a lane shape after v128.const: " + ", ".join(LANE_SHAPES), items[1] if len(items) > 1 else node)
        shape = items[1].text
        lanes = items[2:]
        count = LANE_SHAPES[shape][1]
        if len(lanes) != count:
            raise self.fail(f"v128.const {shape} needs {count} lanes, got {len(lanes)}", node)
        for lane in lanes:
            if not isinstance(lane, Atom):
                raise self.fail(f"expected a lane value of v128.const {shape}", lane)
        try:
            return parse_vector(shape, [lane.text for lane in lanes], result=result)  # type: ignore[union-attr]
        except LiteralError as problem:
            failing = next((lane for lane in lanes if _lane_fails(shape, lane.text, result)), node)  # type: ignore[union-attr]
            raise self.fail(str(problem), failing) from None

    def constant(self, node: Node, *, result: bool = False) -> Value:
        """An argument: ``(i32.const 1)``, ``(f32.const nan:0x200000)``, ``(ref.null extern)``...

        ``result``: an expected result, which may also be ``(ref.extern)`` or ``(ref.func)`` (any such reference).
        """
        if isinstance(node, SList) and node.head() == "v128.const":
            return self.vector(node, result=result)
        opcode, operand = self._parts(node, "result" if result else "constant")
        try:
            return parse_constant(opcode, operand.text if operand is not None else "", result=result)
        except LiteralError as problem:
            raise self.fail(str(problem), operand if operand is not None else node) from None

    def result(self, node: Node) -> Result:
        """An expected result: a constant, a NaN pattern, a reference or ``(either ...)``."""
        if isinstance(node, SList) and node.head() == "either":
            if len(node.items) < 2:
                raise self.fail("(either ...) needs at least one result", node)
            return Either(tuple(self._plain_result(item) for item in node.items[1:]))
        return self._plain_result(node)

    def _plain_result(self, node: Node) -> Value:
        if isinstance(node, SList) and node.head() == "either":  # not recursive: either holds plain results
            raise self.fail("(either ...) cannot hold another (either ...)", node)
        if isinstance(node, SList) and node.head() == "v128.const":
            return self.vector(node, result=True)
        opcode, operand = self._parts(node, "result")
        if operand is not None and operand.text in ("nan:canonical", "nan:arithmetic") and \
                opcode in ("f32.const", "f64.const"):
            return Value(opcode[:3], nan=operand.text.split(":")[1])
        return self.constant(node, result=True)


#: the reference types ``ref.null`` names, by heap type
HEAP_TYPES = {"extern": "externref", "func": "funcref"}


def parse_constant(opcode: str, operand: str, *, result: bool = False) -> Value:
    """The value of ``(opcode operand)``; raises :class:`LiteralError` for a malformed literal.

    ``result``: an expected result, where ``(ref.extern)`` (any) and ``(ref.func)`` are allowed too.
    """
    kind = opcode.split(".")[0]
    if opcode in ("i32.const", "i64.const"):
        return Value(kind, parse_integer(operand, 32 if kind == "i32" else 64))
    if opcode in ("f32.const", "f64.const"):
        return Value(kind, parse_float(operand, F32 if kind == "f32" else F64))
    if opcode == "ref.null":
        if operand not in HEAP_TYPES:
            raise LiteralError(f"(ref.null {operand}): expected a heap type, func or extern")
        return Value(HEAP_TYPES[operand], reference="null")
    if opcode in ("ref.extern", "ref.host") or (opcode == "ref.func" and result):
        if not operand and not result:
            raise LiteralError(f"({opcode}) needs a number as an argument, such as ({opcode} 1)")
        bits = parse_integer(operand, 32) if operand else None
        return Value("externref" if opcode != "ref.func" else "funcref", bits, reference=opcode.split(".")[1])
    raise LiteralError(f"unknown constant {opcode!r}" + (" as an argument" if opcode == "ref.func" else ""))


#: a v128's lane shapes: (lane type, lane count); a lane of ``iNxM`` is an N-bit integer
LANE_SHAPES = {"i8x16": ("i8", 16), "i16x8": ("i16", 8), "i32x4": ("i32", 4), "i64x2": ("i64", 2),
               "f32x4": ("f32", 4), "f64x2": ("f64", 2)}
NAN_PATTERNS = ("nan:canonical", "nan:arithmetic")


def parse_vector(shape: str, lanes: list[str], *, result: bool = False) -> Value:
    """``v128.const SHAPE lanes...`` as one 128-bit little-endian value (lane 0 in the low bits).

    >>> hex(parse_vector("i32x4", ["1", "2", "3", "-1"]).bits)
    '0xffffffff000000030000000200000001'
    >>> parse_vector("f32x4", ["nan:canonical", "0", "0", "nan:arithmetic"], result=True).lane_nans
    ('canonical', None, None, 'arithmetic')
    """
    lane_type, count = LANE_SHAPES[shape]
    width = 128 // count
    bits = 0
    nans: list[str | None] = []
    for number, text in enumerate(lanes):
        nan = None
        if text in NAN_PATTERNS and lane_type[0] == "f" and result:
            nan, lane = text.split(":")[1], 0
        else:
            lane = _lane_bits(lane_type, text)
        nans.append(nan)
        bits |= lane << (number * width)
    lane_nans = tuple(nans) if any(nans) else None
    return Value("v128", bits, shape=shape, lane_nans=lane_nans)


def _lane_bits(lane_type: str, text: str) -> int:
    if lane_type == "f32":
        return parse_float(text, F32)
    if lane_type == "f64":
        return parse_float(text, F64)
    return parse_integer(text, int(lane_type[1:]))


def _lane_fails(shape: str, text: str, result: bool) -> bool:
    """Whether one lane literal is what makes a ``v128.const`` malformed (to point at it)."""
    lane_type = LANE_SHAPES[shape][0]
    if result and lane_type[0] == "f" and text in NAN_PATTERNS:
        return False
    try:
        _lane_bits(lane_type, text)
    except LiteralError:
        return True
    return False
