"""Linear memory as the WebAssembly spec defines it.

A memory is a byte vector whose length is a whole number of 65,536-byte pages,
between a minimum and an optional maximum. Bytes are read and written
little-endian and bounds-checked against the current length. Storage is
allocated lazily, up to the highest byte ever written, so a memory of 65,536
pages costs nothing until it is used.
"""

from __future__ import annotations

from dataclasses import dataclass

from .traps import Trap, TrapKind

PAGE_SIZE = 65536
#: The most pages a 32-bit memory can have (4 GiB).
MAX_PAGES = 65536


@dataclass(frozen=True)
class Limits:
    """A memory type's limits, in pages."""

    minimum: int
    maximum: int | None = None
    shared: bool = False


class Memory:
    """One linear memory instance.

    >>> memory = Memory(Limits(1))
    >>> memory.store(8, (11).to_bytes(4, "little"))
    >>> int.from_bytes(memory.load(8, 4), "little"), memory.byte_length
    (11, 65536)
    """

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.pages = limits.minimum
        self._backing = bytearray()

    @property
    def byte_length(self) -> int:
        """The current length in bytes: ``pages * PAGE_SIZE``."""
        return self.pages * PAGE_SIZE

    def size(self) -> int:
        """The current size in pages (``memory.size``)."""
        return self.pages

    def grow(self, delta: int) -> int:
        """Grow by ``delta`` pages; return the old size, or -1 if it cannot grow (``memory.grow``)."""
        old = self.pages
        new = old + delta
        ceiling = self.limits.maximum if self.limits.maximum is not None else MAX_PAGES
        if delta < 0 or new > min(ceiling, MAX_PAGES):
            return -1
        self.pages = new
        return old

    def check_range(self, address: int, length: int) -> None:
        """Raise a :class:`Trap` (out of bounds memory access) unless the range is inside."""
        if address < 0 or length < 0 or address + length > self.byte_length:
            raise Trap(TrapKind.OUT_OF_BOUNDS_MEMORY)

    def load(self, address: int, length: int) -> bytes:
        """The ``length`` bytes at ``address``; traps out of bounds."""
        self.check_range(address, length)
        end = address + length
        backing = self._backing
        if end <= len(backing):
            return bytes(backing[address:end])
        present = bytes(backing[address:end]) if address < len(backing) else b""
        return present + bytes(length - len(present))

    def store(self, address: int, data: bytes) -> None:
        """Write ``data`` at ``address``; traps out of bounds (and then writes nothing)."""
        self.check_range(address, len(data))
        end = address + len(data)
        if end > len(self._backing):
            if not any(data):
                return  # writing zeros beyond the backing changes nothing
            self._backing.extend(bytes(end - len(self._backing)))
        self._backing[address:end] = data

    def fill(self, address: int, value: int, length: int) -> None:
        """Set ``length`` bytes at ``address`` to ``value`` (``memory.fill``); traps out of bounds."""
        self.check_range(address, length)
        self.store(address, bytes([value & 0xFF]) * length)

    def snapshot(self) -> bytes:
        """The whole memory's bytes (allocates ``byte_length`` bytes: for small memories)."""
        return self.load(0, self.byte_length)
