"""How the reference model fails: WebAssembly traps and JavaScript exceptions.

A :class:`Trap` carries one of the contract's trap kinds. A :class:`JsException`
is what the host side (the JS API, typed arrays, ``TextDecoder``) would throw,
named by its ``name`` property as the scenario contract observes it.
"""

from __future__ import annotations

from enum import Enum


class TrapKind(str, Enum):
    """The trap kinds a WebAssembly execution can end in (scenario contract names)."""

    #: a load, store or bulk operation outside the memory's current byte length
    OUT_OF_BOUNDS_MEMORY = "out of bounds memory access"
    #: ``div`` or ``rem`` with a zero divisor
    INTEGER_DIVIDE_BY_ZERO = "integer divide by zero"
    #: signed ``div`` of the minimum value by -1, or a float truncation out of range
    INTEGER_OVERFLOW = "integer overflow"
    #: a float truncation of NaN
    INVALID_CONVERSION = "invalid conversion to integer"
    #: the ``unreachable`` instruction
    UNREACHABLE = "unreachable"
    #: too deep a call chain
    CALL_STACK_EXHAUSTED = "call stack exhausted"
    #: ``call_indirect`` to a function of the wrong type
    INDIRECT_CALL = "indirect call"
    #: a table access outside the table
    OUT_OF_BOUNDS_TABLE = "out of bounds table access"
    #: ``call_indirect`` through an empty table slot
    UNINITIALIZED_ELEMENT = "uninitialized element"


class Trap(Exception):
    """A WebAssembly trap; seen from JavaScript it is a ``RuntimeError``."""

    def __init__(self, kind: TrapKind) -> None:
        super().__init__(kind.value)
        self.kind = kind


class JsException(Exception):
    """An exception the JavaScript host would throw, by its ``name`` (``RangeError``...)."""

    def __init__(self, name: str, message: str = "") -> None:
        super().__init__(f"{name}: {message}" if message else name)
        self.name = name
        self.message = message


class UnsupportedInstruction(Exception):
    """The model reached an instruction it does not execute yet (or, without ``feature``, another gap).

    ``instruction`` names it as the text format does; ``feature`` is the proposal it
    belongs to (``"SIMD"``, ``"relaxed SIMD"``), which the message names too:

    >>> str(UnsupportedInstruction("i8x16.add", "SIMD"))
    'reference model lacks SIMD instruction i8x16.add'
    """

    def __init__(self, name: str, feature: str = "") -> None:
        super().__init__(f"reference model lacks {feature} instruction {name}" if feature
                         else f"the reference model does not execute {name!r}")
        self.instruction = name
        self.feature = feature


class FuelExhausted(Exception):
    """The interpreter stopped a computation that ran past its budget (it may never end)."""

    def __init__(self, budget: int) -> None:
        super().__init__(f"stopped after {budget} loop iterations and calls: the code may not terminate")
        self.budget = budget
