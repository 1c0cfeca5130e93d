"""A runtime under test, kept alive to run many scenarios: ``js/worker.js`` + ``js/driver.js``.

One process per runtime serves every scenario of a run (one JSON request and
answer each). A scenario that crashes or hangs the runtime raises
:class:`~harness.errors.RuntimeFailure`; the worker restarts for the next one.
"""

from __future__ import annotations

import base64
from typing import Any

from ..errors import ProtocolError, RuntimeFailure
from ..model.binary import Module
from ..resources import JS_DIR
from ..runtimes.discovery import Runtime
from ..runtimes.engine_errors import normalise
from ..runtimes.probes import probe_features
from ..runtimes.process import JsonLineWorker
from ..runtimes.protocol import JsError, parse_answer, request
from .format import Scenario, Step, memory_export_name

SCENARIO_TIMEOUT = 30.0


def step_request(step: Step, module: Module) -> dict[str, Any]:
    """A step as the driver receives it: its keys, plus the export's types for ``call``."""
    entry: dict[str, Any] = {"op": step.op, **step.fields}
    if step.op == "call":
        export = module.export(step.fields["export"])
        if export is not None:  # None only for a module that does not decode, so never runs a step
            signature = module.function_type(export.index)
            entry["param_types"], entry["result_types"] = list(signature.params), list(signature.results)
    return entry


def scenario_request(scenario: Scenario, wasm_bytes: bytes, module: Module) -> dict[str, Any]:
    """The whole request document for one scenario."""
    return request(
        "scenario",
        wasm_b64=base64.b64encode(wasm_bytes).decode("ascii"),
        memory=scenario.memory.as_json() if scenario.memory else None,
        memory_export=memory_export_name(scenario, module),
        steps=[step_request(step, module) for step in scenario.steps],
    )


class RuntimeSession:
    """The long-lived driver process of one runtime."""

    def __init__(self, runtime: Runtime, *, timeout: float = SCENARIO_TIMEOUT) -> None:
        self.runtime = runtime
        self.timeout = timeout
        argv = runtime.command(JS_DIR / "worker.js", str(JS_DIR / "driver.js"))
        self.worker = JsonLineWorker(argv, name=f"{runtime.label()} driver")
        self._features: dict[str, Any] | None = None

    def features(self) -> dict[str, Any]:
        """What the runtime can do (probed once per executable; see :mod:`harness.runtimes.probes`)."""
        if self._features is None:
            self._features = probe_features(self.runtime)
        return self._features

    def run(self, scenario: Scenario, wasm_bytes: bytes, module: Module,
            reference: dict[str, Any] | None = None) -> dict[str, Any]:
        """The runtime's observation document, with trap kinds recognised from messages."""
        return self.normalised(self.answer(scenario, wasm_bytes, module), reference)

    def answer(self, scenario: Scenario, wasm_bytes: bytes, module: Module) -> dict[str, Any]:
        """The driver's observation document as it came, before :meth:`normalised` sees the reference."""
        answer = self.worker.request(scenario_request(scenario, wasm_bytes, module), timeout=self.timeout)
        outcome = parse_answer(answer, who=self.worker.name)
        if isinstance(outcome, JsError):
            raise RuntimeFailure(f"{self.worker.name} failed: {outcome.name}: {outcome.message}",
                                 detail=outcome.stack)
        if not (isinstance(outcome, dict) and "instantiate" in outcome and isinstance(outcome.get("steps"), list)):
            raise ProtocolError(f"{self.worker.name} answered without an observation document")
        return outcome

    def normalised(self, document: dict[str, Any], reference: dict[str, Any] | None) -> dict[str, Any]:
        """A driver's document with trap kinds recognised from messages (the reference's kinds as hints)."""
        reference = reference or {"instantiate": None, "steps": []}
        reference_steps = reference["steps"]
        return {
            "runtime": {"name": self.runtime.name, "version": self.runtime.version},
            "instantiate": normalise(document["instantiate"], reference["instantiate"]),
            "steps": [normalise(step, reference_steps[i] if i < len(reference_steps) else None)
                      for i, step in enumerate(document["steps"])],
        }

    def close(self, *, grace: float = 2.0) -> None:
        """Stop the driver process for good (killed after ``grace`` seconds)."""
        self.worker.close(grace=grace)
