"""``WebAssembly.Memory`` as JavaScript sees it.

Wraps a spec :class:`~harness.model.memory.Memory` with the JS API's
behaviour: the constructor's descriptor checks, ``grow`` throwing
``RangeError`` instead of returning -1, and ``buffer`` being replaced (the old
one detached) after every grow of a non-shared memory.
"""

from __future__ import annotations

from .memory import MAX_PAGES, Limits, Memory
from .traps import JsException
from .views import ArrayBufferModel


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
            if not 0 <= initial <= MAX_PAGES or (maximum is not None and not initial <= maximum <= MAX_PAGES):
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
        """``memory.grow(delta)``: the old size in pages; ``RangeError`` if it cannot grow."""
        if delta < 0:
            raise JsException("TypeError", "WebAssembly.Memory.grow(): delta must be non-negative")
        old_pages = self.memory.grow(delta)
        if old_pages < 0:
            raise JsException("RangeError", "WebAssembly.Memory.grow(): maximum memory size exceeded")
        return old_pages
