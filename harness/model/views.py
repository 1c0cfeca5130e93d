"""The host's view of linear memory: ``ArrayBuffer`` and the eleven typed arrays.

Models what JavaScript observes, not what the engine does: a memory's
``buffer`` is one :class:`ArrayBufferModel` until a grow detaches it; a
:class:`TypedArrayModel` over a detached buffer has length 0 and throws
``TypeError`` when iterated. Writes apply the ECMAScript conversions
(ToInt8 ... ToUint32, ToUint8Clamp, Float32 rounding, BigInt wrapping); reads
return JavaScript values (ints, floats, BigInts as ints).
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass
from typing import Callable, Union

from .memory import Memory
from .traps import JsException

JsNumber = Union[int, float]

#: The largest finite float32; halfway to the next power of two rounds to infinity.
_FLOAT32_OVERFLOW = (2 - 2 ** -24) * 2.0 ** 127


def to_integer_modulo(value: JsNumber, bits: int, signed: bool) -> int:
    """ECMAScript ToIntN / ToUintN: truncate, wrap modulo 2**bits, and read signed or not."""
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return 0
    wrapped = int(value) % (1 << bits)  # int() truncates toward zero
    return wrapped - (1 << bits) if signed and wrapped >> (bits - 1) else wrapped


def to_uint8_clamp(value: JsNumber) -> int:
    """ECMAScript ToUint8Clamp: clamp to 0..255, round half to even."""
    if isinstance(value, float) and math.isnan(value):
        return 0
    if value <= 0:
        return 0
    if value >= 255:
        return 255
    return round(value)  # Python's round() is round-half-to-even


def to_float32(value: JsNumber) -> float:
    """Round a Number to the nearest float32 (ties to even), as a Float32Array store does."""
    number = float(value)
    if math.isnan(number) or math.isinf(number):
        return number
    if abs(number) >= _FLOAT32_OVERFLOW:
        return math.copysign(math.inf, number)
    return struct.unpack("<f", struct.pack("<f", number))[0]


@dataclass(frozen=True)
class ViewKind:
    """One typed-array constructor: element size and how elements convert."""

    name: str
    element_size: int
    encode: Callable[[object], bytes]
    decode: Callable[[bytes], JsNumber]
    bigint: bool = False


def _integer_kind(name: str, size: int, signed: bool) -> ViewKind:
    bits = size * 8

    def encode(value: object) -> bytes:
        return to_integer_modulo(_number(value, name), bits, signed).to_bytes(size, "little", signed=signed)
    return ViewKind(name, size, encode, lambda raw: int.from_bytes(raw, "little", signed=signed))


def _bigint_kind(name: str, signed: bool) -> ViewKind:
    def encode(value: object) -> bytes:
        if not isinstance(value, int) or isinstance(value, bool):
            raise JsException("TypeError", f"cannot convert {value!r} to a BigInt")
        return to_integer_modulo(value, 64, signed).to_bytes(8, "little", signed=signed)
    return ViewKind(name, 8, encode, lambda raw: int.from_bytes(raw, "little", signed=signed), bigint=True)


def _number(value: object, view: str) -> JsNumber:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise JsException("TypeError", f"{view} element must be a Number, not {value!r}")
    return value


VIEW_KINDS: dict[str, ViewKind] = {kind.name: kind for kind in (
    _integer_kind("Int8Array", 1, True),
    _integer_kind("Uint8Array", 1, False),
    ViewKind("Uint8ClampedArray", 1, lambda v: bytes([to_uint8_clamp(_number(v, "Uint8ClampedArray"))]),
             lambda raw: raw[0]),
    _integer_kind("Int16Array", 2, True),
    _integer_kind("Uint16Array", 2, False),
    _integer_kind("Int32Array", 4, True),
    _integer_kind("Uint32Array", 4, False),
    ViewKind("Float32Array", 4, lambda v: struct.pack("<f", to_float32(_number(v, "Float32Array"))),
             lambda raw: struct.unpack("<f", raw)[0]),
    ViewKind("Float64Array", 8, lambda v: struct.pack("<d", float(_number(v, "Float64Array"))),
             lambda raw: struct.unpack("<d", raw)[0]),
    _bigint_kind("BigInt64Array", True),
    _bigint_kind("BigUint64Array", False),
)}


class ArrayBufferModel:
    """``memory.buffer``: a window on the memory's bytes until a grow detaches it."""

    def __init__(self, memory: Memory) -> None:
        self.memory = memory
        self._byte_length = memory.byte_length
        self._grow_count = memory.grow_count
        self.shared = memory.limits.shared

    @property
    def detached(self) -> bool:
        """True once the memory has grown since this buffer was made (never for shared memory)."""
        return not self.shared and self.memory.grow_count != self._grow_count

    @property
    def byte_length(self) -> int:
        """``byteLength``: 0 once detached; a shared buffer keeps the length it was made with."""
        return 0 if self.detached else self._byte_length


class TypedArrayModel:
    """``new View(buffer, byteOffset, length)``; the constructor's checks throw like JS's."""

    def __init__(self, kind: ViewKind, buffer: ArrayBufferModel, byte_offset: int = 0,
                 length: int | None = None) -> None:
        if buffer.detached:
            raise JsException("TypeError", "cannot construct a view on a detached ArrayBuffer")
        size = kind.element_size
        if byte_offset < 0 or byte_offset % size:
            raise JsException("RangeError", f"start offset of {kind.name} should be a multiple of {size}")
        if length is None:
            if buffer.byte_length % size:
                raise JsException("RangeError", f"byte length of {kind.name} should be a multiple of {size}")
            length = (buffer.byte_length - byte_offset) // size
            if length < 0:
                raise JsException("RangeError", f"start offset {byte_offset} is outside the bounds of the buffer")
        elif length < 0 or byte_offset + length * size > buffer.byte_length:
            raise JsException("RangeError", f"invalid typed array length: {length}")
        self.kind = kind
        self.buffer = buffer
        self.byte_offset = byte_offset
        self._length = length

    @property
    def length(self) -> int:
        """``length``: 0 once the buffer is detached."""
        return 0 if self.buffer.detached else self._length

    @property
    def byte_length(self) -> int:
        """``byteLength``: 0 once the buffer is detached."""
        return self.length * self.kind.element_size

    def to_list(self) -> list[JsNumber]:
        """``Array.from(view)``; throws ``TypeError`` on a detached buffer."""
        if self.buffer.detached:
            raise JsException("TypeError", "cannot perform Array.from on a detached ArrayBuffer")
        size = self.kind.element_size
        raw = self.buffer.memory.load(self.byte_offset, self._length * size)
        return [self.kind.decode(raw[i:i + size]) for i in range(0, len(raw), size)]

    def to_bytes(self) -> bytes:
        """The elements' bytes, as ``Array.from`` would read them (``TypeError`` on a detached buffer)."""
        if self.buffer.detached:
            raise JsException("TypeError", "cannot perform Array.from on a detached ArrayBuffer")
        return self.buffer.memory.load(self.byte_offset, self._length * self.kind.element_size)

    def set(self, values: list[object]) -> None:
        """``view.set(values)``: convert each value, then write them all."""
        if self.buffer.detached:
            raise JsException("TypeError", "cannot perform set on a detached ArrayBuffer")
        if len(values) > self._length:
            raise JsException("RangeError", "offset is out of bounds")
        encoded = b"".join(self.kind.encode(value) for value in values)
        self.buffer.memory.store(self.byte_offset, encoded)


def view_kind(name: str) -> ViewKind:
    """The typed-array constructor called ``name``; unknown names raise ``KeyError``."""
    return VIEW_KINDS[name]
