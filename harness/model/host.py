"""``WebAssembly.Memory`` as JavaScript sees it.

Wraps a spec :class:`~harness.model.memory.Memory` with the JS API's
behaviour: the constructor's descriptor checks, ``grow`` throwing
``RangeError`` instead of returning -1, ``buffer`` being replaced (the old
one detached unless shared) after every grow while it is fixed-length, and
``toResizableBuffer``/``toFixedLengthBuffer`` (a resizable buffer follows the
memory's length instead). ``new
WebAssembly.Table`` (:func:`table_object`) takes its descriptor the same way.

Every page or element count the JS API takes is an ``AddressValue`` (JS API,
"Memories": ``MemoryDescriptor``, ``Memory.grow``; "Tables": ``TableDescriptor``),
converted by ``AddressValueToU64`` (:func:`address_value_to_u64`) before the
constructor or method does anything else. For a 32-bit memory that is WebIDL's
``[EnforceRange] unsigned long`` (:func:`enforce_range_unsigned_long`): a count
outside 0 to 2**32 - 1 is a ``TypeError``. For a 64-bit memory (memory64: a
descriptor with ``address: "i64"``) it is ``ToBigInt`` and a range check, an
emulation of ``[EnforceRange] unsigned long long``: a Number is a ``TypeError``
(``ToBigInt`` takes no Numbers), and so is a BigInt outside 0 to 2**64 - 1.
Only a count that converts but is beyond what WebAssembly allows is a
``RangeError``. ``grow`` answers with ``U64ToAddressValue``: a Number for a
32-bit memory, a BigInt for a 64-bit one (:attr:`MemoryObject.address`).

The model takes JavaScript values as scenarios give them: a Python ``float``
is a Number; a Python ``int`` is an integer the JS side passes as a BigInt to a
64-bit memory and as a Number (``ToNumber`` of it) to a 32-bit one.
"""

from __future__ import annotations

import math

from .memory import PAGE_SIZE, Limits, Memory, allocatable_pages, page_limit
from .store import TableInstance
from .traps import JsException
from .views import ArrayBufferModel

#: The largest value of a WebIDL ``unsigned long``.
UNSIGNED_LONG_MAX = 0xFFFF_FFFF
#: The largest WebAssembly ``u64``, the bound ``AddressValueToU64`` checks a BigInt against.
U64_MAX = 2**64 - 1
#: The JS API's ``AddressType`` enumeration: a memory's address type.
ADDRESS_TYPES = ("i32", "i64")
#: The JS API's limit on a table's size ("Implementation-defined limits": 10,000,000 elements).
MAX_TABLE_SIZE = 10_000_000


def to_number(value: int | float) -> float:
    """ECMAScript ``ToNumber`` of an integer or a double: the nearest double, infinite beyond the range."""
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


def enforce_range_unsigned_long(value: int | float, what: str) -> int:
    """WebIDL's conversion to ``[EnforceRange] unsigned long`` (WebIDL, "Integer types": ConvertToInt).

    ``x = ToNumber(value)``; NaN or an infinity is a ``TypeError``; then
    ``x = IntegerPart(x)``, and outside 0 to 2**32 - 1 it is a ``TypeError``.

    >>> enforce_range_unsigned_long(2**32 - 1, "delta"), enforce_range_unsigned_long(-0.5, "delta")
    (4294967295, 0)
    >>> enforce_range_unsigned_long(2**63 - 1, "initial")
    Traceback (most recent call last):
    harness.model.traps.JsException: TypeError: 'initial' must be in the unsigned long range (got 9223372036854775807)
    """
    number = to_number(value)
    if math.isnan(number) or math.isinf(number) or not 0 <= math.trunc(number) <= UNSIGNED_LONG_MAX:
        raise JsException("TypeError", f"{what!r} must be in the unsigned long range (got {value})")
    return math.trunc(number)


def to_bigint(value: int | float, what: str) -> int:
    """ECMAScript ``ToBigInt`` of a scenario value: an integer is the BigInt; a Number is a ``TypeError``.

    >>> to_bigint(2**64, "delta")
    18446744073709551616
    >>> to_bigint(1.0, "delta")
    Traceback (most recent call last):
    harness.model.traps.JsException: TypeError: 'delta': Cannot convert 1 to a BigInt
    """
    if isinstance(value, float):
        shown = int(value) if value.is_integer() else value
        raise JsException("TypeError", f"{what!r}: Cannot convert {shown} to a BigInt")
    return value


