"""Instructions on whole ranges and on tables, as the generated code calls them.

Each function takes the instance parts it works on followed by its operands in
stack order (bottom first), checks bounds the way the spec does (the whole
range before any effect) and raises :class:`~harness.model.traps.Trap`.
"""

from __future__ import annotations

from typing import Any

from .binary import FuncType
from .memory import Memory
from .numeric import MASK32, MASK64
from .store import Function, Instance, TableInstance
from .traps import Trap, TrapKind

#: Bytes one piece of a copy between two memories moves.
_PIECE = 1 << 20


def memory_copy(destination_memory: Memory, source_memory: Memory, destination: int, source: int,
                length: int) -> None:
    """``memory.copy`` (overlapping ranges copy as if through a buffer)."""
    if source_memory is destination_memory:
        destination_memory.copy_within(destination, source, length)
        return
    source_memory.check_range(source, length)
    destination_memory.check_range(destination, length)
    for start in range(0, length, _PIECE):  # in pieces: a GB-sized copy never builds a GB-sized string
        count = min(_PIECE, length - start)
        destination_memory.data[destination + start:destination + start + count] = \
            source_memory.data[source + start:source + start + count]


def memory_init(instance: Instance, data_index: int, memory: Memory, destination: int, source: int,
                length: int) -> None:
    """``memory.init`` from a data segment (a dropped one is empty)."""
    segment = b"" if data_index in instance.dropped_data else instance.module.data[data_index].data
    if source + length > len(segment):
        raise Trap(TrapKind.OUT_OF_BOUNDS_MEMORY)
    memory.check_range(destination, length)
    memory.store(destination, segment[source:source + length])


def _check_table(table: TableInstance, start: int, length: int = 1) -> None:
    if start + length > len(table.elements):
        raise Trap(TrapKind.OUT_OF_BOUNDS_TABLE)


def table_get(table: TableInstance, slot: int) -> Any:
    """``table.get``."""
    _check_table(table, slot)
    return table.elements[slot]


def table_set(table: TableInstance, slot: int, value: Any) -> None:
    """``table.set``."""
    _check_table(table, slot)
    table.elements[slot] = value


def table_grow(table: TableInstance, value: Any, delta: int) -> int:
    """``table.grow``: the old size, or -1 (of the table's address type) when it cannot grow."""
    return table.grow(delta, value) & (MASK64 if table.address == "i64" else MASK32)


def table_fill(table: TableInstance, start: int, value: Any, length: int) -> None:
    """``table.fill``."""
    _check_table(table, start, length)
    table.elements[start:start + length] = [value] * length


def table_copy(destination_table: TableInstance, source_table: TableInstance, destination: int, source: int,
               length: int) -> None:
    """``table.copy``."""
    _check_table(source_table, source, length)
    _check_table(destination_table, destination, length)
    destination_table.elements[destination:destination + length] = source_table.elements[source:source + length]


def table_init(instance: Instance, element_index: int, table: TableInstance, destination: int, source: int,
               length: int) -> None:
    """``table.init`` from an element segment (a dropped one is empty)."""
    values = [] if element_index in instance.dropped_elements else instance.element_values[element_index]
    if source + length > len(values):
        raise Trap(TrapKind.OUT_OF_BOUNDS_TABLE)
    _check_table(table, destination, length)
    table.elements[destination:destination + length] = values[source:source + length]


def indirect_function(table: TableInstance, expected: FuncType, slot: int) -> Function:
    """The function ``call_indirect`` calls: traps out of bounds, on null, on a type mismatch."""
    _check_table(table, slot)
    function = table.elements[slot]
    if function is None:
        raise Trap(TrapKind.UNINITIALIZED_ELEMENT)
    if function.type != expected:
        raise Trap(TrapKind.INDIRECT_CALL)
    return function
