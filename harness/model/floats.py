"""Floating-point instructions on bit patterns, bit-exact.

f32 and f64 values are carried as their IEEE 754 bit patterns. Sign
operations (``abs``, ``neg``, ``copysign``) and reinterpretations never touch
the payload. Where the spec lets a NaN result be any canonical or arithmetic
NaN, the model makes the choice x86-64 hardware makes (every runtime in the
matrix runs there): a NaN operand propagates with its quiet bit set (the first
one if both are NaN), an invalid operation (0/0, inf-inf, sqrt(-1)) yields the
default NaN with the sign bit set, and ``min``/``max`` with any NaN operand
yield that default NaN too (V8's code for them; checked against V8 by
``tests/test_model_floats.py``). All of these are NaNs the spec allows.
"""

from __future__ import annotations

import math
import struct
from typing import Callable

from .opcodes import BY_NAME
from .traps import Trap, TrapKind
from .views import to_float32


class Format:
    """One binary format (f32 or f64): its bit layout and conversions."""

    def __init__(self, bits: int, mantissa_bits: int, code: str) -> None:
        self.bits = bits
        self.mantissa_bits = mantissa_bits
        self.code = code
        self.sign = 1 << (bits - 1)
        self.exponent_mask = ((1 << (bits - 1 - mantissa_bits)) - 1) << mantissa_bits
        self.quiet = 1 << (mantissa_bits - 1)
        self.mantissa_mask = (1 << mantissa_bits) - 1
        self.default_nan = self.sign | self.exponent_mask | self.quiet

    def is_nan(self, bits: int) -> bool:
        """True for any NaN pattern."""
        return (bits & self.exponent_mask) == self.exponent_mask and bool(bits & self.mantissa_mask)

    def to_float(self, bits: int) -> float:
        """The value (not for NaNs: their payload would not survive)."""
        return struct.unpack("<" + self.code, bits.to_bytes(self.bits // 8, "little"))[0]

    def from_float(self, value: float) -> int:
        """The bits of ``value`` rounded to this format (NaN becomes the default NaN)."""
        if math.isnan(value):
            return self.default_nan
        if self.bits == 32:
            value = to_float32(value)
        return int.from_bytes(struct.pack("<" + self.code, value), "little")


F32 = Format(32, 23, "f")
F64 = Format(64, 52, "d")


def _nan_operand(fmt: Format, *operands: int) -> int | None:
    """The first NaN operand, quieted, or None when no operand is NaN."""
    for bits in operands:
        if fmt.is_nan(bits):
            return bits | fmt.quiet
    return None


def _arithmetic(fmt: Format, operation: Callable[[float, float], float]) -> Callable[[int, int], int]:
    def apply(a: int, b: int) -> int:
        propagated = _nan_operand(fmt, a, b)
        if propagated is not None:
            return propagated
        try:
            result = operation(fmt.to_float(a), fmt.to_float(b))
        except ZeroDivisionError:
            x, y = fmt.to_float(a), fmt.to_float(b)
            if x == 0 or math.isnan(x):
                return fmt.default_nan
            negative = (math.copysign(1, x) < 0) != (math.copysign(1, y) < 0)
            result = -math.inf if negative else math.inf
        return fmt.from_float(result)
    return apply


def _safe(operation: Callable[[float, float], float]) -> Callable[[float, float], float]:
    def apply(x: float, y: float) -> float:
        result = operation(x, y)
        return math.nan if math.isnan(result) else result
    return apply


def _min_max(fmt: Format, pick_min: bool) -> Callable[[int, int], int]:
    def apply(a: int, b: int) -> int:
        if fmt.is_nan(a) or fmt.is_nan(b):
            return fmt.default_nan  # V8 on x86-64 answers min/max of a NaN with the default NaN
        x, y = fmt.to_float(a), fmt.to_float(b)
        if x == y:  # only zeros of different sign differ here
            return (a | b) if pick_min else (a & b)
        return a if (x < y) == pick_min else b
    return apply


def _rounding(fmt: Format, operation: Callable[[float], float]) -> Callable[[int], int]:
    def apply(a: int) -> int:
        if fmt.is_nan(a):
            return a | fmt.quiet
        x = fmt.to_float(a)
        if math.isinf(x) or x == 0:
            return a
        return fmt.from_float(math.copysign(operation(x), x))
    return apply


def _sqrt(fmt: Format) -> Callable[[int], int]:
    def apply(a: int) -> int:
        if fmt.is_nan(a):
            return a | fmt.quiet
        x = fmt.to_float(a)
        if x == 0:
            return a  # sqrt(-0) is -0
        if x < 0:
            return fmt.default_nan
        return fmt.from_float(math.sqrt(x))
    return apply


def _compare(fmt: Format, relation: Callable[[float, float], bool], nan_result: int = 0) -> Callable[[int, int], int]:
    def apply(a: int, b: int) -> int:
        if fmt.is_nan(a) or fmt.is_nan(b):
            return nan_result
        return int(relation(fmt.to_float(a), fmt.to_float(b)))
    return apply


def _float_tables(prefix: str, fmt: Format) -> tuple[dict[str, Callable[[int, int], int]], dict[str, Callable[[int], int]]]:
    binary = {
        "add": _arithmetic(fmt, _safe(lambda x, y: x + y)),
        "sub": _arithmetic(fmt, _safe(lambda x, y: x - y)),
        "mul": _arithmetic(fmt, _safe(lambda x, y: x * y)),
        "div": _arithmetic(fmt, _safe(lambda x, y: x / y)),
        "min": _min_max(fmt, True),
        "max": _min_max(fmt, False),
        "copysign": lambda a, b: (a & ~fmt.sign) | (b & fmt.sign),
        "eq": _compare(fmt, lambda x, y: x == y),
        "ne": _compare(fmt, lambda x, y: x != y, nan_result=1),
        "lt": _compare(fmt, lambda x, y: x < y),
        "gt": _compare(fmt, lambda x, y: x > y),
        "le": _compare(fmt, lambda x, y: x <= y),
        "ge": _compare(fmt, lambda x, y: x >= y),
    }
    unary = {
        "abs": lambda a: a & ~fmt.sign,
        "neg": lambda a: a ^ fmt.sign,
        "sqrt": _sqrt(fmt),
        "ceil": _rounding(fmt, math.ceil),
        "floor": _rounding(fmt, math.floor),
        "trunc": _rounding(fmt, math.trunc),
        "nearest": _rounding(fmt, lambda x: float(round(x))),
    }
    return ({f"{prefix}.{name}": function for name, function in binary.items()},
            {f"{prefix}.{name}": function1 for name, function1 in unary.items()})


# -- conversions ------------------------------------------------------------------------

def int_to_float_bits(value: int, fmt: Format) -> int:
    """An integer rounded to the format once (round half to even), exact for 64-bit inputs."""
    if value == 0:
        return 0
    sign = fmt.sign if value < 0 else 0
    magnitude = abs(value)
    precision = fmt.mantissa_bits + 1
    excess = magnitude.bit_length() - precision
    if excess > 0:
        kept, rest = magnitude >> excess, magnitude & ((1 << excess) - 1)
        half = 1 << (excess - 1)
        if rest > half or (rest == half and kept & 1):
            kept += 1
        magnitude = kept << excess
    return sign | fmt.from_float(float(magnitude))


def _truncate(fmt: Format, bits: int, signed: bool, saturate: bool) -> Callable[[int], int]:
    low = -(1 << (bits - 1)) if signed else 0
    high = (1 << (bits - 1)) - 1 if signed else (1 << bits) - 1
    mask = (1 << bits) - 1

    def apply(a: int) -> int:
        if fmt.is_nan(a):
            if saturate:
                return 0
            raise Trap(TrapKind.INVALID_CONVERSION)
        x = fmt.to_float(a)
        if math.isinf(x):
            whole = low if x < 0 else high
            if not saturate:
                raise Trap(TrapKind.INTEGER_OVERFLOW)
        else:
            whole = math.trunc(x)
        if not low <= whole <= high:
            if not saturate:
                raise Trap(TrapKind.INTEGER_OVERFLOW)
            whole = low if whole < low else high
        return whole & mask
    return apply


def _signed(bits: int) -> Callable[[int], int]:
    return lambda value: value - (1 << bits) if value >> (bits - 1) else value


def _demote(a: int) -> int:
    if F64.is_nan(a):
        sign = F32.sign if a & F64.sign else 0
        return sign | F32.exponent_mask | F32.quiet | ((a & F64.mantissa_mask) >> 29)
    return F32.from_float(F64.to_float(a))


def _promote(a: int) -> int:
    if F32.is_nan(a):
        sign = F64.sign if a & F32.sign else 0
        return sign | F64.exponent_mask | F64.quiet | ((a & F32.mantissa_mask) << 29)
    return F64.from_float(F32.to_float(a))


def _conversions() -> dict[str, Callable[[int], int]]:
    table: dict[str, Callable[[int], int]] = {}
    for int_bits in (32, 64):
        for fmt_name, fmt in (("f32", F32), ("f64", F64)):
            as_signed = _signed(int_bits)
            table[f"{fmt_name}.convert_i{int_bits}_s"] = lambda a, f=fmt, s=as_signed: int_to_float_bits(s(a), f)
            table[f"{fmt_name}.convert_i{int_bits}_u"] = lambda a, f=fmt: int_to_float_bits(a, f)
            for signedness, is_signed in (("s", True), ("u", False)):
                table[f"i{int_bits}.trunc_{fmt_name}_{signedness}"] = _truncate(fmt, int_bits, is_signed, False)
                table[f"i{int_bits}.trunc_sat_{fmt_name}_{signedness}"] = _truncate(fmt, int_bits, is_signed, True)
    table["f32.demote_f64"] = _demote
    table["f64.promote_f32"] = _promote
    return table


def _by_opcode() -> tuple[dict[int, Callable[[int, int], int]], dict[int, Callable[[int], int]]]:
    binary: dict[int, Callable[[int, int], int]] = {}
    unary: dict[int, Callable[[int], int]] = {}
    for prefix, fmt in (("f32", F32), ("f64", F64)):
        named_binary, named_unary = _float_tables(prefix, fmt)
        binary.update({BY_NAME[name]: function for name, function in named_binary.items()})
        unary.update({BY_NAME[name]: function1 for name, function1 in named_unary.items()})
    unary.update({BY_NAME[name]: function1 for name, function1 in _conversions().items()})
    return binary, unary


#: opcode -> function on bit patterns
FLOAT_BINARY, FLOAT_UNARY = _by_opcode()
