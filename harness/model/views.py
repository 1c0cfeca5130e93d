"""The host's view of linear memory: ``ArrayBuffer`` and the eleven typed arrays.

Models what JavaScript observes, not what the engine does: a memory's
``buffer`` is one :class:`ArrayBufferModel` until a grow detaches it (or,
resizable, one that follows the memory's length); a :class:`TypedArrayModel`
over a detached buffer has length 0 and throws ``TypeError`` when iterated, and
one made without a length over a resizable buffer tracks the buffer's length. Writes apply the ECMAScript conversions
(ToInt8 ... ToUint32, ToUint8Clamp, Float32 rounding, BigInt wrapping); reads
return JavaScript values (ints, floats, BigInts as ints).
"""

from __future__ import annotations

import math
import struct
import sys
from array import array
from dataclasses import dataclass
from operator import countOf
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
    #: the ``array`` type code of the same elements, for whole-view conversions at C speed (see
    #: :func:`encode_all`); None when none converts exactly as ``encode``/``decode`` do
    typecode: str | None = None
    #: the Python types whose values ``array(typecode, ...)`` converts exactly as ``encode`` would (in range)
    exact_types: frozenset[type] = frozenset({int})
    #: whether a float converts as its truncation does (an integer view: ToIntN, in range)
    truncates_floats: bool = False


def _typecode(letters: str, size: int) -> str | None:
    """The first ``array`` type code of ``letters`` whose items are ``size`` bytes."""
    return next((letter for letter in letters if array(letter).itemsize == size), None)


def encode_all(kind: ViewKind, values: list[object]) -> bytes:
    """The bytes of ``values`` as elements of ``kind``: ``kind.encode`` of each, in one C-level conversion
    when every value is of an exact type and in range (``array`` refuses the rest, which go one by one).

    An integer view also takes floats at once: ToIntN of a finite number is its
    truncation (``int``) modulo 2^N, so where the truncations are all in range
    they are the elements (a NaN, an infinity or one out of range goes one by one).
    """
    if kind.typecode is not None:
        if countOf(map(type, values), int) == len(values):  # the common case, told in one pass without a set
            return _packed(kind.typecode, values) or b"".join(kind.encode(value) for value in values)
        types = set(map(type, values))
        if types <= kind.exact_types:
            packed = _packed(kind.typecode, values)
        elif kind.truncates_floats and types <= _NUMBER_TYPES:
            packed = _packed(kind.typecode, values, truncate=float in types)
        else:
            packed = None
        if packed is not None:
            return packed
    return b"".join(kind.encode(value) for value in values)


_NUMBER_TYPES = frozenset({int, float})


def _packed(typecode: str, values: list[object], *, truncate: bool = False) -> bytes | None:
    """``values`` (truncated to integers first if ``truncate``) as the machine values of ``typecode``,
    little-endian; None when one does not fit (or is not finite)."""
    try:
        if truncate:
            values = list(map(int, values))  # OverflowError for an infinity, ValueError for NaN
        if typecode == "B":  # unsigned bytes: bytes() converts them as array("B") does, in a third of the time
            return bytes(values)
        packed = array(typecode, values)
    except (OverflowError, ValueError):  # out of range (ValueError from bytes()), or int(NaN)
        return None
    if sys.byteorder != "little":
        packed.byteswap()
    return packed.tobytes()


def decode_all(kind: ViewKind, raw: bytes) -> list[JsNumber]:
    """The elements of ``kind`` in ``raw`` (``kind.decode`` of each element's bytes)."""
    if kind.typecode is not None:
        unpacked = array(kind.typecode)
        unpacked.frombytes(raw)
        if sys.byteorder != "little":
            unpacked.byteswap()
        return unpacked.tolist()
    size = kind.element_size
    return [kind.decode(raw[i:i + size]) for i in range(0, len(raw), size)]


