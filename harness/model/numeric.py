"""Integer instructions as pure functions on canonical values.

Values of type i32 and i64 are Python ints in ``[0, 2**N)`` (their bit
pattern); f32 and f64 values are their bit patterns too, so loads, stores and
reinterpretations are exact. Each table maps an opcode to a function; a
function that can trap raises :class:`~harness.model.traps.Trap`.
"""

from __future__ import annotations

from typing import Callable

from .floats import FLOAT_BINARY, FLOAT_UNARY
from .opcodes import BY_NAME
from .traps import Trap, TrapKind

MASK32 = (1 << 32) - 1
MASK64 = (1 << 64) - 1


def signed(value: int, bits: int) -> int:
    """The two's-complement reading of an N-bit pattern."""
    return value - (1 << bits) if value >> (bits - 1) else value


def _div_s(bits: int) -> Callable[[int, int], int]:
    mask = (1 << bits) - 1

    def div_s(a: int, b: int) -> int:
        if b == 0:
            raise Trap(TrapKind.INTEGER_DIVIDE_BY_ZERO)
        x, y = signed(a, bits), signed(b, bits)
        if x == -(1 << (bits - 1)) and y == -1:
            raise Trap(TrapKind.INTEGER_OVERFLOW)
        quotient = abs(x) // abs(y)
        return (quotient if (x < 0) == (y < 0) else -quotient) & mask
    return div_s


def _rem_s(bits: int) -> Callable[[int, int], int]:
    mask = (1 << bits) - 1

    def rem_s(a: int, b: int) -> int:
        if b == 0:
            raise Trap(TrapKind.INTEGER_DIVIDE_BY_ZERO)
        x, y = signed(a, bits), signed(b, bits)
        remainder = abs(x) % abs(y)
        return (-remainder if x < 0 else remainder) & mask
    return rem_s


def _div_u(a: int, b: int) -> int:
    if b == 0:
        raise Trap(TrapKind.INTEGER_DIVIDE_BY_ZERO)
    return a // b


def _rem_u(a: int, b: int) -> int:
    if b == 0:
        raise Trap(TrapKind.INTEGER_DIVIDE_BY_ZERO)
    return a % b


def _integer_binary(bits: int) -> dict[str, Callable[[int, int], int]]:
    mask = (1 << bits) - 1
    return {
        "add": lambda a, b: (a + b) & mask,
        "sub": lambda a, b: (a - b) & mask,
        "mul": lambda a, b: (a * b) & mask,
        "div_s": _div_s(bits), "div_u": _div_u, "rem_s": _rem_s(bits), "rem_u": _rem_u,
        "and": lambda a, b: a & b,
        "or": lambda a, b: a | b,
        "xor": lambda a, b: a ^ b,
        "shl": lambda a, b: (a << (b % bits)) & mask,
        "shr_s": lambda a, b: (signed(a, bits) >> (b % bits)) & mask,
        "shr_u": lambda a, b: a >> (b % bits),
        "rotl": lambda a, b: ((a << (b % bits)) | (a >> ((bits - b % bits) % bits))) & mask,
        "rotr": lambda a, b: ((a >> (b % bits)) | (a << ((bits - b % bits) % bits))) & mask,
        "eq": lambda a, b: int(a == b),
        "ne": lambda a, b: int(a != b),
        "lt_s": lambda a, b: int(signed(a, bits) < signed(b, bits)),
        "lt_u": lambda a, b: int(a < b),
        "gt_s": lambda a, b: int(signed(a, bits) > signed(b, bits)),
        "gt_u": lambda a, b: int(a > b),
        "le_s": lambda a, b: int(signed(a, bits) <= signed(b, bits)),
        "le_u": lambda a, b: int(a <= b),
        "ge_s": lambda a, b: int(signed(a, bits) >= signed(b, bits)),
        "ge_u": lambda a, b: int(a >= b),
    }


def _sign_extend(from_bits: int, to_bits: int) -> Callable[[int], int]:
    return lambda a: signed(a & ((1 << from_bits) - 1), from_bits) & ((1 << to_bits) - 1)


def _integer_unary(bits: int) -> dict[str, Callable[[int], int]]:
    return {
        "eqz": lambda a: int(a == 0),
        "clz": lambda a: bits - a.bit_length(),
        "ctz": lambda a: (a & -a).bit_length() - 1 if a else bits,
        "popcnt": lambda a: bin(a).count("1"),
        "extend8_s": _sign_extend(8, bits),
        "extend16_s": _sign_extend(16, bits),
    }


def _tables() -> tuple[dict[int, Callable[[int, int], int]], dict[int, Callable[[int], int]]]:
    binary: dict[int, Callable[[int, int], int]] = {}
    unary: dict[int, Callable[[int], int]] = {}
    for prefix, bits in (("i32", 32), ("i64", 64)):
        for name, function in _integer_binary(bits).items():
            binary[BY_NAME[f"{prefix}.{name}"]] = function
        for name, function1 in _integer_unary(bits).items():
            unary[BY_NAME[f"{prefix}.{name}"]] = function1
    unary[BY_NAME["i64.extend32_s"]] = _sign_extend(32, 64)
    unary[BY_NAME["i32.wrap_i64"]] = lambda a: a & MASK32
    unary[BY_NAME["i64.extend_i32_s"]] = _sign_extend(32, 64)
    unary[BY_NAME["i64.extend_i32_u"]] = lambda a: a
    for name in ("i32.reinterpret_f32", "i64.reinterpret_f64", "f32.reinterpret_i32",
                 "f64.reinterpret_i64"):
        unary[BY_NAME[name]] = lambda a: a  # values are bit patterns already
    return binary, unary


#: opcode -> f(a, b) for the two-operand integer instructions
BINARY, UNARY = _tables()


BINARY.update(FLOAT_BINARY)
UNARY.update(FLOAT_UNARY)
