"""Recognising trap kinds from engines' error messages: the one table of message patterns.

Runtimes report a trap as a ``RuntimeError`` whose message is the engine's
own wording; linmem compares the contract's trap *kind* instead. Each pattern
below is checked by a test on the real runtime. Some messages name more than
one kind (V8 says "float unrepresentable in integer range" both for NaN and
for overflow); then the kind the reference predicts is chosen if it is one of
them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ..model.traps import TrapKind


@dataclass(frozen=True)
class MessagePattern:
    """An engine's message for one or more trap kinds."""

    engine: str
    pattern: re.Pattern[str]
    kinds: tuple[TrapKind, ...]


def _pattern(engine: str, regex: str, *kinds: TrapKind) -> MessagePattern:
    return MessagePattern(engine, re.compile(regex, re.IGNORECASE), kinds)


K = TrapKind
PATTERNS: tuple[MessagePattern, ...] = (
    _pattern("V8", r"memory access out of bounds", K.OUT_OF_BOUNDS_MEMORY),
    _pattern("V8", r"data segment (\d+ )?(is )?out of bounds|data segment has been dropped", K.OUT_OF_BOUNDS_MEMORY),
    _pattern("V8", r"divide by zero|remainder by zero", K.INTEGER_DIVIDE_BY_ZERO),
    _pattern("V8", r"divide result unrepresentable", K.INTEGER_OVERFLOW),
    _pattern("V8", r"float unrepresentable in integer range", K.INTEGER_OVERFLOW, K.INVALID_CONVERSION),
    _pattern("V8", r"^unreachable$|unreachable (code|executed)", K.UNREACHABLE),
    _pattern("V8", r"maximum call stack size exceeded", K.CALL_STACK_EXHAUSTED),
    _pattern("V8", r"null function or function signature mismatch", K.INDIRECT_CALL, K.UNINITIALIZED_ELEMENT),
    _pattern("V8", r"function signature mismatch", K.INDIRECT_CALL, K.UNINITIALIZED_ELEMENT),
    _pattern("V8", r"^null function$", K.UNINITIALIZED_ELEMENT),
    _pattern("V8", r"table index is out of bounds|invalid index into function table|table access out of bounds",
             K.OUT_OF_BOUNDS_TABLE),
    _pattern("V8", r"element segment (\d+ )?(is )?out of bounds", K.OUT_OF_BOUNDS_TABLE),
    _pattern("JavaScriptCore", r"out of bounds memory access", K.OUT_OF_BOUNDS_MEMORY),
    _pattern("JavaScriptCore", r"segment writes outside of memory", K.OUT_OF_BOUNDS_MEMORY),
    _pattern("JavaScriptCore", r"division by zero", K.INTEGER_DIVIDE_BY_ZERO),
    _pattern("JavaScriptCore", r"integer overflow", K.INTEGER_OVERFLOW),
    _pattern("JavaScriptCore", r"out of bounds float to integer conversion|out of bounds trunc operation",
             K.INTEGER_OVERFLOW, K.INVALID_CONVERSION),
    _pattern("JavaScriptCore", r"unreachable code should not be executed", K.UNREACHABLE),
    _pattern("JavaScriptCore", r"call_indirect to a signature that does not match", K.INDIRECT_CALL,
             K.UNINITIALIZED_ELEMENT),
    _pattern("JavaScriptCore", r"out of bounds table access", K.OUT_OF_BOUNDS_TABLE),
    _pattern("JavaScriptCore", r"out of bounds call_indirect", K.OUT_OF_BOUNDS_TABLE),
)


def trap_kinds(message: str) -> tuple[TrapKind, ...]:
    """Every trap kind the message can stand for (empty if it is not a known trap message)."""
    for entry in PATTERNS:
        if entry.pattern.search(message):
            return entry.kinds
    return ()


def normalise(observation: Any, hint: Any = None) -> Any:
    """Add ``"trap"`` to an error observation whose message names a trap kind.

    ``hint`` is the reference's observation of the same step; its trap kind
    settles messages that stand for several kinds.
    """
    if not (isinstance(observation, dict) and "error" in observation and "message" in observation):
        return observation
    kinds = trap_kinds(observation["message"])
    if not kinds:
        return observation
    wanted = hint.get("trap") if isinstance(hint, dict) else None
    chosen = next((kind for kind in kinds if kind.value == wanted), kinds[0])
    return {**observation, "trap": chosen.value}


#: messages of a RangeError that is an engine's own size limit, not a semantic the model predicts
ENGINE_LIMITS = re.compile(r"invalid array length|array buffer allocation failed|invalid string length|"
                           r"out of memory|could not allocate memory|cannot allocate|allocation failed",
                           re.IGNORECASE)
#: V8 words a view past its buffer and a view past its own maximum alike; only the second is this long
_TYPED_ARRAY_LIMIT = re.compile(r"invalid typed array length: (\d+)", re.IGNORECASE)
#: elements below which a refused typed-array length is the buffer's bounds (which the model checks), not a limit
LIMIT_LENGTH = 2**28


def engine_limit(observed: Any, predicted: Any) -> str | None:
    """The engine's message when ``observed`` is a size limit the model does not have (it predicted no error).

    >>> engine_limit({"error": "RangeError", "message": "Invalid typed array length: 4294967296"}, [0, 0])
    'RangeError: Invalid typed array length: 4294967296'
    >>> engine_limit({"error": "RangeError", "message": "Invalid typed array length: 9"}, [0, 0])
    """
    if not (isinstance(observed, dict) and observed.get("error") == "RangeError"):
        return None
    message = str(observed.get("message", ""))
    too_long = _TYPED_ARRAY_LIMIT.search(message)
    is_limit = ENGINE_LIMITS.search(message) or (too_long and int(too_long[1]) >= LIMIT_LENGTH)
    if not is_limit or (isinstance(predicted, dict) and "error" in predicted):
        return None
    return f"RangeError: {message}"
