"""The fixed-width vector instructions (WebAssembly 2.0 SIMD) executed: pure functions on 128-bit ints.

A ``v128`` value is a Python int of 128 bits, lane 0 in the low bits, as the
other numeric values are their bit patterns. The modules:

- :mod:`.lanes`: lane shapes, splat / extract_lane / replace_lane, shuffle and swizzle
- :mod:`.integers`: integer lane arithmetic, saturation, shifts, comparisons, narrow /
  extend / extmul / dot, bitmask / all_true, and the bitwise ``v128`` instructions
- :mod:`.floats`: float lane arithmetic (the scalar semantics per lane) and conversions
- :mod:`.memory`: what vector loads and stores do around the scalar memory access

:data:`VECTOR_OPERATIONS` is what :mod:`harness.model.codegen` reads: per opcode,
which kind of code to write and the function it calls. Relaxed SIMD (3.0) is not
here: its instructions stay gaps (``UnsupportedInstruction``).

>>> operation = VECTOR_OPERATIONS[VECTOR_BASE | 0x6E]
>>> operation.name, operation.kind, hex(operation.function(0xFF, 0x01))
('i8x16.add', 'pure', '0x0')
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Literal

from ..opcodes import VECTOR_BASE
from ..simd import VECTOR_INSTRUCTIONS, VectorInstruction
from .floats import FLOAT_OPERATIONS
from .integers import INTEGER_OPERATIONS
from .lanes import LANE_ACCESS
from .memory import LANE_LOADS, LOADS, STORES

__all__ = ["PURE_OPERATIONS", "VECTOR_OPERATIONS", "VectorOperation"]

Kind = Literal["constant", "pure", "load", "load_lane", "store", "store_lane"]

#: instruction name -> function, for every instruction that is a function of its operands (and immediate)
PURE_OPERATIONS: dict[str, Callable[..., int]] = {**LANE_ACCESS, **INTEGER_OPERATIONS, **FLOAT_OPERATIONS}


@dataclass(frozen=True)
class VectorOperation:
    """How one vector instruction executes.

    ``kind`` says what code it becomes: ``constant`` (``v128.const``: its immediate), ``pure``
    (``function(operands..., immediate)``, the immediate only for lane indices and shuffles),
    ``load`` (``function(loaded)``, or the loaded value itself when ``function`` is None),
    ``load_lane`` (``function(vector, loaded, lane)``), ``store`` and ``store_lane`` (no function:
    the vector, or its lane, is stored). ``width`` is the bytes a memory access touches.
    """

    name: str
    kind: Kind
    function: Callable[..., int] | None = None
    operands: int = 0
    takes_immediate: bool = False
    width: int = 0


def _operation(instruction: VectorInstruction) -> VectorOperation | None:
    name = instruction.name
    if name == "v128.const":
        return VectorOperation(name, "constant")
    if name in PURE_OPERATIONS:
        return VectorOperation(name, "pure", PURE_OPERATIONS[name], len(instruction.params),
                               takes_immediate=instruction.immediate in ("laneidx", "laneidx16"))
    if name in LOADS:
        return VectorOperation(name, "load", LOADS[name].transform, width=LOADS[name].width)
    if name in LANE_LOADS:
        width, replace = LANE_LOADS[name]
        return VectorOperation(name, "load_lane", replace, width=width)
    if name in STORES:
        return VectorOperation(name, "store_lane" if name.endswith("_lane") else "store", width=STORES[name])
    return None  # relaxed SIMD: a gap


def _by_opcode() -> dict[int, VectorOperation]:
    table = {}
    for number, instruction in VECTOR_INSTRUCTIONS.items():
        operation = _operation(instruction)
        if operation is not None:
            table[VECTOR_BASE | number] = operation
    return table


#: opcode (``VECTOR_BASE | number``) -> how the instruction executes; absent: the model does not execute it
VECTOR_OPERATIONS = _by_opcode()
