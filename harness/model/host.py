"""``WebAssembly.Memory`` as JavaScript sees it.

Wraps a spec :class:`~harness.model.memory.Memory` with the JS API's
behaviour: the constructor's descriptor checks, ``grow`` throwing
``RangeError`` instead of returning -1, and ``buffer`` being replaced (the old
one detached) after every grow of a non-shared memory. ``new
WebAssembly.Table`` (:func:`table_object`) takes its descriptor the same way.

Every page or element count the JS API takes is an ``[EnforceRange] unsigned
long`` (JS API, "Memories": ``MemoryDescriptor``, ``Memory.grow``; "Tables":
``TableDescriptor``): WebIDL converts it (:func:`enforce_range_unsigned_long`)
before the constructor or method runs, so a count outside 0 to 2**32 - 1 is a
``TypeError``, and only a count in that range but beyond what WebAssembly
allows is a ``RangeError``.
"""

from __future__ import annotations

import math

from .memory import MAX_PAGES, Limits, Memory
from .store import TableInstance
from .traps import JsException
from .views import ArrayBufferModel

#: The largest value of a WebIDL ``unsigned long``.
UNSIGNED_LONG_MAX = 0xFFFF_FFFF
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


class MemoryObject:
    """A ``WebAssembly.Memory`` object.

    >>> memory = MemoryObject(initial=1)
    >>> old = memory.buffer
    >>> memory.grow(1), old.detached, memory.buffer.byte_length
    (1, True, 131072)
    """

    def __init__(self, initial: int, maximum: int | None = None, shared: bool = False,
                 memory: Memory | None = None) -> None:
        if memory is None:
            initial, maximum = _descriptor_counts(initial, maximum)
            if initial > MAX_PAGES or (maximum is not None and not initial <= maximum <= MAX_PAGES):
                raise JsException("RangeError", "WebAssembly.Memory(): invalid initial or maximum")
            if shared and maximum is None:
                raise JsException("TypeError", "WebAssembly.Memory(): shared memory needs a maximum")
            memory = Memory(Limits(initial, maximum, shared))
        self.memory = memory
        self._buffer = ArrayBufferModel(memory)

    @classmethod
    def wrapping(cls, memory: Memory) -> "MemoryObject":
        """The JS object for a memory a module created (an exported memory)."""
        return cls(memory.limits.minimum, memory=memory)

    @property
    def buffer(self) -> ArrayBufferModel:
        """The current ``ArrayBuffer``, refreshed after any grow (also one made by wasm code).

        A non-shared memory's old buffer is detached; a shared memory's old
        ``SharedArrayBuffer`` stays usable with its old length.
        """
        if self._buffer.byte_length != self.memory.byte_length or self._buffer.detached:
            self._buffer = ArrayBufferModel(self.memory)
        return self._buffer

    def grow(self, delta: int) -> int:
        """``memory.grow(delta)``: the old size in pages.

        Raises ``TypeError`` for a ``delta`` outside 0 to 2**32 - 1 (``[EnforceRange]``)
        and ``RangeError`` if the memory cannot grow by it (JS API, "Memories": ``grow``).
        """
        delta = enforce_range_unsigned_long(delta, "delta")
        old_pages = self.memory.grow(delta)
        if old_pages < 0:
            raise JsException("RangeError", "WebAssembly.Memory.grow(): maximum memory size exceeded")
        return old_pages


def _descriptor_counts(initial: int | float, maximum: int | float | None) -> tuple[int, int | None]:
    """A descriptor's ``initial`` and ``maximum`` as WebIDL converts the dictionary, in member order."""
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
