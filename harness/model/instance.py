"""Module instances: instantiation, imports and exports, as the spec defines them.

:func:`instantiate` links a decoded :class:`~harness.model.binary.Module`
against its imports, creates its memories and globals, copies its active data
segments in order (a segment outside its memory traps, leaving the earlier
ones written) and runs its start function. Linking failures raise
:class:`~harness.model.traps.JsException` ``LinkError``, as the JS API does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Mapping, Union

from .binary import FuncType, FunctionBody, GlobalType, Module
from .memory import Limits, Memory
from .traps import JsException, UnsupportedInstruction


@dataclass
class GlobalInstance:
    """A global's type and current value (a canonical bit pattern)."""

    type: GlobalType
    value: int


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
ExternValue = Union[Function, Memory, GlobalInstance]


@dataclass
class Instance:
    """A module instance: its index spaces and exports."""

    module: Module
    functions: list[Function] = field(default_factory=list)
    memories: list[Memory] = field(default_factory=list)
    globals: list[GlobalInstance] = field(default_factory=list)
    exports: dict[str, ExternValue] = field(default_factory=dict)
    dropped_data: set[int] = field(default_factory=set)

    def memory(self, index: int = 0) -> Memory:
        """The ``index``-th memory of the instance."""
        return self.memories[index]


def memory_limits_match(actual: Limits, declared: Limits) -> bool:
    """The spec's import matching of memory types (``actual`` is what is supplied)."""
    if actual.shared != declared.shared or actual.minimum < declared.minimum:
        return False
    if declared.maximum is None:
        return True
    return actual.maximum is not None and actual.maximum <= declared.maximum


def _resolve_imports(module: Module, imports: Mapping[tuple[str, str], ExternValue],
                     instance: Instance) -> None:
    for entry in module.imports:
        where = f'import "{entry.module}" "{entry.name}"'
        value = imports.get((entry.module, entry.name))
        if value is None:
            raise JsException("LinkError", f"{where}: not provided")
        if entry.kind == "memory":
            if not isinstance(value, Memory) or not memory_limits_match(
                    Limits(value.pages, value.limits.maximum, value.limits.shared), entry.desc):
                raise JsException("LinkError", f"{where}: memory import does not match")
            instance.memories.append(value)
        elif entry.kind == "func":
            if not isinstance(value, (WasmFunction, HostFunction)) or value.type != module.types[entry.desc]:
                raise JsException("LinkError", f"{where}: function import does not match")
            instance.functions.append(value)
        elif entry.kind == "global":
            if not isinstance(value, GlobalInstance) or value.type != entry.desc:
                raise JsException("LinkError", f"{where}: global import does not match")
            instance.globals.append(value)
        else:
            raise UnsupportedInstruction(f"{entry.kind} import")


def instantiate(module: Module, imports: Mapping[tuple[str, str], ExternValue] | None = None) -> Instance:
    """Instantiate ``module``; raises ``JsException('LinkError')`` or a ``Trap``."""
    from .interpreter import evaluate_constant, invoke  # the interpreter needs Instance

    if module.tables or module.elements:
        raise UnsupportedInstruction("tables and element segments")
    instance = Instance(module)
    _resolve_imports(module, imports or {}, instance)
    instance.memories.extend(Memory(limits) for limits in module.memories)
    for definition in module.globals:
        instance.globals.append(GlobalInstance(definition.type, evaluate_constant(instance, definition.init)))
    for type_index, body in zip(module.functions, module.bodies):
        instance.functions.append(WasmFunction(module.types[type_index], instance, body))
    spaces = {"func": instance.functions, "memory": instance.memories, "global": instance.globals}
    for export in module.exports:
        if export.kind not in spaces:
            raise UnsupportedInstruction(f"{export.kind} export")
        instance.exports[export.name] = spaces[export.kind][export.index]
    for segment in module.data:
        if segment.mode == "active":
            offset = evaluate_constant(instance, segment.offset)
            instance.memory(segment.memory).store(offset, segment.data)
    if module.start is not None:
        invoke(instance.functions[module.start], [])
    return instance


def call_export(instance: Instance, name: str, args: list[int]) -> list[int]:
    """Invoke the exported function ``name`` with canonical argument values."""
    from .interpreter import invoke

    function = instance.exports.get(name)
    if not isinstance(function, (WasmFunction, HostFunction)):
        raise JsException("TypeError", f"export {name!r} is not a function")
    return invoke(function, args)

