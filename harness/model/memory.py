"""Linear memory as the WebAssembly spec defines it.

A memory is a byte vector whose length is a whole number of 65,536-byte pages,
between a minimum and an optional maximum. Bytes are read and written
little-endian and bounds-checked against the current length.

Storage is one flat buffer of exactly the current length (:attr:`Memory.data`):
an anonymous private ``mmap`` mapped with ``MAP_NORESERVE``, so the OS commits
a page only when it is first written (a memory of 65,536 pages, or a 64-bit one
of 262,144, costs address space, not memory, until it is used). Growing resizes
the mapping in place (``mremap``); a memory of 0 pages is an empty
``bytearray``. Because the buffer is exactly as long as the memory, the
translated code's loads and stores (``struct`` on the buffer, or indexing it)
are bounds-checked by the buffer itself.
"""

from __future__ import annotations

import mmap
from dataclasses import dataclass

from .traps import Trap, TrapKind

PAGE_SIZE = 65536
#: ``MAP_NORESERVE`` (Python < 3.13 does not name it; its Linux value): no swap is reserved for the mapping.
_MAP_NORESERVE = getattr(mmap, "MAP_NORESERVE", 0x4000)
#: Zero-filling more than this many bytes at once goes in pieces of it (no GB-sized temporaries).
_PIECE = 1 << 20
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


def _buffer(byte_length: int) -> "mmap.mmap | bytearray":
    """A zero-filled flat buffer of ``byte_length`` bytes whose pages are committed on first write."""
    if byte_length == 0:
        return bytearray()  # mmap cannot map nothing
    return mmap.mmap(-1, byte_length, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS | _MAP_NORESERVE)


class Memory:
    """One linear memory instance.

    >>> memory = Memory(Limits(1))
    >>> memory.store(8, (11).to_bytes(4, "little"))
    >>> int.from_bytes(memory.load(8, 4), "little"), memory.byte_length
    (11, 65536)
    """

    __slots__ = ("limits", "pages", "grow_count", "data", "__weakref__")

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.pages = limits.minimum
        self.grow_count = 0  # successful grows, including by 0 pages (the JS API refreshes buffers on each)
        #: the bytes, exactly ``byte_length`` of them (translated code reads and writes it directly)
        self.data: mmap.mmap | bytearray = _buffer(self.pages * PAGE_SIZE)

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
        (:func:`allocatable_pages`). The new pages read as zeros.
        """
        old = self.pages
        new = old + delta
        ceiling = allocatable_pages(self.limits.address)
        if self.limits.maximum is not None:
            ceiling = min(ceiling, self.limits.maximum)
        if delta < 0 or new > ceiling:
            return -1
        if new != old:
            if isinstance(self.data, mmap.mmap):
                self.data.resize(new * PAGE_SIZE)  # mremap: the same object, the bytes kept, the rest zeros
            else:
                self.data = _buffer(new * PAGE_SIZE)
        self.pages = new
        self.grow_count += 1
        return old

    def check_range(self, address: int, length: int) -> None:
        """Raise a :class:`Trap` (out of bounds memory access) unless the range is inside."""
        if address < 0 or length < 0 or address + length > self.pages * PAGE_SIZE:
            raise Trap(TrapKind.OUT_OF_BOUNDS_MEMORY)

    def load(self, address: int, length: int) -> bytes:
        """The ``length`` bytes at ``address``; traps out of bounds."""
        self.check_range(address, length)
        return bytes(self.data[address:address + length])

    def load_int(self, address: int, width: int) -> int:
        """The unsigned little-endian integer of ``width`` bytes at ``address``; traps out of bounds."""
        if address + width > self.pages * PAGE_SIZE:
            raise Trap(TrapKind.OUT_OF_BOUNDS_MEMORY)
        return int.from_bytes(self.data[address:address + width], "little")

    def store_int(self, address: int, width: int, value: int) -> None:
        """Store the low ``width`` bytes of ``value`` little-endian at ``address``; traps out of bounds."""
        if address + width > self.pages * PAGE_SIZE:
            raise Trap(TrapKind.OUT_OF_BOUNDS_MEMORY)
        self.data[address:address + width] = (value & ((1 << (8 * width)) - 1)).to_bytes(width, "little")

    def store(self, address: int, data: bytes) -> None:
        """Write ``data`` at ``address``; traps out of bounds (and then writes nothing). One slice copy."""
        self.check_range(address, len(data))
        self.data[address:address + len(data)] = data

    def fill(self, address: int, value: int, length: int) -> None:
        """Set ``length`` bytes at ``address`` to ``value`` (``memory.fill``); traps out of bounds."""
        self.check_range(address, length)
        byte = value & 0xFF
        if byte == 0 and isinstance(self.data, mmap.mmap):
            address, length = self._discard_pages(address, length)
        piece = bytes([byte]) * min(length, _PIECE)
        while length:
            count = min(length, _PIECE)
            self.data[address:address + count] = piece[:count] if count < len(piece) else piece
            address, length = address + count, length - count

    def _discard_pages(self, address: int, length: int) -> tuple[int, int]:
        """Zero the whole pages inside the range by giving them back to the OS (they read as zeros again,
        and cost nothing until written); the range left to zero by hand: the head before the first whole page,
        and the tail after the last (returned as one range when there is no whole page)."""
        first = -(-address // mmap.PAGESIZE) * mmap.PAGESIZE
        last = (address + length) // mmap.PAGESIZE * mmap.PAGESIZE
        if last - first < _PIECE:
            return address, length
        assert isinstance(self.data, mmap.mmap)
        self.data.madvise(mmap.MADV_DONTNEED, first, last - first)
        self.data[address:first] = bytes(first - address)
        return last, address + length - last

    def copy_within(self, destination: int, source: int, length: int) -> None:
        """Copy ``length`` bytes from ``source`` to ``destination`` of this memory, as if through a buffer
        (``memory.copy`` on one memory; overlapping ranges allowed); traps out of bounds before any write."""
        self.check_range(source, length)
        self.check_range(destination, length)
        if length:
            if isinstance(self.data, mmap.mmap):
                self.data.move(destination, source, length)  # memmove: no copy of the bytes in Python
            else:
                self.data[destination:destination + length] = self.data[source:source + length]
