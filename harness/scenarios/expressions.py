"""Integer expressions over named step results: ``"$ptr + 16"``, ``"$w.written"``, ``"$out[0]"``.

A step's ``as = "name"`` keeps its observation; a later integer key may be a
string using ``$name``. linmem parses it once (here, with Python's own
``ast`` and a whitelist of node types), checks it against what the named
steps can observe, and sends it to every side as a small postfix program
(:meth:`Expression.program`) that ``js/driver.js`` and :func:`evaluate`
run alike, each with its own observations. Arithmetic is on unbounded
integers; ``/`` and ``%`` round toward negative infinity.

>>> expression = parse_expression("($ptr + 7) & ~7")
>>> expression.names
('ptr',)
>>> evaluate(expression.program, {"ptr": 13})
16
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from typing import Any, Mapping

#: the operators of the language, by ast node type, with the postfix name both sides use
_BINARY = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.FloorDiv: "/", ast.Mod: "%", ast.BitAnd: "&",
           ast.BitOr: "|", ast.BitXor: "^", ast.LShift: "<<", ast.RShift: ">>"}
_UNARY = {ast.USub: "neg", ast.UAdd: "pos", ast.Invert: "~"}
_NAME = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
#: no deeper nesting than this (a bound for the recursive parse and for both evaluators)
MAX_DEPTH = 64
MAX_SHIFT = 4096


class ExpressionError(ValueError):
    """An expression that cannot be parsed or cannot be evaluated."""


@dataclass(frozen=True)
class Reference:
    """``$name`` followed by keys (``.written``) and indices (``[0]``)."""

    name: str
    path: tuple[str | int, ...]

    def __str__(self) -> str:
        return "$" + self.name + "".join(f".{p}" if isinstance(p, str) else f"[{p}]" for p in self.path)


@dataclass(frozen=True)
class Expression:
    """A parsed expression: its source, the references it makes and its postfix program."""

    source: str
    program: tuple[Any, ...]
    references: tuple[Reference, ...]

    @property
    def names(self) -> tuple[str, ...]:
        """The names it uses, in order of first use."""
        return tuple(dict.fromkeys(reference.name for reference in self.references))

    def as_json(self) -> dict[str, Any]:
        """How the driver receives it: ``{"expr": source, "program": [...]}``."""
        return {"expr": self.source, "program": list(self.program)}


def is_expression(value: Any) -> bool:
    """True for a string that uses ``$name`` (a v1 file never holds one where an integer goes)."""
    return isinstance(value, str) and "$" in value


def parse_expression(source: str) -> Expression:
    """Parse ``source``; raise :class:`ExpressionError` saying what is wrong."""
    python_source = _NAME.sub(lambda match: f"__ref_{match[1]}", source)
    if "$" in python_source:
        raise ExpressionError(f"{source!r}: '$' must start a name ($ptr)")
    try:
        tree = ast.parse(python_source.strip().replace("/", "//").replace("////", "//"), mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        raise ExpressionError(f"{source!r} is not an integer expression") from None
    program: list[Any] = []
    references: list[Reference] = []
    _emit(tree.body, source, program, references, 0)
    return Expression(source, tuple(program), tuple(references))


def _emit(node: ast.AST, source: str, program: list[Any], references: list[Reference], depth: int) -> None:
    if depth > MAX_DEPTH:
        raise ExpressionError(f"{source!r} nests deeper than {MAX_DEPTH} levels")
    if isinstance(node, ast.Constant) and isinstance(node.value, int) and not isinstance(node.value, bool):
        program.append(["int", str(node.value)])
    elif isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        _emit(node.left, source, program, references, depth + 1)
        _emit(node.right, source, program, references, depth + 1)
        program.append([_BINARY[type(node.op)]])
    elif isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
        _emit(node.operand, source, program, references, depth + 1)
        program.append([_UNARY[type(node.op)]])
    else:
        reference = _reference(node, source)
        references.append(reference)
        program.append(["ref", reference.name, *reference.path])


def _reference(node: ast.AST, source: str) -> Reference:
    path: list[str | int] = []
    while True:
        if isinstance(node, ast.Attribute):
            path.insert(0, node.attr)
            node = node.value
        elif isinstance(node, ast.Subscript):
            index = node.slice
            if not (isinstance(index, ast.Constant) and isinstance(index.value, int)
                    and not isinstance(index.value, bool) and index.value >= 0):
                raise ExpressionError(f"{source!r}: an index must be a non-negative integer ($out[0])")
            path.insert(0, index.value)
            node = node.value
        else:
            break
    if isinstance(node, ast.Name) and node.id.startswith("__ref_"):
        return Reference(node.id[len("__ref_"):], tuple(path))
    raise ExpressionError(f"{source!r} is not an integer expression (integers, $names, + - * / % & | ^ << >> ~)")


def resolve(value: Any, path: tuple[Any, ...] | list[Any]) -> Any:
    """Follow keys and indices into an observation; :class:`ExpressionError` where there is none."""
    for part in path:
        if isinstance(part, str) and isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(part, int) and isinstance(value, list) and part < len(value):
            value = value[part]
        else:
            raise ExpressionError(f"the value has no {'key' if isinstance(part, str) else 'index'} {part!r}")
    return value


def integer_of(value: Any) -> int:
    """A JSON-encoded observation as an integer: a whole JSON number or an i64 decimal string."""
    if isinstance(value, bool):
        raise ExpressionError(f"{value!r} is not an integer")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"-?[0-9]+", value):
        return int(value)
    raise ExpressionError(f"{str(value)[:40]} is not an integer")


def evaluate(program: tuple[Any, ...] | list[Any], values: Mapping[str, Any]) -> int:
    """Run a postfix program with the named observations ``values`` (the model's side)."""
    stack: list[int] = []
    for instruction in program:
        operator = instruction[0]
        if operator == "int":
            stack.append(int(instruction[1]))
        elif operator == "ref":
            if instruction[1] not in values:
                raise ExpressionError(f"${instruction[1]} has no value")
            stack.append(integer_of(resolve(values[instruction[1]], instruction[2:])))
        elif operator in ("neg", "pos", "~"):
            operand = stack.pop()
            stack.append(-operand if operator == "neg" else operand if operator == "pos" else ~operand)
        else:
            right, left = stack.pop(), stack.pop()
            stack.append(_binary(operator, left, right))
    return stack[0]


def _binary(operator: str, left: int, right: int) -> int:
    if operator in ("/", "%") and right == 0:
        raise ExpressionError("division by zero")
    if operator in ("<<", ">>") and not 0 <= right <= MAX_SHIFT:
        raise ExpressionError(f"a shift by {right} (0 to {MAX_SHIFT})")
    return {
        "+": lambda: left + right, "-": lambda: left - right, "*": lambda: left * right,
        "/": lambda: left // right, "%": lambda: left % right, "&": lambda: left & right,
        "|": lambda: left | right, "^": lambda: left ^ right, "<<": lambda: left << right,
        ">>": lambda: left >> right,
    }[operator]()
