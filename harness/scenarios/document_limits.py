"""What a scenario document may hold beyond its schema: how deep it nests, how long an integer is, which types.

Python's TOML and JSON decoders recurse once per nested array or table and
read integers through ``int()``, which refuses more than 4,300 digits; and
TOML has date-times, which no scenario key takes. These checks turn each into
one clean input error, with a line and column where the text gives one
(:func:`too_deep`, :func:`long_integer`) or the step and key where only the
decoded document does (:func:`unusable_value`). They read the text without
recursion, so no depth or length of input can crash them.
"""

from __future__ import annotations

import datetime
import sys
from typing import Any, Iterator

#: How deeply arrays and tables may nest; far beyond any real scenario, far below Python's recursion limit.
MAX_NESTING = 100
#: The longest decimal integer literal Python reads by default (``sys.get_int_max_str_digits``).
MAX_INTEGER_DIGITS = sys.get_int_max_str_digits() if hasattr(sys, "get_int_max_str_digits") else 4300

_OPENERS, _CLOSERS = "[{", "]}"


def _code(text: str) -> Iterator[tuple[int, str]]:
    """Each character of ``text`` outside strings and comments, with its index (TOML's and JSON's strings)."""
    index, end = 0, len(text)
    while index < end:
        char = text[index]
        if char == "#":
            newline = text.find("\n", index)
            index = end if newline < 0 else newline
            continue
        if char in "\"'":
            index = _string_end(text, index)
            continue
        yield index, char
        index += 1


def code_indices(text: str) -> set[int]:
    """The indices of ``text``'s characters outside strings and comments."""
    return {index for index, _ in _code(text)}


def _string_end(text: str, start: int) -> int:
    """The index just past the string opening at ``start`` (basic, literal, or multi-line of either)."""
    quote = text[start]
    delimiter = quote * 3 if text.startswith(quote * 3, start) else quote
    index = start + len(delimiter)
    while index < len(text):
        if quote == '"' and text[index] == "\\":
            index += 2
            continue
        if text.startswith(delimiter, index):
            index += len(delimiter)
            while len(delimiter) == 3 and index < len(text) and text[index] == quote:
                index += 1  # up to two quotes may end a multi-line string's content
            return index
        if len(delimiter) == 1 and text[index] == "\n":
            return index  # an unterminated one-line string: the decoder reports it
        index += 1
    return index


def position(text: str, index: int) -> tuple[int, int]:
    """The line and column (from 1) of ``text[index]``."""
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


def too_deep(text: str) -> tuple[int, int] | None:
    """The line and column of the first bracket that nests deeper than :data:`MAX_NESTING`, if any.

    >>> too_deep("x = " + "[" * 101 + "]" * 101)
    (1, 105)
    >>> too_deep('x = "' + "[" * 200 + '"') is None
    True
    """
    if sum(text.count(opener) for opener in _OPENERS) <= MAX_NESTING:
        return None  # no bracket can be deeper than there are brackets
    depth = 0
    for index, char in _code(text):
        if char in _OPENERS:
            depth += 1
            if depth > MAX_NESTING:
                return position(text, index)
        elif char in _CLOSERS:
            depth = max(depth - 1, 0)
    return None


def long_integer(text: str) -> tuple[int, int, int] | None:
    """The line, column and digit count of the first decimal integer literal over :data:`MAX_INTEGER_DIGITS`.

    >>> long_integer("a = 1\\nb = -" + "1_0" * 3000)
    (2, 6, 6000)
    """
    run_start, digits = -1, 0
    previous = ""
    for index, char in _code(text + "\n"):
        if char.isdigit() or (char == "_" and run_start >= 0):
            if run_start < 0:
                if previous.isalnum() or previous in "._":
                    previous = char
                    continue  # inside a float's fraction or exponent, a hex literal, a key: not a decimal integer
                run_start, digits = index, 0
            digits += char != "_"
        else:
            if run_start >= 0 and digits > MAX_INTEGER_DIGITS and char not in ".eE":
                line, column = position(text, run_start)
                return line, column, digits
            run_start = -1
        previous = char
    return None


def unusable_value(document: Any) -> str | None:
    """Why a decoded document cannot be a scenario (too deep, a date-time), naming where; ``None`` if it can be."""
    pending: list[tuple[Any, tuple[Any, ...]]] = [(document, ())]
    while pending:
        value, path = pending.pop()
        if len(path) > MAX_NESTING and len(_step_key(path)[1]) > MAX_NESTING:  # (never longer than the path)
            return f"{_where(path)}: values nest more than {MAX_NESTING} levels deep"
        if isinstance(value, (datetime.date, datetime.time)):
            return f"{_where(path)}: a date or time is not a value any scenario key takes"
        # a plain value (not a date, not too deep) can be no problem: it is not looked at again
        plain = len(path) < MAX_NESTING
        if isinstance(value, dict):
            pending.extend((item, (*path, key)) for key, item in value.items()
                           if not (plain and type(item) in _PLAIN))
        elif isinstance(value, list):
            pending.extend((item, (*path, position)) for position, item in enumerate(value)
                           if not (plain and type(item) in _PLAIN))
    return None


#: the types of values that hold nothing :func:`unusable_value` looks for
_PLAIN = frozenset({int, float, str, bool})


def _step_key(path: tuple[Any, ...]) -> tuple[str, tuple[Any, ...]]:
    """A path split into the step it is in (``"3.1"``, or ``""``) and the key path within (one level per container)."""
    prefix = ""
    if len(path) >= 2 and path[0] == "steps" and isinstance(path[1], int):
        prefix, path = f"step {path[1] + 1}", path[2:]
        while len(path) >= 3 and path[0] == "steps" and isinstance(path[1], int):  # a repeat's body
            prefix, path = f"{prefix}.{path[1] + 1}", path[2:]
    return prefix, path


def _where(path: tuple[Any, ...]) -> str:
    """``step 3: key 'expect'[0]`` for a path into the document; steps are numbered from 1."""
    prefix, path = _step_key(path)
    if not path:
        return prefix
    key = f"key '{path[0]}'" + "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in path[1:])
    return f"{prefix}: {key}" if prefix else key
