"""A ``v128`` value as lanes: the shapes, and the instructions that move lanes without computing on them.

A ``v128`` is a Python int of 128 bits, lane 0 in the low bits (the memory
order: ``v128.store`` writes lane 0 first). A shape reads those bits as
``count`` lanes of ``bits`` each, through :mod:`struct` formats: unsigned
(``I``), signed (``i``), and for the float shapes their bit patterns, so a
NaN's payload is never touched by splitting or joining.

>>> I16X8.unpack(0x0003_0002_0001_FFFF)[:4], I16X8.unpack_signed(0xFFFF)[0]
((65535, 1, 2, 3), -1)
>>> hex(splat(I8X16)(0x1FF)), hex(extract_lane(I16X8, signed=True)(0xFFFF_8000, 1))
('0xffffffffffffffffffffffffffffffff', '0xffffffff')
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import Callable, Iterable

#: All 128 bits set: ``v128.not``'s mask, and a true lane of every shape's comparison results.
MASK128 = (1 << 128) - 1


@dataclass(frozen=True)
class Shape:
    """One lane shape (``i8x16`` ... ``f64x2``): ``count`` lanes of ``bits`` each."""

    name: str
    count: int
    bits: int
    unsigned_format: struct.Struct = field(init=False, repr=False)
    signed_format: struct.Struct = field(init=False, repr=False)

    def __post_init__(self) -> None:
        codes = {8: "Bb", 16: "Hh", 32: "Ii", 64: "Qq"}[self.bits]
        object.__setattr__(self, "unsigned_format", struct.Struct(f"<{self.count}{codes[0]}"))
        object.__setattr__(self, "signed_format", struct.Struct(f"<{self.count}{codes[1]}"))

    @property
    def mask(self) -> int:
        """One lane's bits set."""
        return (1 << self.bits) - 1

    @property
    def repeat(self) -> int:
        """1 in every lane: ``x * repeat`` puts a lane value ``x`` in every lane."""
        return sum(1 << (lane * self.bits) for lane in range(self.count))

    def unpack(self, vector: int) -> tuple[int, ...]:
        """The lanes as unsigned integers (a float lane's bit pattern)."""
        return self.unsigned_format.unpack(vector.to_bytes(16, "little"))

    def unpack_signed(self, vector: int) -> tuple[int, ...]:
        """The lanes as two's-complement integers."""
        return self.signed_format.unpack(vector.to_bytes(16, "little"))

    def pack(self, lanes: Iterable[int]) -> int:
        """The vector of unsigned lanes (each in ``[0, 2**bits)``)."""
        return int.from_bytes(self.unsigned_format.pack(*lanes), "little")

    def pack_signed(self, lanes: Iterable[int]) -> int:
        """The vector of signed lanes (each in ``[-2**(bits-1), 2**(bits-1))``; -1 is all ones)."""
        return int.from_bytes(self.signed_format.pack(*lanes), "little")


I8X16, I16X8, I32X4, I64X2 = Shape("i8x16", 16, 8), Shape("i16x8", 8, 16), Shape("i32x4", 4, 32), Shape("i64x2", 2, 64)
F32X4, F64X2 = Shape("f32x4", 4, 32), Shape("f64x2", 2, 64)
#: shape name -> shape
SHAPES = {shape.name: shape for shape in (I8X16, I16X8, I32X4, I64X2, F32X4, F64X2)}


def splat(shape: Shape) -> Callable[[int], int]:
    """``shape.splat``: the operand's low ``bits`` in every lane (an i8x16/i16x8 splat wraps its i32)."""
    mask, repeat = shape.mask, shape.repeat
    return lambda value: (value & mask) * repeat


def extract_lane(shape: Shape, signed: bool = False) -> Callable[[int, int], int]:
    """``shape.extract_lane[_s|_u] lane``: one lane; ``signed`` sign-extends an i8/i16 lane to an i32 bit pattern."""
    mask, bits, sign = shape.mask, shape.bits, 1 << (shape.bits - 1)
    if signed:
        return lambda vector, lane: ((((vector >> (lane * bits)) & mask) ^ sign) - sign) & 0xFFFF_FFFF
    return lambda vector, lane: (vector >> (lane * bits)) & mask


def replace_lane(shape: Shape) -> Callable[[int, int, int], int]:
    """``shape.replace_lane lane``: ``vector`` with one lane set to ``value``'s low ``bits``."""
    mask, bits = shape.mask, shape.bits

    def replace(vector: int, value: int, lane: int) -> int:
        shift = lane * bits
        return (vector & ~(mask << shift)) | ((value & mask) << shift)
    return replace


def shuffle(first: int, second: int, lanes: tuple[int, ...]) -> int:
    """``i8x16.shuffle lanes``: byte ``i`` is byte ``lanes[i]`` of the 32 bytes of both operands (first's are 0-15)."""
    both = first.to_bytes(16, "little") + second.to_bytes(16, "little")
    return int.from_bytes(bytes([both[lane] for lane in lanes]), "little")


def swizzle(vector: int, indices: int) -> int:
    """``i8x16.swizzle``: byte ``i`` is the operand's byte at the index in ``indices``' byte ``i``; 0 from 16 up."""
    source = vector.to_bytes(16, "little")
    return int.from_bytes(bytes([source[index] if index < 16 else 0 for index in indices.to_bytes(16, "little")]),
                          "little")


def _lane_access() -> dict[str, Callable[..., int]]:
    table: dict[str, Callable[..., int]] = {"i8x16.shuffle": shuffle, "i8x16.swizzle": swizzle}
    for shape in SHAPES.values():
        table[f"{shape.name}.splat"] = splat(shape)
        table[f"{shape.name}.replace_lane"] = replace_lane(shape)
        if shape.bits < 32:
            table[f"{shape.name}.extract_lane_s"] = extract_lane(shape, signed=True)
            table[f"{shape.name}.extract_lane_u"] = extract_lane(shape)
        else:
            table[f"{shape.name}.extract_lane"] = extract_lane(shape)
    return table


#: instruction name -> its function: ``f(operands..., immediate)`` (a lane index, or shuffle's 16 lanes)
LANE_ACCESS = _lane_access()