def _integer_kind(name: str, size: int, signed: bool) -> ViewKind:
    bits = size * 8

    def encode(value: object) -> bytes:
        return to_integer_modulo(_number(value, name), bits, signed).to_bytes(size, "little", signed=signed)
    return ViewKind(name, size, encode, lambda raw: int.from_bytes(raw, "little", signed=signed),
                    typecode=_typecode("bhilq" if signed else "BHILQ", size), truncates_floats=True)


def _bigint_kind(name: str, signed: bool) -> ViewKind:
    def encode(value: object) -> bytes:
        if not isinstance(value, int) or isinstance(value, bool):
            raise JsException("TypeError", f"cannot convert {value!r} to a BigInt")
        return to_integer_modulo(value, 64, signed).to_bytes(8, "little", signed=signed)
    return ViewKind(name, 8, encode, lambda raw: int.from_bytes(raw, "little", signed=signed), bigint=True,
                    typecode=_typecode("q" if signed else "Q", 8))


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
             lambda raw: struct.unpack("<d", raw)[0], typecode=_typecode("d", 8), exact_types=frozenset({int, float})),
    _bigint_kind("BigInt64Array", True),
    _bigint_kind("BigUint64Array", False),
)}


class ArrayBufferModel:
    """A memory's ``ArrayBuffer`` (or ``SharedArrayBuffer``): its Data Block is the memory's bytes.

    A **fixed-length** buffer (JS API, "create a fixed length memory buffer")
    keeps the length it was made with; a non-shared one is detached by the next
    grow of its memory ("refresh the Memory buffer": ``DetachArrayBuffer``), also
    one a wasm ``memory.grow`` made. A **resizable** one (JS API, "create a
    resizable memory buffer"; ECMAScript, "ArrayBuffer Objects":
    ``[[ArrayBufferMaxByteLength]]``) follows its memory's length and is never
    detached by a grow; ``toFixedLengthBuffer`` detaches it (:meth:`detach`).
    A ``SharedArrayBuffer`` is never detached (ECMAScript, ``DetachArrayBuffer``
    takes only ArrayBuffers); a growable one (``toResizableBuffer`` on a shared
    memory, the threads proposal's JS API) follows its memory's length too.

    >>> from .memory import Limits, Memory
    >>> memory = Memory(Limits(1, 3))
    >>> fixed, resizable = ArrayBufferModel(memory), ArrayBufferModel(memory, max_byte_length=196608)
    >>> memory.grow(1)
    1
    >>> (fixed.detached, fixed.byte_length), (resizable.detached, resizable.byte_length)
    ((True, 0), (False, 131072))
    """

    def __init__(self, memory: Memory, max_byte_length: int | None = None) -> None:
        self.memory = memory
        self._byte_length = memory.byte_length
        self._grow_count = memory.grow_count
        self.shared = memory.limits.shared
        self._max_byte_length = max_byte_length
        self._detached = False

    @property
    def resizable(self) -> bool:
        """``resizable`` (``growable`` for a SharedArrayBuffer): ``IsFixedLengthArrayBuffer`` is false."""
        return self._max_byte_length is not None

    @property
    def detached(self) -> bool:
        """``IsDetachedBuffer``: detached explicitly, or (fixed-length, not shared) by a grow since it was made."""
        if self.shared:
            return False
        return self._detached or (not self.resizable and self.memory.grow_count != self._grow_count)

    @property
    def stale(self) -> bool:
        """True when a grow since this fixed-length buffer was made calls for a new one ("refresh the Memory buffer")."""
        return not self.resizable and self.memory.grow_count != self._grow_count

    @property
    def byte_length(self) -> int:
        """``byteLength``: 0 once detached; a resizable buffer's is its memory's; a fixed one's what it was made with."""
        if self.detached:
            return 0
        return self.memory.byte_length if self.resizable else self._byte_length

    @property
    def max_byte_length(self) -> int:
        """``maxByteLength``: the ``[[ArrayBufferMaxByteLength]]`` of a resizable buffer, else ``byteLength``."""
        if self.detached:
            return 0
        return self._max_byte_length if self._max_byte_length is not None else self.byte_length

    def detach(self) -> None:
        """``DetachArrayBuffer(buffer, "WebAssembly.Memory")``; a no-op on a SharedArrayBuffer."""
        self._detached = not self.shared


