"""Linear memory as the WebAssembly spec defines it.

A memory is a byte vector whose length is a whole number of 65,536-byte pages,
between a minimum and an optional maximum. Bytes are read and written
little-endian and bounds-checked against the current length. Storage is
allocated lazily, one page at a time when a page is first written with
something other than zeros, so a memory of 65,536 pages costs nothing until
it is used.
"""

from __future__ import annotations

from dataclasses import dataclass

from .traps import Trap, TrapKind

PAGE_SIZE = 65536
#: The most pages a 32-bit memory can have (4 GiB).
MAX_PAGES = 65536
#: The most pages a 64-bit memory can have: 2^64 bytes (3.0 spec 2.1, ``Memtype_ok``: 2^(64-16)).
MAX_PAGES_64 = 1 << 48


#: The most pages JavaScript engines allocate for a 64-bit memory (V8's ``kV8MaxWasmMemory64Pages``: 16 GiB).
#: Far below the spec's bound; the spec lets ``memory.grow`` fail for want of resources (3.0 spec 4.3).
ALLOCATABLE_PAGES_64 = 262144


def page_limit(address: str) -> int:
    """The most pages a memory of address type ``address`` (``"i32"`` or ``"i64"``) may declare (validation).

    >>> page_limit("i32"), page_limit("i64") == 2 ** 48
    (65536, True)
    """
    return MAX_PAGES_64 if address == "i64" else MAX_PAGES


def allocatable_pages(address: str) -> int:
    """The most pages the model (as engines) allocates for a memory of address type ``address``.

    Memories are sparse here, so nothing would stop the model sooner; it stops where
    engines do, so that its ``memory.grow`` and instantiation agree with theirs.

    >>> allocatable_pages("i32"), allocatable_pages("i64")
    (65536, 262144)
    """
    return ALLOCATABLE_PAGES_64 if address == "i64" else MAX_PAGES


@dataclass(frozen=True)
class Limits:
    """A memory type's limits, in pages; ``address`` is its address type (``"i64"``: a 64-bit memory, memory64)."""

    minimum: int
    maximum: int | None = None
    shared: bool = False
    address: str = "i32"


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
        self.grow_count = 0  # successful grows, including by 0 pages (the JS API refreshes buffers on each)
        self._chunks: dict[int, bytearray] = {}  # page index -> its bytes, once written

    @property
    def byte_length(self) -> int:
        """The current length in bytes: ``pages * PAGE_SIZE``."""
        return self.pages * PAGE_SIZE

    def size(self) -> int:
        """The current size in pages (``memory.size``)."""
        return self.pages

    def grow(self, delta: int) -> int:
        """Grow by ``delta`` pages; return the old size, or -1 if it cannot grow (``memory.grow``).

        The ceiling is the maximum, and what engines allocate for the address type
        (:func:`allocatable_pages`).
        """
        old = self.pages
        new = old + delta
        ceiling = allocatable_pages(self.limits.address)
        if self.limits.maximum is not None:
            ceiling = min(ceiling, self.limits.maximum)
        if delta < 0 or new > ceiling:
            return -1
        self.pages = new
        self.grow_count += 1
        return old

    def check_range(self, address: int, length: int) -> None:
        """Raise a :class:`Trap` (out of bounds memory access) unless the range is inside."""
        if address < 0 or length < 0 or address + length > self.byte_length:
            raise Trap(TrapKind.OUT_OF_BOUNDS_MEMORY)

    def load(self, address: int, length: int) -> bytes:
        """The ``length`` bytes at ``address``; traps out of bounds."""
        self.check_range(address, length)
        page, start = divmod(address, PAGE_SIZE)
        if start + length <= PAGE_SIZE:
            chunk = self._chunks.get(page)
            return bytes(chunk[start:start + length]) if chunk is not None else bytes(length)
        pieces = []
        while length:
            piece = min(length, PAGE_SIZE - start)
            chunk = self._chunks.get(page)
            pieces.append(bytes(chunk[start:start + piece]) if chunk is not None else bytes(piece))
            page, start, length = page + 1, 0, length - piece
        return b"".join(pieces)

    def load_int(self, address: int, width: int) -> int:
        """The unsigned little-endian integer of ``width`` bytes at ``address``; traps out of bounds."""
        if address + width > self.pages * PAGE_SIZE:
            raise Trap(TrapKind.OUT_OF_BOUNDS_MEMORY)
        start = address & 0xFFFF
        if start + width <= PAGE_SIZE:
            chunk = self._chunks.get(address >> 16)
            return int.from_bytes(chunk[start:start + width], "little") if chunk is not None else 0
        return int.from_bytes(self.load(address, width), "little")

    def store_int(self, address: int, width: int, value: int) -> None:
        """Store the low ``width`` bytes of ``value`` little-endian at ``address``; traps out of bounds."""
        if address + width > self.pages * PAGE_SIZE:
            raise Trap(TrapKind.OUT_OF_BOUNDS_MEMORY)
        start = address & 0xFFFF
        chunk = self._chunks.get(address >> 16)
        if chunk is not None and start + width <= PAGE_SIZE:
            chunk[start:start + width] = (value & ((1 << (8 * width)) - 1)).to_bytes(width, "little")
            return
        self.store(address, (value & ((1 << (8 * width)) - 1)).to_bytes(width, "little"))

    def store(self, address: int, data: bytes) -> None:
        """Write ``data`` at ``address``; traps out of bounds (and then writes nothing)."""
        self.check_range(address, len(data))
        page, start = divmod(address, PAGE_SIZE)
        offset = 0
        while offset < len(data):
            piece = min(len(data) - offset, PAGE_SIZE - start)
            chunk = self._chunks.get(page)
            part = data[offset:offset + piece]
            if chunk is None:
                if not any(part):
                    page, start, offset = page + 1, 0, offset + piece
                    continue  # zeros over a never-written page change nothing
                chunk = self._chunks[page] = bytearray(PAGE_SIZE)
            chunk[start:start + piece] = part
            page, start, offset = page + 1, 0, offset + piece

    def fill(self, address: int, value: int, length: int) -> None:
        """Set ``length`` bytes at ``address`` to ``value`` (``memory.fill``); traps out of bounds."""
        self.check_range(address, length)
        byte = bytes([value & 0xFF])
        while length:
            piece = min(length, PAGE_SIZE - address % PAGE_SIZE)
            self.store(address, byte * piece)
            address, length = address + piece, length - piece
