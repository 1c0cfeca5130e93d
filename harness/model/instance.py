"""Module instances: instantiation, imports and exports, as the spec defines them.

:func:`instantiate` links a decoded :class:`~harness.model.binary.Module`
against its imports, creates its memories and globals, copies its active data
segments in order (a segment outside its memory traps, leaving the earlier
ones written) and runs its start function. Linking failures raise
:class:`~harness.model.traps.JsException` ``LinkError``, as the JS API does.
"""

from __future__ import annotations

from typing import Mapping

from .binary import Module
from .interpreter import evaluate_constant, invoke
from .memory import Limits, Memory
from .store import (
    ExternValue,
    GlobalInstance,
    HostFunction,
    Instance,
    TableInstance,
    WasmFunction,
)
from .traps import JsException, Trap, TrapKind, UnsupportedInstruction


def memory_limits_match(actual: Limits, declared: Limits) -> bool:
    """The spec's import matching of memory types (``actual`` is what is supplied; 3.0 spec 2.2
    "Matching": the address types are equal and the limits within the declared ones)."""
    if actual.address != declared.address:
        return False
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
                    Limits(value.pages, value.limits.maximum, value.limits.shared, value.limits.address), entry.desc):
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
        elif entry.kind == "table":
            wanted = entry.desc.limits
            if not isinstance(value, TableInstance) or value.element_type != entry.desc.element or \
                    len(value.elements) < wanted.minimum or (
                    wanted.maximum is not None and (value.maximum is None or value.maximum > wanted.maximum)):
                raise JsException("LinkError", f"{where}: table import does not match")
            instance.tables.append(value)
        else:
            raise UnsupportedInstruction(f"{entry.kind} import")


def instantiate(module: Module, imports: Mapping[tuple[str, str], ExternValue] | None = None) -> Instance:
    """Instantiate ``module``; raises ``JsException('LinkError')`` or a ``Trap``."""
    instance = Instance(module)
    _resolve_imports(module, imports or {}, instance)
    instance.memories.extend(Memory(limits) for limits in module.memories)
    for type_index, body in zip(module.functions, module.bodies):  # before globals: ref.func may name them
        instance.functions.append(WasmFunction(module.types[type_index], instance, body))
    for definition in module.globals:
        instance.globals.append(GlobalInstance(definition.type, evaluate_constant(instance, definition.init)))
    instance.tables.extend(TableInstance(table.element, [None] * table.limits.minimum, table.limits.maximum)
                           for table in module.tables)
    instance.element_values = [[evaluate_constant(instance, item) for item in segment.items]
                               for segment in module.elements]
    spaces = {"func": instance.functions, "memory": instance.memories, "global": instance.globals,
              "table": instance.tables}
    for export in module.exports:
        if export.kind not in spaces:
            raise UnsupportedInstruction(f"{export.kind} export")
        instance.exports[export.name] = spaces[export.kind][export.index]
    for index, segment in enumerate(module.elements):
        if segment.mode != "passive":
            instance.dropped_elements.add(index)  # active and declarative segments are dropped after use
        if segment.mode == "active":
            offset = evaluate_constant(instance, segment.offset)
            table = instance.tables[segment.table]
            values = instance.element_values[index]
            if offset + len(values) > len(table.elements):
                raise Trap(TrapKind.OUT_OF_BOUNDS_TABLE)
            table.elements[offset:offset + len(values)] = values
    for segment in module.data:
        if segment.mode == "active":
            offset = evaluate_constant(instance, segment.offset)
            instance.memory(segment.memory).store(offset, segment.data)
    if module.start is not None:
        invoke(instance.functions[module.start], [])
    return instance


def call_export(instance: Instance, name: str, args: list[int]) -> list[int]:
    """Invoke the exported function ``name`` with canonical argument values."""
    function = instance.exports.get(name)
    if not isinstance(function, (WasmFunction, HostFunction)):
        raise JsException("TypeError", f"export {name!r} is not a function")
    return invoke_function(function, args)


def invoke_function(function: "WasmFunction | HostFunction", args: list[int]) -> list[int]:
    """Invoke any function value with canonical arguments (for scripts that call imports' exports)."""
    return invoke(function, args)
