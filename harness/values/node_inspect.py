"""Printing values the way Node's ``console.log`` shows them.

Typed arrays follow ``util.inspect``'s defaults (``breakLength`` 80,
``compact`` 3, at most 100 items): short arrays on one line
(``Uint32Array(3) [ 7, 4, 11 ]``), more than six numbers grouped in aligned
columns over several lines, exactly as Node's ``groupArrayElements`` lays
them out. Strings print as they are, as ``console.log`` does.
"""

from __future__ import annotations

import math
from typing import Sequence

from .codec import encode_number

BREAK_LENGTH = 80
COMPACT = 3
MAX_ARRAY_LENGTH = 100


def format_number(value: int | float) -> str:
    """A number as ``util.inspect`` writes it (``-0``, ``NaN``, ``Infinity``, ``1.5``, ``1e-7``)."""
    encoded = encode_number(value)
    if isinstance(encoded, str):
        return encoded  # NaN, Infinity, -Infinity, -0 print as they are encoded
    if isinstance(encoded, int):
        return str(encoded)
    return number_to_string(encoded)


def number_to_string(value: float) -> str:
    """ECMAScript's Number::toString for a finite, non-zero double.

    Python's ``repr`` gives the same shortest round-trip digits; only the
    layout differs (JavaScript writes 1e21 as ``1e+21`` but 1e20 in full, and
    0.000001 in full but 1e-7 as ``1e-7``).

    >>> [number_to_string(x) for x in (0.5, 1e20, 1e21, 1e-7, 0.000001, -2.5e-7, 123.0)]
    ['0.5', '100000000000000000000', '1e+21', '1e-7', '0.000001', '-2.5e-7', '123']
    """
    sign = "-" if value < 0 else ""
    mantissa, _, exponent_text = repr(abs(value)).partition("e")
    whole, _, fraction = mantissa.partition(".")
    digits = (whole + fraction.rstrip("0")).lstrip("0") or "0"
    # the decimal exponent n of ECMAScript: value = 0.d1d2...dk * 10**n
    leading_zeros = len(whole + fraction) - len((whole + fraction).lstrip("0"))
    n = len(whole) + int(exponent_text or 0) - leading_zeros
    k = len(digits)
    if k <= n <= 21:
        return sign + digits + "0" * (n - k)
    if 0 < n <= 21:
        return sign + digits[:n] + "." + digits[n:]
    if -6 < n <= 0:
        return sign + "0." + "0" * -n + digits
    exponent = f"e{'+' if n - 1 >= 0 else '-'}{abs(n - 1)}"
    return sign + digits[0] + ("." + digits[1:] if k > 1 else "") + exponent


def _group(output: list[str], numeric: bool) -> list[str]:
    """Node's ``groupArrayElements`` for an output with more than six entries."""
    output_length = len(output) - (1 if output and output[-1].startswith("... ") else 0)
    separator_space = 2
    lengths = [len(entry) for entry in output[:output_length]]
    total_length = sum(lengths) + separator_space * output_length
    max_length = max(lengths)
    actual_max = max_length + separator_space
    if not (actual_max * 3 < BREAK_LENGTH and (total_length / actual_max > 5 or max_length <= 6)):
        return output
    average_bias = math.sqrt(actual_max - total_length / len(output))
    biased_max = max(actual_max - 3 - average_bias, 1)
    columns = min(
        _js_round(math.sqrt(2.5 * biased_max * output_length) / biased_max),
        BREAK_LENGTH // actual_max, COMPACT * 4, 15)
    if columns <= 1:
        return output
    max_line_length = [max(lengths[i::columns], default=0) + separator_space for i in range(columns)]
    grouped = []
    for start in range(0, output_length, columns):
        stop = min(start + columns, output_length)
        cells = []
        for j in range(start, stop - 1):
            cell = f"{output[j]}, "
            width = max_line_length[j - start]
            cells.append(cell.rjust(width) if numeric else cell.ljust(width))
        last = output[stop - 1]
        cells.append(last.rjust(max_line_length[stop - 1 - start] - separator_space) if numeric else last)
        grouped.append("".join(cells))
    grouped.extend(output[output_length:])
    return grouped


def _js_round(value: float) -> int:
    """JavaScript's ``Math.round`` (halves round up, unlike Python's ``round``)."""
    return math.floor(value + 0.5)


def _below_break_length(output: list[str], start: int) -> bool:
    total = len(output) + start
    if total + len(output) > BREAK_LENGTH:
        return False
    return total + sum(len(entry) for entry in output) <= BREAK_LENGTH


def format_typed_array(type_name: str, values: Sequence[int | float]) -> str:
    """``Uint32Array(3) [ 7, 4, 11 ]``, laid out as Node lays it out.

    >>> format_typed_array("Uint32Array", [7, 4, 11])
    'Uint32Array(3) [ 7, 4, 11 ]'
    """
    suffix = "n" if type_name.startswith("Big") else ""
    output = [format_number(value) + suffix for value in values[:MAX_ARRAY_LENGTH]]
    if len(values) > MAX_ARRAY_LENGTH:
        remaining = len(values) - MAX_ARRAY_LENGTH
        output.append(f"... {remaining} more item{'s' if remaining > 1 else ''}")
    brace = f"{type_name}({len(values)}) ["
    if not output:
        return f"{brace}]"
    entries = len(output)
    if entries > 6:
        output = _group(output, numeric=True)
    if entries == len(output):
        start = len(output) + len(brace) + 10
        if _below_break_length(output, start):
            return f"{brace} {', '.join(output)} ]"
    return f"{brace}\n  " + ",\n  ".join(output) + "\n]"


def format_value(type_name: str, value: object) -> str:
    """A reported value as ``console.log`` prints it: typed arrays inspected, strings raw."""
    if type_name.endswith("Array") and isinstance(value, list):
        return format_typed_array(type_name, value)
    return str(value)
