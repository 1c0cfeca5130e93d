"""The integer lane instructions and the bitwise ``v128`` ones, as the spec defines them.

Each instruction is a lane function applied to every lane (or every pair of
lanes) of one shape: ``i16x8.add_sat_s`` is ``sat_s(a + b)`` on eight signed
16-bit lanes. The tables below are the spec's: one row per operation, one
column per shape it exists for. Results that wrap are masked to the lane
width; comparisons answer all ones (true) or zeros per lane. Nothing here
traps.

>>> hex(INTEGER_OPERATIONS["i8x16.add_sat_u"](0xF0, 0x20)), hex(INTEGER_OPERATIONS["i8x16.add"](0xF0, 0x20))
('0xff', '0x10')
>>> INTEGER_OPERATIONS["i16x8.bitmask"](0x8000_0000_8000), INTEGER_OPERATIONS["i32x4.all_true"](0x1_0000_0001)
(5, 0)
"""

from __future__ import annotations

from typing import Callable

from .lanes import I8X16, I16X8, I32X4, I64X2, MASK128, Shape

LaneFunction = Callable[..., int]
INTEGER_SHAPES = (I8X16, I16X8, I32X4, I64X2)
#: each shape -> the shape of half as many lanes twice as wide (what extend / extmul / narrow pair)
WIDER = {I8X16: I16X8, I16X8: I32X4, I32X4: I64X2}


def _clamp(shape: Shape, signed: bool) -> Callable[[int], int]:
    """Saturation into a lane: ``sat_s`` or ``sat_u`` of the spec."""
    low, high = (-(1 << (shape.bits - 1)), (1 << (shape.bits - 1)) - 1) if signed else (0, shape.mask)
    return lambda value: low if value < low else high if value > high else value


def lanewise(shape: Shape, operation: LaneFunction, *, operands: int = 2, signed: bool = False) -> Callable[..., int]:
    """An instruction applying ``operation`` to the lanes at each position of its ``operands`` v128 operands.

    ``signed`` reads the operands' lanes as signed and writes signed results back;
    otherwise both are unsigned (results must already be in range: mask or clamp them).
    """
    unpack = shape.signed_format.unpack if signed else shape.unsigned_format.unpack
    pack = shape.signed_format.pack if signed else shape.unsigned_format.pack

    def unary(a: int) -> int:
        return int.from_bytes(pack(*map(operation, unpack(a.to_bytes(16, "little")))), "little")

    def binary(a: int, b: int) -> int:
        return int.from_bytes(pack(*map(operation, unpack(a.to_bytes(16, "little")),
                                        unpack(b.to_bytes(16, "little")))), "little")
    return unary if operands == 1 else binary


def _arithmetic(shape: Shape) -> dict[str, Callable[..., int]]:
    mask = shape.mask
    sat_s, sat_u = _clamp(shape, signed=True), _clamp(shape, signed=False)
    unsigned = {
        "add": lambda a, b: (a + b) & mask, "sub": lambda a, b: (a - b) & mask, "mul": lambda a, b: (a * b) & mask,
        "add_sat_u": lambda a, b: sat_u(a + b), "sub_sat_u": lambda a, b: sat_u(a - b),
        "min_u": min, "max_u": max, "avgr_u": lambda a, b: (a + b + 1) >> 1,
        "eq": lambda a, b: mask if a == b else 0, "ne": lambda a, b: mask if a != b else 0,
        "lt_u": lambda a, b: mask if a < b else 0, "gt_u": lambda a, b: mask if a > b else 0,
        "le_u": lambda a, b: mask if a <= b else 0, "ge_u": lambda a, b: mask if a >= b else 0,
    }
    signed = {
        "add_sat_s": lambda a, b: sat_s(a + b), "sub_sat_s": lambda a, b: sat_s(a - b),
        "min_s": min, "max_s": max,
        "q15mulr_sat_s": lambda a, b: sat_s((a * b + 0x4000) >> 15),
        "lt_s": lambda a, b: -(a < b), "gt_s": lambda a, b: -(a > b),
        "le_s": lambda a, b: -(a <= b), "ge_s": lambda a, b: -(a >= b),
    }
    unary = {
        "neg": lambda a: -a & mask, "popcnt": int.bit_count,
        "abs": lambda a: -a & mask if a >> (shape.bits - 1) else a,  # the most negative lane wraps to itself
    }
    return {**{name: lanewise(shape, operation) for name, operation in unsigned.items()},
            **{name: lanewise(shape, operation, signed=True) for name, operation in signed.items()},
            **{name: lanewise(shape, operation, operands=1) for name, operation in unary.items()}}


