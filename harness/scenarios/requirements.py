"""What a scenario needs of a runtime: its modules' needs and its steps' and imports' (shared memory, i64, memory64, resizable buffers)."""

from __future__ import annotations

from typing import Any, Sequence

from ..model.binary import Module
from ..model.memory import MAX_PAGES
from ..model.wasi import WASI_MODULES
from ..runtimes.probes import module_requirements
from .format import RESIZABLE_BUFFER_OPS, Scenario
from .linking import memory_of

#: the JS API method each resizable-buffer op calls
_METHOD_OF = {"to_resizable_buffer": "toResizableBuffer", "to_fixed_length_buffer": "toFixedLengthBuffer"}


def _merge(needs: dict[str, Any], feature: str, why: Any) -> None:
    needs[feature] = max(needs.get(feature, 0), why) if feature == "max_memory_pages" else why


def _i64_use(scenario: Scenario, modules: Sequence[Module | None]) -> str | None:
    """Why the scenario passes an i64 between JavaScript and WebAssembly (BigInt integration), if it does."""
    for declared in scenario.imports:
        if declared.settings.get("type") == "i64":
            return f"the import {declared.key} is an i64 global"
    for module in modules:
        for entry in module.imports if module is not None else ():
            declared = scenario.declared(f"{entry.module}.{entry.name}")
            host_function = (declared is not None and declared.source is None) or (
                scenario.wasi is not None and entry.module in WASI_MODULES)
            if entry.kind == "func" and host_function and "i64" in module.types[entry.desc].params \
                    + module.types[entry.desc].results:
                return f"the host function {entry.module}.{entry.name} passes an i64"
    for step in scenario.steps:
        module = modules[scenario.instance_position(step.instance)]
        export = module.export(step.fields["export"]) if module is not None and "export" in step.fields else None
        if export is None:
            continue
        if step.op == "call":
            signature = module.function_type(export.index)
            if "i64" in signature.params + signature.results:
                return f"step {step.label} calls {export.name} with an i64 parameter or result"
        elif export.kind == "global" and module.global_types()[export.index].value_type == "i64":
            return f"step {step.label} reads or writes the i64 global {export.name}"
    return None


def _exported_64_bit_memory_grown(scenario: Scenario, modules: Sequence[Module | None]) -> str | None:
    """Why the scenario passes a BigInt page count to a module's own 64-bit memory (its ``grow``), if it does."""
    for step in scenario.steps:
        memory = memory_of(scenario, modules, step) if step.op == "grow" else None
        if memory is not None and memory.address == "i64" and memory.import_key is None:
            return f"step {step.label} grows the 64-bit memory {memory.export!r}"
    return None


def requirements(scenario: Scenario, modules: Sequence[Module | None]) -> dict[str, Any]:
    """The features a scenario needs, each with why (``{"bigint_i64": "step 3 calls f(i64)"}``).

    ``modules`` are the scenario's decoded modules in order (``None`` for one that does not decode).
    """
    needs: dict[str, Any] = {}
    for declared in scenario.imports:
        if declared.kind == "memory" and declared.source is None:
            if declared.settings["shared"]:
                needs["shared_memory"] = ("the [memory] table is shared" if scenario.memory is not None
                                          and declared.key == f"{scenario.memory.module}.{scenario.memory.field}"
                                          else f"the memory import {declared.key} is shared")
            initial = declared.settings["initial"]
            if isinstance(initial, int) and initial <= MAX_PAGES:  # beyond, the JS API throws on every runtime
                _merge(needs, "max_memory_pages", initial)
            if declared.settings["address"] == "i64":
                needs.setdefault("memory64_js_api", f"the memory import {declared.key} is a 64-bit memory")
    for module in modules:
        if module is not None:
            for feature, why in module_requirements(module).items():
                _merge(needs, feature, why)
    why_address = _exported_64_bit_memory_grown(scenario, modules)
    if why_address is not None:
        needs.setdefault("memory64_js_api", why_address)
    resizing = next((step for step in scenario.steps if step.op in RESIZABLE_BUFFER_OPS), None)
    if resizing is not None:
        needs["resizable_buffers"] = f"step {resizing.label} calls {_METHOD_OF[resizing.op]}()"
    why_i64 = _i64_use(scenario, modules)
    if why_i64 is not None:
        needs["bigint_i64"] = why_i64
    return needs