def address_value_to_u64(value: int | float, address: str, what: str) -> int:
    """The JS API's ``AddressValueToU64(value, addrtype)`` (defined after "Exported Functions"; used by "Memories").

    ``"i32"``: ``ConvertToInt(value, 32, "unsigned")`` with ``[EnforceRange]``.
    ``"i64"``: ``n = ToBigInt(value)``; outside 0 to 2**64 - 1 it is a ``TypeError``.

    >>> address_value_to_u64(2**64 - 1, "i64", "delta"), address_value_to_u64(7.9, "i32", "delta")
    (18446744073709551615, 7)
    >>> address_value_to_u64(-1, "i64", "delta")
    Traceback (most recent call last):
    harness.model.traps.JsException: TypeError: 'delta' must be in the u64 range (got -1)
    """
    if address == "i32":
        return enforce_range_unsigned_long(value, what)
    number = to_bigint(value, what)
    if not 0 <= number <= U64_MAX:
        raise JsException("TypeError", f"{what!r} must be in the u64 range (got {number})")
    return number


def check_address_type(address: object) -> str:
    """WebIDL's conversion to the ``AddressType`` enumeration: anything but ``"i32"`` or ``"i64"`` is a ``TypeError``."""
    if address not in ADDRESS_TYPES:
        raise JsException("TypeError", f"WebAssembly.Memory(): Unknown address type {address!r}; pass 'i32' or 'i64'")
    return str(address)


class MemoryObject:
    """A ``WebAssembly.Memory`` object (JS API, "Memories").

    >>> memory = MemoryObject(initial=1)
    >>> old = memory.buffer
    >>> memory.grow(1), old.detached, memory.buffer.byte_length
    (1, True, 131072)
    >>> wide = MemoryObject(initial=1, maximum=4, address="i64")
    >>> wide.address, wide.grow(2), wide.buffer.byte_length
    ('i64', 1, 196608)
    """

    def __init__(self, initial: int | float, maximum: int | float | None = None, shared: bool = False,
                 memory: Memory | None = None, *, address: str = "i32") -> None:
        if memory is None:
            memory = Memory(_descriptor_limits(initial, maximum, shared, address))
        self.memory = memory
        self._buffer = ArrayBufferModel(memory)

    @classmethod
    def wrapping(cls, memory: Memory) -> "MemoryObject":
        """The JS object for a memory a module created (an exported memory)."""
        return cls(memory.limits.minimum, memory=memory)

    @property
    def address(self) -> str:
        """The memory's address type: ``"i32"``, or ``"i64"`` for a 64-bit memory."""
        return self.memory.limits.address

    @property
    def buffer(self) -> ArrayBufferModel:
        """The getter of ``buffer``: ``[[BufferObject]]``, refreshed after any grow (also one made by wasm code).

        "Refresh the Memory buffer" (JS API, "Memories"; the threads proposal's
        JS API for shared memories): after every successful grow, by any number of
        pages (0 too), a fixed-length buffer is replaced by a new fixed-length one,
        the old one detached unless it is a SharedArrayBuffer; a resizable buffer
        stays, its length following the memory's. Several grows between two reads
        of ``buffer`` refresh once: the buffers in between are never observed.
        (Whether ``grow(0)`` of a shared memory makes a new SharedArrayBuffer is
        being settled: the threads proposal's text says it does, as Node does;
        Deno and Bun keep the old one. The model follows the text.)
        """
        if self._buffer.stale:
            self._buffer = ArrayBufferModel(self.memory)
        return self._buffer

    def to_fixed_length_buffer(self) -> ArrayBufferModel:
        """``toFixedLengthBuffer()`` (JS API, "Memories").

        A fixed-length ``[[BufferObject]]`` is returned as it is; a resizable one is
        replaced by a new fixed-length buffer and detached. For a shared memory the
        engines (V8 and JavaScriptCore alike) make a new fixed-length
        SharedArrayBuffer and leave the growable one usable, which the model does;
        the threads proposal's text instead returns the current (growable) buffer,
        a step that reads as unfinished.
        """
        current = self.buffer
        if not current.resizable:
            return current
        self._buffer = ArrayBufferModel(self.memory)
        current.detach()
        return self._buffer

    def to_resizable_buffer(self) -> ArrayBufferModel:
        """``toResizableBuffer()`` (JS API, "Memories").

        A memory without a maximum is a ``TypeError``; a resizable
        ``[[BufferObject]]`` is returned as it is; otherwise a new resizable buffer
        whose ``maxByteLength`` is the maximum times 65,536 ("create a resizable
        memory buffer") replaces it, and the old one is detached (a
        SharedArrayBuffer is not: the new one is a growable SharedArrayBuffer).

        >>> memory = MemoryObject(initial=1, maximum=2)
        >>> old, resizable = memory.buffer, memory.to_resizable_buffer()
        >>> old.detached, resizable.resizable, resizable.max_byte_length, memory.to_resizable_buffer() is resizable
        (True, True, 131072, True)
        """
        maximum = self.memory.limits.maximum
        if maximum is None:
            raise JsException("TypeError", "WebAssembly.Memory.toResizableBuffer(): Memory must have a maximum")
        current = self.buffer
        if current.resizable:
            return current
        self._buffer = ArrayBufferModel(self.memory, max_byte_length=maximum * PAGE_SIZE)
        current.detach()
        return self._buffer

    def grow(self, delta: int | float) -> int:
        """``memory.grow(delta)``: the old size in pages (JS gets a BigInt of it for a 64-bit memory).

        Raises ``TypeError`` for a ``delta`` ``AddressValueToU64`` refuses (for a
        32-bit memory outside 0 to 2**32 - 1; for a 64-bit one a Number, or outside
        0 to 2**64 - 1) and ``RangeError`` if the memory cannot grow by it (JS API,
        "Memories": ``grow``; a 64-bit memory grows to at most 262,144 pages).
        """
        pages = address_value_to_u64(delta, self.address, "delta")
        old_pages = self.memory.grow(pages)
        if old_pages < 0:
            raise JsException("RangeError", "WebAssembly.Memory.grow(): maximum memory size exceeded")
        return old_pages