def _shifts(shape: Shape) -> dict[str, Callable[[int, int], int]]:
    """``shl``, ``shr_s``, ``shr_u`` by an i32 count taken modulo the lane width."""
    bits, mask = shape.bits, shape.mask
    unsigned, signed = shape.unsigned_format, shape.signed_format

    def shl(vector: int, count: int) -> int:
        shift = count % bits
        return shape.pack((lane << shift) & mask for lane in unsigned.unpack(vector.to_bytes(16, "little")))

    def shr_s(vector: int, count: int) -> int:
        shift = count % bits
        return shape.pack_signed(lane >> shift for lane in signed.unpack(vector.to_bytes(16, "little")))

    def shr_u(vector: int, count: int) -> int:
        shift = count % bits
        return shape.pack(lane >> shift for lane in unsigned.unpack(vector.to_bytes(16, "little")))
    return {"shl": shl, "shr_s": shr_s, "shr_u": shr_u}


def _reductions(shape: Shape) -> dict[str, Callable[[int], int]]:
    """``all_true`` (every lane non-zero) and ``bitmask`` (bit i is lane i's top bit)."""
    return {
        "all_true": lambda vector: int(all(shape.unpack(vector))),
        "bitmask": lambda vector: sum(1 << lane for lane, value in enumerate(shape.unpack_signed(vector)) if value < 0),
    }


def _widening(narrow: Shape) -> dict[str, Callable[..., int]]:
    """The instructions from ``narrow``'s lanes into its :data:`WIDER` shape: extend, extadd_pairwise, extmul, narrow."""
    wide, half = WIDER[narrow], narrow.count // 2
    table: dict[str, Callable[..., int]] = {}
    for suffix, signed in (("s", True), ("u", False)):
        read = narrow.unpack_signed if signed else narrow.unpack
        write = wide.pack_signed if signed else wide.pack
        source = f"{narrow.name}_{suffix}"
        for part, lanes in (("low", slice(0, half)), ("high", slice(half, None))):
            table[f"{wide.name}.extend_{part}_{source}"] = \
                lambda a, read=read, write=write, lanes=lanes: write(read(a)[lanes])
            table[f"{wide.name}.extmul_{part}_{source}"] = \
                lambda a, b, read=read, write=write, lanes=lanes: write(map(int.__mul__, read(a)[lanes], read(b)[lanes]))
        table[f"{wide.name}.extadd_pairwise_{source}"] = \
            lambda a, read=read, write=write: write(map(int.__add__, read(a)[0::2], read(a)[1::2]))
        # narrow: the wide lanes (always read signed) of both operands, saturated into the narrow lanes
        clamp, pack = _clamp(narrow, signed), narrow.pack_signed if signed else narrow.pack
        table[f"{narrow.name}.narrow_{wide.name}_{suffix}"] = \
            lambda a, b, clamp=clamp, pack=pack: pack(map(clamp, wide.unpack_signed(a) + wide.unpack_signed(b)))
    return table


def dot_i16x8_s(a: int, b: int) -> int:
    """``i32x4.dot_i16x8_s``: lane i is the sum of the signed products of lanes 2i and 2i+1 (wrapping: only
    two products of -32768 overflow)."""
    products = list(map(int.__mul__, I16X8.unpack_signed(a), I16X8.unpack_signed(b)))
    return I32X4.pack((first + second) & 0xFFFF_FFFF for first, second in zip(products[0::2], products[1::2]))


#: the whole-vector bitwise instructions
BITWISE: dict[str, Callable[..., int]] = {
    "v128.not": lambda a: a ^ MASK128,
    "v128.and": lambda a, b: a & b,
    "v128.andnot": lambda a, b: a & ~b,
    "v128.or": lambda a, b: a | b,
    "v128.xor": lambda a, b: a ^ b,
    "v128.bitselect": lambda a, b, mask: (a & mask) | (b & ~mask),
    "v128.any_true": lambda a: int(a != 0),
}


def _integer_operations() -> dict[str, Callable[..., int]]:
    table: dict[str, Callable[..., int]] = {**BITWISE, "i32x4.dot_i16x8_s": dot_i16x8_s}
    for shape in INTEGER_SHAPES:
        for family in (_arithmetic(shape), _shifts(shape), _reductions(shape)):
            table.update({f"{shape.name}.{name}": function for name, function in family.items()})
        if shape in WIDER:
            table.update(_widening(shape))
    return table


#: instruction name -> its function on v128 ints (and an i32 shift count). Every lane function is defined for
#: every integer shape; which of them are instructions is :data:`~harness.model.simd.VECTOR_BY_NAME`'s to say.
INTEGER_OPERATIONS = _integer_operations()
