"""The store: the runtime structures instances are made of, as the spec names them.

Globals, tables, functions (defined in a module or given by the host),
external references and module instances. Instantiation
(:mod:`harness.model.instance`) builds them; the interpreter and the bulk
instructions work on them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Union

from .binary import FunctionBody, FuncType, GlobalType, Module
from .memory import Memory


@dataclass
class GlobalInstance:
    """A global's type and current value (a canonical bit pattern)."""

    type: GlobalType
    value: int


#: The most elements the model (as engines: V8's ``kV8MaxWasmTableSize``) gives a table; its elements are a
#: real list, so growing to the spec's 2^32 - 1 (2^64 - 1 for a 64-bit table) would exhaust the host.
ALLOCATABLE_ELEMENTS = 10_000_000


@dataclass
class TableInstance:
    """A table: its element type, limits, and elements (``None`` is a null reference)."""

    element_type: str
    elements: list[Any]
    maximum: int | None = None
    #: the address type of its indices (``"i64"``: a 64-bit table, memory64)
    address: str = "i32"

    def grow(self, delta: int, value: Any) -> int:
        """``table.grow``: the old size, or -1 past the maximum or past what engines allocate."""
        old = len(self.elements)
        ceiling = min(self.maximum, ALLOCATABLE_ELEMENTS) if self.maximum is not None else ALLOCATABLE_ELEMENTS
        if old + delta > ceiling:
            return -1
        self.elements.extend([value] * delta)
        return old


@dataclass(frozen=True)
class WasmFunction:
    """A function defined by a module instance."""

    type: FuncType
    instance: "Instance"
    body: FunctionBody


@dataclass(frozen=True)
class HostFunction:
    """A function provided by the host: ``call(args) -> results``."""

    type: FuncType
    call: Callable[[list[int]], list[int]]


Function = Union[WasmFunction, HostFunction]


@dataclass(frozen=True)
class ExternRef:
    """A non-null host reference (``externref``), numbered as the spec scripts' ``(ref.extern N)``."""

    number: int

ExternValue = Union[Function, Memory, GlobalInstance, TableInstance]


@dataclass
class Instance:
    """A module instance: its index spaces and exports."""

    module: Module
    functions: list[Function] = field(default_factory=list)
    memories: list[Memory] = field(default_factory=list)
    globals: list[GlobalInstance] = field(default_factory=list)
    tables: list[TableInstance] = field(default_factory=list)
    exports: dict[str, ExternValue] = field(default_factory=dict)
    dropped_data: set[int] = field(default_factory=set)
    dropped_elements: set[int] = field(default_factory=set)
    element_values: list[list[Any]] = field(default_factory=list)
    #: the interpreter's runner per defined function (by ``id``) and per function index for ``call``
    runners: dict[int, Callable[..., list[Any]]] = field(default_factory=dict, compare=False, repr=False)
    direct_runners: list[Callable[..., list[Any]]] | None = field(default=None, compare=False, repr=False)

    def memory(self, index: int = 0) -> Memory:
        """The ``index``-th memory of the instance."""
        return self.memories[index]
