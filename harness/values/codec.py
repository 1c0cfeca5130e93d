"""Lossless JSON encoding of JavaScript values, the same on every runtime and in the model.

- Numbers: JSON numbers, except ``"NaN"``, ``"Infinity"``, ``"-Infinity"`` and ``"-0"``.
- BigInts (i64, BigInt views): decimal strings such as ``"-1"``.
- Strings: JSON strings.

:func:`encode_number` / :func:`decode_number` and :func:`encode_bigint` /
:func:`decode_bigint` are the two directions; ``js/driver.js`` implements the
same rules.
"""

from __future__ import annotations

import math
import struct
from typing import Any

SPECIAL_NUMBERS = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf, "-0": -0.0}


class ValueEncodingError(ValueError):
    """A JSON value that does not encode a value of the expected kind."""


def encode_number(value: float | int) -> float | int | str:
    """A JavaScript Number as JSON: integral values as ints, special values as strings.

    >>> [encode_number(x) for x in (7, 7.0, 0.5, -0.0, float("nan"), float("-inf"))]
    [7, 7, 0.5, '-0', 'NaN', '-Infinity']
    """
    if isinstance(value, int):
        return value
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0 and math.copysign(1.0, value) < 0:
        return "-0"
    if value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


#: integers beyond this magnitude travel as decimal strings: a JSON number there is not exact in JavaScript
SAFE_INTEGER = 2**53


def encode_input(value: Any) -> Any:
    """A value from a scenario file (a number, a BigInt, a list of them) as the driver receives it, losslessly.

    NaN, the infinities and -0 become their special strings (JSON has no
    literal for them); an integer past 2**53 becomes a decimal string, which
    the driver turns into an exact BigInt for a BigInt view or i64, and into
    the nearest double (``ToNumber``, Infinity past the range) otherwise: the
    same double JSON's own parsing of that integer would give. A NaN's payload
    is not carried: JavaScript's numbers do not keep it either.

    >>> encode_input([float("nan"), float("inf"), -0.0, 1.5, 2**64 - 1, 7])
    ['NaN', 'Infinity', '-0', 1.5, '18446744073709551615', 7]
    """
    if isinstance(value, list):
        return [encode_input(item) for item in value]
    if isinstance(value, float):
        return with_special_numbers(value)
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > SAFE_INTEGER:
        return str(value)
    return value


def encode_address_value(value: int | float, address: str) -> Any:
    """A page count from a scenario (``initial``, ``maximum``, a grow's ``delta``) as the driver passes it to the JS API.

    The JS API's ``AddressValue`` is a BigInt for a 64-bit memory and a Number
    for a 32-bit one. A scenario's integer for a 64-bit memory is a BigInt,
    sent tagged, ``{"bigint": "N"}``, as no Number could stand for it; every
    other value is a Number, sent as :func:`encode_input` sends one (a float
    is a Number even for a 64-bit memory, which the JS API refuses).

    >>> encode_address_value(2**64, "i64"), encode_address_value(1.0, "i64"), encode_address_value(3, "i32")
    ({'bigint': '18446744073709551616'}, 1.0, 3)
    """
    if address == "i64" and isinstance(value, int) and not isinstance(value, bool):
        return {"bigint": str(value)}
    return encode_input(value)


def with_special_numbers(value: Any) -> Any:
    """``value`` (an ``expect`` from a file) with NaN, the infinities and -0 as observations spell them.

    >>> with_special_numbers({"values": [float("nan"), -0.0, 0.0, float("-inf")]})
    {'values': ['NaN', '-0', 0.0, '-Infinity']}
    """
    if isinstance(value, list):
        return [with_special_numbers(item) for item in value]
    if isinstance(value, dict):
        return {key: with_special_numbers(item) for key, item in value.items()}
    if isinstance(value, float) and (not math.isfinite(value) or (value == 0 and math.copysign(1.0, value) < 0)):
        return encode_number(value)
    return value


def decode_number(encoded: Any) -> float | int:
    """The Number a JSON value stands for; raises :class:`ValueEncodingError` for anything else."""
    if isinstance(encoded, bool):
        raise ValueEncodingError(f"{encoded!r} is not a number")
    if isinstance(encoded, (int, float)):
        return encoded
    if isinstance(encoded, str) and encoded in SPECIAL_NUMBERS:
        return SPECIAL_NUMBERS[encoded]
    raise ValueEncodingError(f"{encoded!r} is not a number (special values: NaN, Infinity, -Infinity, -0)")


def encode_bigint(value: int) -> str:
    """A BigInt as a decimal string."""
    return str(value)


def decode_bigint(encoded: Any) -> int:
    """The BigInt a JSON number or decimal string stands for."""
    if isinstance(encoded, bool):
        raise ValueEncodingError(f"{encoded!r} is not an integer")
    if isinstance(encoded, int):
        return encoded
    if isinstance(encoded, float) and encoded.is_integer():
        return int(encoded)
    if isinstance(encoded, str):
        try:
            return int(encoded.strip(), 10)
        except ValueError:
            pass
    raise ValueEncodingError(f"{encoded!r} is not an integer or a decimal string")


def f32_bits_to_number(bits: int) -> float:
    """The Number a wasm f32 becomes in JavaScript (exact: every f32 is a double)."""
    return struct.unpack("<f", bits.to_bytes(4, "little"))[0]


def f64_bits_to_number(bits: int) -> float:
    """The Number a wasm f64 becomes in JavaScript."""
    return struct.unpack("<d", bits.to_bytes(8, "little"))[0]