class TypedArrayModel:
    """``new View(buffer, byteOffset[, length])`` (ECMAScript, ``InitializeTypedArrayFromArrayBuffer``).

    Without a length, a view over a resizable buffer is **length-tracking**
    (``[[ArrayLength]]`` is ``auto``): its length follows the buffer's. Its
    ``length`` and ``byteLength`` are 0 while it is out of bounds
    (``IsTypedArrayOutOfBounds``: its buffer detached, or the buffer too short for
    it), and then iterating or ``set`` throws a ``TypeError`` (``ValidateTypedArray``).

    >>> from .memory import Limits, Memory
    >>> memory = Memory(Limits(1, 2))
    >>> tracking = TypedArrayModel(view_kind("Uint32Array"), ArrayBufferModel(memory, max_byte_length=131072), 65532)
    >>> memory.grow(1), tracking.length, tracking.byte_length
    (1, 16385, 65540)
    """

    def __init__(self, kind: ViewKind, buffer: ArrayBufferModel, byte_offset: int = 0,
                 length: int | None = None) -> None:
        if buffer.detached:
            raise JsException("TypeError", "cannot construct a view on a detached ArrayBuffer")
        size = kind.element_size
        if byte_offset < 0 or byte_offset % size:
            raise JsException("RangeError", f"start offset of {kind.name} should be a multiple of {size}")
        self.length_tracking = length is None and buffer.resizable
        if self.length_tracking:
            if byte_offset > buffer.byte_length:
                raise JsException("RangeError", f"start offset {byte_offset} is outside the bounds of the buffer")
        elif length is None:
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
        self._length = length or 0

    @property
    def out_of_bounds(self) -> bool:
        """ECMAScript ``IsTypedArrayOutOfBounds``: the buffer is detached, or no longer covers the view."""
        if self.buffer.detached:
            return True
        end = self.byte_offset if self.length_tracking else self.byte_offset + self._length * self.kind.element_size
        return self.byte_offset > self.buffer.byte_length or end > self.buffer.byte_length

    @property
    def length(self) -> int:
        """``length`` (``TypedArrayLength``): 0 when out of bounds; a length-tracking view's follows its buffer."""
        if self.out_of_bounds:
            return 0
        if self.length_tracking:
            return (self.buffer.byte_length - self.byte_offset) // self.kind.element_size
        return self._length

    @property
    def byte_length(self) -> int:
        """``byteLength``: 0 when out of bounds."""
        return self.length * self.kind.element_size

    def _validate(self, what: str) -> int:
        """``ValidateTypedArray``: a ``TypeError`` when out of bounds; else the current length."""
        if self.out_of_bounds:
            raise JsException("TypeError", f"cannot perform {what} on a detached or out-of-bounds ArrayBuffer")
        return self.length

    def to_list(self) -> list[JsNumber]:
        """``Array.from(view)``; throws ``TypeError`` on a detached buffer."""
        size = self.kind.element_size
        return decode_all(self.kind, self.buffer.memory.load(self.byte_offset, self._validate("Array.from") * size))

    def to_bytes(self) -> bytes:
        """The elements' bytes, as ``Array.from`` would read them (``TypeError`` on a detached buffer)."""
        return self.buffer.memory.load(self.byte_offset, self._validate("Array.from") * self.kind.element_size)

    def set(self, values: list[object]) -> None:
        """``view.set(values)``: convert each value, then write them all."""
        if len(values) > self._validate("set"):
            raise JsException("RangeError", "offset is out of bounds")
        self.buffer.memory.store(self.byte_offset, encode_all(self.kind, values))


def view_kind(name: str) -> ViewKind:
    """The typed-array constructor called ``name``; unknown names raise ``KeyError``."""
    return VIEW_KINDS[name]