def _descriptor_limits(initial: int | float, maximum: int | float | None, shared: bool, address: str) -> Limits:
    """The ``Memory(descriptor)`` constructor's steps up to ``mem_alloc``: the new memory's limits.

    The dictionary's members convert in lexicographic order, so a bad
    ``address`` is a ``TypeError`` first; then ``initial`` and ``maximum``
    (``AddressValueToU64``). A memory type that is not valid (``initial`` above
    ``maximum``; a 32-bit limit above 65,536 pages, a 64-bit one above 2**48) or
    that cannot be allocated (a 64-bit memory above 262,144 pages, the JS API's
    largest) is a ``RangeError``. A shared memory without a maximum is a ``TypeError``.
    """
    address = check_address_type(address)
    initial = address_value_to_u64(initial, address, "initial")
    maximum = None if maximum is None else address_value_to_u64(maximum, address, "maximum")
    valid_type = maximum is None or initial <= maximum <= page_limit(address)
    if not valid_type or initial > allocatable_pages(address):
        raise JsException("RangeError", "WebAssembly.Memory(): invalid initial or maximum")
    if shared and maximum is None:
        raise JsException("TypeError", "WebAssembly.Memory(): shared memory needs a maximum")
    return Limits(initial, maximum, shared, address)


def _descriptor_counts(initial: int | float, maximum: int | float | None) -> tuple[int, int | None]:
    """A 32-bit descriptor's ``initial`` and ``maximum``, converted in member order."""
    initial = enforce_range_unsigned_long(initial, "initial")
    return initial, None if maximum is None else enforce_range_unsigned_long(maximum, "maximum")


def table_object(element: str, initial: int | float, maximum: int | float | None = None) -> TableInstance:
    """``new WebAssembly.Table({element, initial, maximum})`` (JS API, "Tables": the constructor).

    ``TypeError`` for a count outside 0 to 2**32 - 1; ``RangeError`` for a
    ``maximum`` below ``initial`` or an ``initial`` over :data:`MAX_TABLE_SIZE`.
    """
    initial, maximum = _descriptor_counts(initial, maximum)
    if maximum is not None and maximum < initial:
        raise JsException("RangeError", "WebAssembly.Table(): 'maximum' is below 'initial'")
    if initial > MAX_TABLE_SIZE:
        raise JsException("RangeError", f"WebAssembly.Table(): 'initial' is above {MAX_TABLE_SIZE}")
    return TableInstance(element, [None] * initial, maximum)
