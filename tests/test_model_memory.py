"""Linear memory as the spec defines it: pages, limits, bounds, little-endian bytes."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from harness.model.memory import (
    ALLOCATABLE_PAGES_64,
    MAX_PAGES,
    PAGE_SIZE,
    Limits,
    Memory,
)
from harness.model.traps import Trap, TrapKind


def test_a_page_is_exactly_65536_bytes() -> None:
    assert PAGE_SIZE == 64 * 1024 == 65536
    assert Memory(Limits(3)).byte_length == 3 * 65536


def test_grow_returns_the_old_size_in_pages() -> None:
    memory = Memory(Limits(1, 4))
    assert memory.grow(2) == 1
    assert memory.size() == 3 and memory.byte_length == 3 * 65536


def test_grow_past_the_maximum_fails_with_minus_one_and_changes_nothing() -> None:
    memory = Memory(Limits(1, 2))
    assert memory.grow(2) == -1
    assert memory.size() == 1


def test_grow_without_maximum_stops_at_65536_pages() -> None:
    memory = Memory(Limits(0))
    assert memory.grow(MAX_PAGES + 1) == -1
    assert memory.grow(MAX_PAGES) == 0


def test_a_full_size_memory_is_not_allocated_up_front() -> None:
    memory = Memory(Limits(MAX_PAGES))
    memory.store(memory.byte_length - 4, b"\x01\x02\x03\x04")
    assert memory.load(memory.byte_length - 4, 4) == b"\x01\x02\x03\x04"
    assert memory.load(12345, 3) == b"\0\0\0"


def test_new_memory_reads_as_zeros() -> None:
    assert Memory(Limits(1)).load(65530, 6) == bytes(6)


@pytest.mark.parametrize("address, length", [(65536, 1), (65533, 4), (-1, 1), (2**32, 1)])
def test_accesses_past_the_end_trap(address: int, length: int) -> None:
    with pytest.raises(Trap) as caught:
        Memory(Limits(1)).load(address, length)
    assert caught.value.kind is TrapKind.OUT_OF_BOUNDS_MEMORY


def test_a_trapping_store_writes_nothing() -> None:
    memory = Memory(Limits(1))
    with pytest.raises(Trap):
        memory.store(65534, b"\xff\xff\xff\xff")
    assert memory.load(65534, 2) == b"\0\0"


def test_the_last_byte_is_in_bounds() -> None:
    memory = Memory(Limits(1))
    memory.store(65535, b"\x2a")
    assert memory.load(65535, 1) == b"\x2a"


@given(address=st.integers(0, 2 * PAGE_SIZE - 8), value=st.integers(0, 2**64 - 1))
def test_stored_bytes_read_back_little_endian(address: int, value: int) -> None:
    memory = Memory(Limits(2))
    memory.store(address, value.to_bytes(8, "little"))
    assert int.from_bytes(memory.load(address, 8), "little") == value
    assert memory.load(address, 1)[0] == value & 0xFF


def test_fill_sets_every_byte_and_traps_out_of_bounds() -> None:
    memory = Memory(Limits(1))
    memory.fill(10, 0x1AB, 3)
    assert memory.load(9, 5) == b"\0\xab\xab\xab\0"
    with pytest.raises(Trap):
        memory.fill(65535, 1, 2)


def test_an_access_across_a_page_boundary_spans_both_pages() -> None:
    memory = Memory(Limits(2))
    memory.store(PAGE_SIZE - 3, b"abcdef")
    assert memory.load(PAGE_SIZE - 3, 6) == b"abcdef"
    assert memory.load(PAGE_SIZE, 3) == b"def"


writes = st.lists(st.tuples(st.integers(0, 3 * PAGE_SIZE - 1), st.binary(max_size=200)), max_size=20)


@given(writes=writes, probe=st.tuples(st.integers(0, 3 * PAGE_SIZE - 1), st.integers(0, 300)))
def test_memory_behaves_like_one_flat_byte_array(writes: list[tuple[int, bytes]], probe: tuple[int, int]) -> None:
    memory, flat = Memory(Limits(3)), bytearray(3 * PAGE_SIZE)
    for address, data in writes:
        if address + len(data) <= len(flat):
            memory.store(address, data)
            flat[address:address + len(data)] = data
    address, length = probe
    length = min(length, len(flat) - address)
    assert memory.load(address, length) == bytes(flat[address:address + length])


def test_a_64_bit_memory_grows_past_4_gib_and_stops_where_engines_do() -> None:
    memory = Memory(Limits(0, address="i64"))
    assert memory.grow(MAX_PAGES + 1) == 0  # 4 GiB and one page: beyond any 32-bit memory
    assert memory.grow(ALLOCATABLE_PAGES_64 - MAX_PAGES) == -1  # one page past V8's 16 GiB
    assert memory.grow(ALLOCATABLE_PAGES_64 - MAX_PAGES - 1) == MAX_PAGES + 1
    assert memory.byte_length == 16 * 2 ** 30


def test_a_64_bit_maximum_beyond_what_engines_allocate_does_not_lift_the_ceiling() -> None:
    memory = Memory(Limits(ALLOCATABLE_PAGES_64, 2 ** 48, address="i64"))
    assert memory.grow(1) == -1


def test_a_64_bit_memory_checks_bounds_past_4_gib_without_allocating_below() -> None:
    memory = Memory(Limits(MAX_PAGES + 1, address="i64"))
    end = (MAX_PAGES + 1) * PAGE_SIZE
    memory.store_int(end - 8, 8, 0x0102030405060708)
    assert memory.load_int(end - 8, 8) == 0x0102030405060708
    assert memory.load(2 ** 32 - 2, 4) == b"\0\0\0\0"
    with pytest.raises(Trap):
        memory.load_int(end - 7, 8)
    with pytest.raises(Trap):
        memory.load(2 ** 64 - 1, 2)  # past 2^64: no wrapping
