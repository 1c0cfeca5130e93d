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
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Union

from ..errors import InputError
from ..model.floats import F32, F64, Format
from .sexpr import Atom, Node, SList, String, read_all


class WastError(InputError):
    """A script the reader cannot read."""


@dataclass(frozen=True)
class Value:
    """A constant or an expected result: a type and bits, or a NaN pattern / reference."""

    type: str  # i32 i64 f32 f64, or a reference type
    bits: int | None = None
    nan: str | None = None  # "canonical" or "arithmetic" (results only)
    reference: str | None = None  # "null", "extern", "func"


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

    def fail(self, message: str, line: int) -> WastError:
        """An error at ``line`` of the script."""
        return WastError(message, path=self.path, line=line)

    def command(self, node: Node) -> Command:
        """One top-level command."""
        if not isinstance(node, SList) or node.head() is None:
            raise self.fail("expected a command in parentheses", node.line)
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
                            "only module fields)", node.line)
        raise self.fail(f"unknown command {head!r}", node.line)

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
        if not all(isinstance(item, String) for item in strings):
            raise self.fail(f"(module {form} ...) takes only strings", node.line)
        joined = b"".join(item.value for item in strings)  # type: ignore[union-attr]
        return ModuleCommand(node.line, name, form, joined, definition)

    def _text_module(self, node: SList, definition: bool) -> bytes:
        text = self.source[node.start:node.end]
        return re.sub(rb"^\(module\s+definition\b", b"(module", text) if definition else text

    def register(self, node: SList) -> Register:
        """``(register "name" $M?)``."""
        items = node.items[1:]
        if not items or not isinstance(items[0], String):
            raise self.fail("register needs a name string", node.line)
        module = items[1].text if len(items) > 1 and isinstance(items[1], Atom) else None
        return Register(node.line, items[0].value.decode("utf-8"), module)

    def action(self, node: SList) -> Action:
        """``invoke`` or ``get``, on the last module or a named one."""
        items = node.items[1:]
        module = None
        if items and isinstance(items[0], Atom) and items[0].text.startswith("$"):
            module, items = items[0].text, items[1:]
        if not items or not isinstance(items[0], String):
            raise self.fail(f"{node.head()} needs an export name string", node.line)
        args = tuple(self.constant(item) for item in items[1:])
        return Action(node.line, str(node.head()), module, items[0].value.decode("utf-8"), args)

    def assertion(self, node: SList, kind: str) -> Assertion:
        """Any ``assert_*`` command."""
        if len(node.items) < 2 or not isinstance(node.items[1], SList):
            raise self.fail(f"{kind} needs an action or a module", node.line)
        subject_node = node.items[1]
        subject: Union[Action, ModuleCommand] = (self.module(subject_node) if subject_node.head() == "module"
                                                 else self.action(subject_node))
        rest = node.items[2:]
        if kind == "assert_return":
            return Assertion(node.line, kind, subject, tuple(self.result(item) for item in rest))
        if not rest or not isinstance(rest[0], String):
            raise self.fail(f"{kind} needs a message string", node.line)
        return Assertion(node.line, kind, subject, message=rest[0].value.decode("utf-8", "replace"))

    def _parts(self, node: Node, what: str) -> tuple[str, str]:
        if not (isinstance(node, SList) and len(node.items) in (1, 2) and isinstance(node.items[0], Atom)):
            raise self.fail(f"expected a {what} such as (i32.const 1)", node.line)
        operand = node.items[1] if len(node.items) == 2 else None
        if operand is not None and not isinstance(operand, Atom):
            raise self.fail(f"expected a {what} such as (i32.const 1)", node.line)
        return node.items[0].text, operand.text if operand is not None else ""

    def constant(self, node: Node) -> Value:
        """An argument: ``(i32.const 1)``, ``(f32.const nan:0x200000)``, ``(ref.null extern)``..."""
        opcode, operand = self._parts(node, "constant")
        try:
            return parse_constant(opcode, operand)
        except ValueError as problem:
            raise self.fail(str(problem), node.line) from None

    def result(self, node: Node) -> Result:
        """An expected result: a constant, a NaN pattern, a reference or ``(either ...)``."""
        if isinstance(node, SList) and node.head() == "either":
            return Either(tuple(self.result(item) for item in node.items[1:]))
        opcode, operand = self._parts(node, "result")
        if operand in ("nan:canonical", "nan:arithmetic") and opcode in ("f32.const", "f64.const"):
            return Value(opcode[:3], nan=operand.split(":")[1])
        return self.constant(node)


