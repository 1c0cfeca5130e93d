"""What a scenario needs of a runtime: its module's needs and its steps' (shared memory, i64 calls)."""

from __future__ import annotations

from typing import Any

from ..model.binary import Module
from ..runtimes.probes import module_requirements
from .format import Scenario


def requirements(scenario: Scenario, module: Module | None) -> dict[str, Any]:
    """The features a scenario needs, each with why (``{"bigint_i64": "step 3 calls f(i64)"}``)."""
    needs: dict[str, Any] = {}
    if scenario.memory is not None:
        if scenario.memory.shared:
            needs["shared_memory"] = "the [memory] table is shared"
        needs["max_memory_pages"] = scenario.memory.initial
    if module is None:
        return needs
    for feature, why in module_requirements(module).items():
        needs[feature] = max(needs.get(feature, 0), why) if feature == "max_memory_pages" else why
    for step in scenario.steps:
        if step.op == "call":
            export = module.export(step.fields["export"])
            signature = module.function_type(export.index) if export is not None else None
            if signature is not None and "i64" in signature.params + signature.results:
                needs["bigint_i64"] = f"step {step.index} calls {export.name} with an i64 parameter or result"
                break
    return needs
