"""Running scenarios: load and check them all, compile, run the reference, run each runtime.

Everything that can be wrong with the input is found before anything runs
(exit 2, nothing compared): every scenario file is loaded, every module is
compiled and matched against its steps. Then the reference model runs each
scenario once and each runtime runs every scenario in its long-lived driver
process; a runtime that crashes or hangs on one scenario gives ``error`` for
that scenario only.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

from ..errors import HarnessError, InputError, RuntimeFailure
from ..model import decode_module
from ..model.binary import Module
from ..model.traps import UnsupportedInstruction
from ..runtimes.probes import missing_features
from .requirements import requirements
from .on_model import ModelGap, run_reference
from ..runtimes.discovery import Runtime
from .format import Scenario, check_against_module, discover, load_scenario
from .on_runtime import SCENARIO_TIMEOUT, RuntimeSession
from .verdict import Status, Verdict, judge
from ..compiler.wabt import Compiler, load_module_bytes


class InputErrors(InputError):
    """Several bad inputs at once; each is one line."""

    def __init__(self, errors: Sequence[HarnessError]) -> None:
        lines = [error.one_line() for error in errors]
        super().__init__(f"{len(errors)} bad input{'s' if len(errors) > 1 else ''}:" if len(errors) > 1 else lines[0],
                         detail="\n".join(lines) if len(errors) > 1 else errors[0].detail)
        self.errors = list(errors)


@dataclass(frozen=True)
class PreparedScenario:
    """A checked scenario with its module's bytes and decoded form."""

    scenario: Scenario
    wasm_bytes: bytes
    module: Module | None  # None when the bytes do not decode (the runtimes' CompileError is the observation)


@dataclass
class CaseResult:
    """One scenario on one runtime."""

    scenario: Scenario
    runtime: dict[str, str]
    status: Status
    observed: dict[str, Any] | None
    reference: dict[str, Any] | None
    verdict: Verdict = field(default_factory=lambda: Verdict(Status.ERROR))

    @property
    def id(self) -> str:
        """``sum.scenario.toml``."""
        return self.scenario.id


def load_all(paths: Iterable[str | Path]) -> list[Scenario]:
    """Every scenario below ``paths``; all load errors at once as :class:`InputErrors`."""
    scenarios, errors = [], []
    for path in discover(list(paths)):
        try:
            scenarios.append(load_scenario(path))
        except HarnessError as error:
            errors.append(error)
    if errors:
        raise InputErrors(errors)
    if not scenarios:
        raise InputError("no scenario files (*.scenario.toml, *.scenario.json) found in " +
                         ", ".join(str(p) for p in paths))
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


def reference_document(prepared: PreparedScenario) -> tuple[dict[str, Any] | None, str]:
    """The reference's observations, or ``None`` and why the model cannot run the scenario."""
    try:
        return run_reference(prepared.scenario, prepared.wasm_bytes), ""
    except ModelGap as gap:
        return None, f"reference model: {gap}"


def run_case(prepared: PreparedScenario, session: RuntimeSession,
             reference: dict[str, Any] | None, gap: str) -> CaseResult:
    """One scenario on one runtime, judged; ``unsupported`` when the runtime lacks a feature it needs."""
    runtime = {"name": session.runtime.name, "version": session.runtime.version}
    scenario = prepared.scenario
    lacking = missing_features(requirements(scenario, prepared.module), session.features())
    if lacking:
        reason = f"{session.runtime.label()}: " + "; ".join(lacking)
        return CaseResult(scenario, runtime, Status.UNSUPPORTED, None, reference,
                          Verdict(Status.UNSUPPORTED, reason=reason))
    try:
        observed = session.run(scenario, prepared.wasm_bytes, prepared.module or Module(), reference)
    except RuntimeFailure as failure:
        return CaseResult(scenario, runtime, Status.ERROR, None, reference,
                          Verdict(Status.ERROR, reason=failure.one_line()))
    if reference is None:
        return CaseResult(scenario, runtime, Status.ERROR, observed, None, Verdict(Status.ERROR, reason=gap))
    verdict = judge(scenario, observed, reference)
    return CaseResult(scenario, runtime, verdict.status, observed, reference, verdict)


def run_on_runtimes(prepared: Sequence[PreparedScenario], runtimes: Sequence[Runtime], *,
                    timeout: float = SCENARIO_TIMEOUT,
                    progress: Callable[[CaseResult], None] = lambda case: None) -> list[CaseResult]:
    """Every scenario on every runtime, the reference computed once per scenario.

    Runtimes run in parallel (one driver process each, as many at once as the
    machine has cores); ``timeout`` is how long one scenario may take on a
    runtime before it is killed (and restarted for the next scenario). Cases
    come back grouped by runtime, in the order the runtimes were given.
    """
    references = [reference_document(item) for item in prepared]

    def on_runtime(runtime: Runtime) -> list[CaseResult]:
        session = RuntimeSession(runtime, timeout=timeout)
        try:
            results = []
            for item, (reference, gap) in zip(prepared, references):
                case = run_case(item, session, reference, gap)
                progress(case)
                results.append(case)
            return results
        finally:
            session.close()

    workers = max(1, min(len(runtimes), os.cpu_count() or 1))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        per_runtime = list(pool.map(on_runtime, runtimes))
    return [case for cases in per_runtime for case in cases]


def summary(cases: Sequence[CaseResult]) -> dict[str, int]:
    """Counts per status, in the contract's order."""
    counts = {status.value: 0 for status in Status}
    for case in cases:
        counts[case.status.value] += 1
    return counts


def exit_status(cases: Sequence[CaseResult]) -> int:
    """0 when every case passes or is unsupported, else 1."""
    return 0 if all(case.status in (Status.PASS, Status.UNSUPPORTED) for case in cases) else 1