# -- literals ---------------------------------------------------------------------------

def parse_constant(opcode: str, operand: str) -> Value:
    """The value of ``(opcode operand)``; raises ``ValueError`` for a malformed literal."""
    kind = opcode.split(".")[0]
    if opcode in ("i32.const", "i64.const"):
        return Value(kind, parse_integer(operand, 32 if kind == "i32" else 64))
    if opcode in ("f32.const", "f64.const"):
        return Value(kind, parse_float(operand, F32 if kind == "f32" else F64))
    if opcode == "ref.null":
        return Value({"extern": "externref", "func": "funcref"}.get(operand, operand or "funcref"), reference="null")
    if opcode in ("ref.extern", "ref.func", "ref.host"):
        bits = parse_integer(operand, 32) if operand else None
        return Value("externref" if opcode != "ref.func" else "funcref", bits, reference=opcode.split(".")[1])
    raise ValueError(f"unknown constant {opcode!r}")


def parse_integer(text: str, bits: int) -> int:
    """An integer literal (sign, underscores, hex) as an N-bit pattern; out of range is an error."""
    clean = text.replace("_", "")
    negative = clean.startswith("-")
    digits = clean.lstrip("+-")
    try:
        magnitude = int(digits, 16) if digits.lower().startswith("0x") else int(digits, 10)
    except ValueError:
        raise ValueError(f"malformed integer {text!r}") from None
    value = -magnitude if negative else magnitude
    if not -(1 << (bits - 1)) <= value < (1 << bits):
        raise ValueError(f"integer {text!r} does not fit i{bits}")
    return value % (1 << bits)


def parse_float(text: str, fmt: Format) -> int:
    """A float literal as the format's bit pattern, rounded once, ties to even."""
    clean = text.replace("_", "")
    sign = fmt.sign if clean.startswith("-") else 0
    body = clean.lstrip("+-")
    exponent_all_ones = fmt.exponent_mask
    if body == "inf":
        return sign | exponent_all_ones
    if body == "nan":
        return sign | exponent_all_ones | fmt.quiet
    if body.startswith("nan:0x"):
        payload = int(body[6:], 16)
        if not 0 < payload <= fmt.mantissa_mask:
            raise ValueError(f"NaN payload out of range in {text!r}")
        return sign | exponent_all_ones | payload
    try:
        exact = _hex_fraction(body) if body.lower().startswith("0x") else Fraction(body)
    except (ValueError, ZeroDivisionError):
        raise ValueError(f"malformed float {text!r}") from None
    return sign | round_to_format(exact, fmt)


def _hex_fraction(body: str) -> Fraction:
    match = re.fullmatch(r"0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?(?:[pP]([+-]?\d+))?", body)
    if not match or not (match[1] or match[2]):
        raise ValueError(body)
    whole, fraction, exponent = match[1] or "0", match[2] or "", int(match[3] or 0)
    mantissa = int(whole + fraction, 16)
    return Fraction(mantissa) * Fraction(2) ** (exponent - 4 * len(fraction))


def round_to_format(value: Fraction, fmt: Format) -> int:
    """The bits of a non-negative exact value in ``fmt``, round to nearest, ties to even."""
    if value == 0:
        return 0
    mantissa_bits = fmt.mantissa_bits
    bias = (1 << (fmt.bits - 2 - mantissa_bits)) - 1
    exponent = value.numerator.bit_length() - value.denominator.bit_length()
    if Fraction(2) ** exponent > value:
        exponent -= 1
    exponent = max(exponent, 1 - bias)  # subnormals share the smallest exponent
    scaled = value / Fraction(2) ** (exponent - mantissa_bits)
    quotient, remainder = divmod(scaled.numerator, scaled.denominator)
    twice = 2 * remainder
    if twice > scaled.denominator or (twice == scaled.denominator and quotient & 1):
        quotient += 1
    if quotient >> (mantissa_bits + 1):
        quotient >>= 1
        exponent += 1
    if exponent > bias:
        return fmt.exponent_mask  # overflow: infinity
    if quotient >> mantissa_bits == 0:
        return quotient  # subnormal
    return ((exponent + bias) << mantissa_bits) | (quotient & fmt.mantissa_mask)
