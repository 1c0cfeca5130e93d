"""Scenarios as cases: load and check them all, compile, run the reference, judge each runtime.

Everything that can be wrong with the input is found before anything runs
(exit 2, nothing compared): every scenario file is loaded, every module is
compiled and matched against its steps. The reference model runs each
scenario once; a runtime's run is judged against it and against every
``expect`` (:func:`judge_on_runtime`); on the reference model alone, the
``expect`` keys are the judge (:func:`judge_on_reference`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

from ..case import REFERENCE, Case, CaseKind, RuntimeId, Status
from ..compiler.wabt import Compiler, load_module_bytes
from ..errors import HarnessError, InputErrors, RuntimeFailure
from ..model import decode_module
from ..model.binary import Module
from ..model.traps import UnsupportedInstruction
from ..runtimes.probes import missing_features
from .format import Scenario, check_against_module, load_scenario
from .on_model import ModelGap, run_reference
from .on_runtime import RuntimeSession
from .requirements import requirements
from .verdict import Verdict, judge


@dataclass(frozen=True)
class PreparedScenario:
    """A checked scenario with its module's bytes and decoded form."""

    scenario: Scenario
    wasm_bytes: bytes
    module: Module | None  # None when the bytes do not decode (the runtimes' CompileError is the observation)


@dataclass(frozen=True)
class Reference:
    """The reference model's observations of a scenario, or why the model cannot run it."""

    document: dict[str, Any] | None
    gap: str = ""


def load_all(files: Iterable[Path]) -> list[Scenario]:
    """Every scenario file loaded; all load errors at once as :class:`InputErrors`."""
    scenarios, errors = [], []
    for path in files:
        try:
            scenarios.append(load_scenario(path))
        except HarnessError as error:
            errors.append(error)
    if errors:
        raise InputErrors(errors)
    return scenarios


def prepare(scenario: Scenario, compiler: Compiler) -> PreparedScenario:
    """Compile (or read) the scenario's module and check its steps against it."""
    if scenario.wat is not None:
        wasm_bytes = compiler.compile_text(scenario.wat.encode("utf-8"), filename=f"{scenario.path} (wat)",
                                           features=scenario.features).wasm_bytes
    else:
        assert scenario.module_path is not None
        wasm_bytes = load_module_bytes(scenario.module_path, compiler, scenario.features).wasm_bytes
    try:
        module: Module | None = decode_module(wasm_bytes)
    except (HarnessError, UnsupportedInstruction):
        module = None  # the runtimes' CompileError, or the model's gap, is the observation
    if module is not None:
        check_against_module(scenario, module)
    return PreparedScenario(scenario, wasm_bytes, module)


def prepare_all(scenarios: Sequence[Scenario], compiler: Compiler) -> list[PreparedScenario]:
    """Prepare every scenario; all errors at once as :class:`InputErrors`."""
    prepared, errors = [], []
    for scenario in scenarios:
        try:
            prepared.append(prepare(scenario, compiler))
        except HarnessError as error:
            errors.append(error)
    if errors:
        raise InputErrors(errors)
    return prepared


def reference_of(prepared: PreparedScenario) -> Reference:
    """The reference's observations, or why the model cannot run the scenario."""
    try:
        return Reference(run_reference(prepared.scenario, prepared.wasm_bytes))
    except ModelGap as gap:
        return Reference(None, f"reference model: {gap}")


def to_case(scenario: Scenario, runtime: RuntimeId, verdict: Verdict, *,
                  observed: dict[str, Any] | None = None, reference: dict[str, Any] | None = None) -> Case:
    """The case record of one scenario on one runtime."""
    return Case(CaseKind.SCENARIO, scenario.id, scenario.path, runtime, verdict.status, detail=verdict.reason,
                observed=observed, reference=reference, differences=tuple(verdict.differences))


def judge_on_runtime(prepared: PreparedScenario, session: RuntimeSession,
                     reference: Reference | Callable[[], Reference]) -> Case:
    """One scenario on one runtime, judged; ``unsupported`` when the runtime lacks a feature it needs.

    ``reference`` may be a callable that waits for it (the model computes it
    meanwhile): it is called once the runtime has run the scenario.
    """
    runtime = RuntimeId(session.runtime.name, session.runtime.version)
    scenario = prepared.scenario
    awaited = reference if callable(reference) else lambda: reference
    lacking = missing_features(requirements(scenario, prepared.module), session.features())
    if lacking:
        reason = f"{session.runtime.label()}: " + "; ".join(lacking)
        return to_case(scenario, runtime, Verdict(Status.UNSUPPORTED, reason=reason),
                             reference=awaited().document)
    try:
        answer = session.answer(scenario, prepared.wasm_bytes, prepared.module or Module())
    except RuntimeFailure as failure:
        return to_case(scenario, runtime, Verdict(Status.ERROR, reason=failure.one_line()),
                             reference=awaited().document)
    reference = awaited()
    observed = session.normalised(answer, reference.document)
    if reference.document is None:
        return to_case(scenario, runtime, Verdict(Status.ERROR, reason=reference.gap), observed=observed)
    return to_case(scenario, runtime, judge(scenario, observed, reference.document),
                         observed=observed, reference=reference.document)


def judge_on_reference(prepared: PreparedScenario, reference: Reference) -> Case:
    """One scenario on the reference model alone: its ``expect`` keys are the judge."""
    if reference.document is None:
        return to_case(prepared.scenario, REFERENCE, Verdict(Status.ERROR, reason=reference.gap))
    verdict = judge(prepared.scenario, reference.document, reference.document)
    return to_case(prepared.scenario, REFERENCE, verdict,
                         observed=reference.document, reference=reference.document)
