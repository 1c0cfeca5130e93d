"""Scenarios as cases: load and check them all, compile, run the reference, judge each runtime.

Everything that can be wrong with the input is found before anything runs
(exit 2, nothing compared): every scenario file is loaded, every module is
compiled and matched against its steps. The reference model runs each
scenario once; a runtime's run is judged against it and against every
``expect`` (:func:`judge_on_runtime`); on the reference model alone, the
``expect`` keys are the judge (:func:`judge_on_reference`).
"""

from __future__ import annotations

import dataclasses
import functools
import pickle
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

from ..case import REFERENCE, Case, CaseKind, RuntimeId, Status
from ..compiler.wabt import Compiler, load_module_bytes
from ..errors import HarnessError, InputErrors, RuntimeFailure
from ..model.binary import Module
from ..model.traps import UnsupportedInstruction
from ..runtimes.engine_errors import engine_limit
from ..runtimes.probes import missing_features
from .decoded import decoded
from .format import ModuleSource, Scenario, load_scenario
from .linking import check_against_modules
from .on_model import run_reference
from .on_runtime import RuntimeSession, keep
from .requirements import requirements
from .verdict import Reference, Verdict, judge, judge_model_alone


@dataclass(frozen=True)
class PreparedScenario:
    """A checked scenario with its modules' bytes and decoded forms, in instantiation order."""

    scenario: Scenario
    binaries: tuple[bytes, ...]
    modules: tuple[Module | None, ...]  # None for bytes that do not decode (the runtimes' CompileError is the observation)
    #: an earlier scenario of the run with the same content (:func:`prepare_all`): what depends on the content
    #: alone (:attr:`content_key`, :attr:`needs`) is that one's, worked out once for all of them
    same_as: PreparedScenario | None = field(default=None, compare=False, repr=False)

    @property
    def wasm_bytes(self) -> bytes:
        """The main (last) module's bytes."""
        return self.binaries[-1]

    @property
    def module(self) -> Module | None:
        """The main (last) module, decoded."""
        return self.modules[-1]

    @functools.cached_property
    def content_key(self) -> bytes:
        """What the scenario's reference and its requests depend on: all of it but its file's path and its
        title, and its modules' bytes (two scenarios with the same key give the same reference and requests)."""
        if self.same_as is not None:
            return self.same_as.content_key
        return pickle.dumps((replace(self.scenario, path=Path(), title=""), self.binaries),
                            protocol=pickle.HIGHEST_PROTOCOL)

    @functools.cached_property
    def needs(self) -> dict[str, Any]:
        """The runtime features the scenario needs (:func:`~.requirements.requirements`), worked out once."""
        if self.same_as is not None:
            return self.same_as.needs
        return requirements(self.scenario, self.modules)


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


#: inline WAT compiled during one :func:`prepare_all`, by its text and features (a text that does not
#: compile is compiled again, so that its error names each file it is in)
CompiledTexts = dict[tuple[str, tuple[str, ...]], bytes]


def _binary(scenario: Scenario, source: ModuleSource, compiler: Compiler, compiled: CompiledTexts) -> bytes:
    if source.wat is not None:
        known = compiled.get((source.wat, source.features))
        if known is not None:
            return known
        label = f"{scenario.path} (wat{' of ' + source.name if source.name else ''})"
        wasm_bytes = compiler.compile_text(source.wat.encode("utf-8"), filename=label,
                                           features=source.features).wasm_bytes
        compiled[(source.wat, source.features)] = wasm_bytes
        return wasm_bytes
    assert source.path is not None
    return load_module_bytes(source.path, compiler, source.features).wasm_bytes


def _decoded(wasm_bytes: bytes) -> Module | None:
    try:
        return decoded(wasm_bytes)
    except (HarnessError, UnsupportedInstruction):
        return None  # the runtimes' CompileError, or the model's gap, is the observation


def prepare(scenario: Scenario, compiler: Compiler, compiled: CompiledTexts | None = None) -> PreparedScenario:
    """Compile (or read) the scenario's modules and check its imports and steps against them.

    ``compiled`` holds inline WAT compiled before (by :func:`prepare_all`), and gains what is compiled here.
    """
    compiled = {} if compiled is None else compiled
    binaries = tuple(_binary(scenario, source, compiler, compiled) for source in scenario.modules)
    modules = tuple(_decoded(wasm_bytes) for wasm_bytes in binaries)
    check_against_modules(scenario, modules)
    return PreparedScenario(scenario, binaries, modules)


#: the fields of a :class:`Scenario` that are its content (all but where it was read from and its title)
_CONTENT_FIELDS = tuple(item.name for item in dataclasses.fields(Scenario) if item.name not in ("path", "title"))


def _same_content(earlier: Scenario, later: Scenario) -> bool:
    """Whether ``later`` is ``earlier`` under another name, with inline modules only: every part of its
    content the very same objects (as when one text is read under several names, :func:`~.format.load_scenario`).

    Such a scenario compiles to the same bytes (inline text is compiled once per :func:`prepare_all`) and passes
    the same checks. Parts that are only equal count as different: those scenarios are prepared on their own.
    """
    return (all(source.path is None for source in later.modules)
            and all(getattr(earlier, name) is getattr(later, name) for name in _CONTENT_FIELDS))


def prepare_all(scenarios: Sequence[Scenario], compiler: Compiler) -> list[PreparedScenario]:
    """Prepare every scenario; all errors at once as :class:`InputErrors`.

    A scenario that is an earlier one under another name (:func:`_same_content`)
    is not compiled and checked again: it is prepared :attr:`~PreparedScenario.same_as`
    that one, so what depends on the content alone is worked out once.
    """
    prepared, errors = [], []
    compiled: CompiledTexts = {}
    first_by_steps: dict[int, PreparedScenario] = {}  # by the id of its steps (each one held: no id is reused)
    for scenario in scenarios:
        first = first_by_steps.get(id(scenario.steps))
        if first is not None and _same_content(first.scenario, scenario):
            prepared.append(PreparedScenario(scenario, first.binaries, first.modules, first))
            continue
        try:
            item = prepare(scenario, compiler, compiled)
        except HarnessError as error:
            errors.append(error)
            continue
        first_by_steps.setdefault(id(scenario.steps), item)
        prepared.append(item)
    if errors:
        raise InputErrors(errors)
    return prepared


def reference_of(prepared: PreparedScenario) -> Reference:
    """The reference's observations, or why the model cannot run the scenario."""
    return reference_for(prepared.scenario, prepared.binaries)


def reference_for(scenario: Scenario, binaries: Sequence[bytes]) -> Reference:
    """:func:`reference_of` from the scenario and its modules' bytes alone (what a model worker is sent)."""
    run = run_reference(scenario, list(binaries))
    gap = run.gap if not run.gap or run.gap.startswith("reference model") else f"reference model: {run.gap}"
    return Reference(run.document, gap)


def to_case(scenario: Scenario, runtime: RuntimeId, verdict: Verdict, *,
                  observed: dict[str, Any] | None = None, reference: dict[str, Any] | None = None) -> Case:
    """The case record of one scenario on one runtime."""
    return Case(CaseKind.SCENARIO, scenario.id, scenario.path, runtime, verdict.status, detail=verdict.reason,
                observed=observed, reference=reference, differences=tuple(verdict.differences))


def runs_on(prepared: PreparedScenario, session: RuntimeSession) -> bool:
    """Whether :func:`judge_on_runtime` sends the scenario to the runtime (it has every feature it needs)."""
    return not missing_features(prepared.needs, session.features())


def judge_on_runtime(prepared: PreparedScenario, session: RuntimeSession,
                     reference: Reference | Callable[[], Reference]) -> Case:
    """One scenario on one runtime, judged; ``unsupported`` when the runtime lacks a feature it needs.

    ``reference`` may be a callable that waits for it (the model computes it
    meanwhile): it is called once the runtime has run the scenario.
    """
    runtime = RuntimeId(session.runtime.name, session.runtime.version)
    scenario = prepared.scenario
    awaited = reference if callable(reference) else lambda: reference
    needs = prepared.needs
    lacking = missing_features(needs, session.features())
    if lacking:
        reason = f"{session.runtime.label()}: " + "; ".join(lacking)
        return to_case(scenario, runtime, Verdict(Status.UNSUPPORTED, reason=reason),
                             reference=awaited().document)
    try:
        answer = session.answer(scenario, prepared.binaries, prepared.modules, content=prepared.content_key)
    except RuntimeFailure as failure:
        return to_case(scenario, runtime, Verdict(Status.ERROR, reason=failure.one_line()),
                             reference=awaited().document)
    reference = awaited()
    content = prepared.content_key
    known = session.judged.get(content)
    if known is not None and known[0] is answer and known[1] is reference:  # judged already: the same judgement
        observed, verdict = known[2], known[3]
    else:
        observed = session.normalised(answer, reference.document)
        verdict = within_engine_limits(judge(scenario, observed, reference), session.runtime.label())
        if "memory64_js_api" in needs and session.features().get("memory64_js_api") == "index":
            verdict = with_older_memory64_shape(verdict, session.runtime.label())
        keep(session.judged, content, (answer, reference, observed, verdict))
    return to_case(scenario, runtime, verdict, observed=observed, reference=reference.document)


def within_engine_limits(verdict: Verdict, label: str) -> Verdict:
    """``unsupported`` when every difference is the engine's own size limit (e.g. V8's typed array length)."""
    if verdict.status is not Status.FAIL or not verdict.differences:
        return verdict
    limits = [engine_limit(difference.observed, difference.reference) for difference in verdict.differences]
    if None in limits:
        return verdict
    where = ", ".join(f"step {difference.step}" for difference in verdict.differences)
    return Verdict(Status.UNSUPPORTED, reason=f"{label}: an engine limit the reference model does not have "
                                             f"({where}): {limits[0]}")


def with_older_memory64_shape(verdict: Verdict, label: str) -> Verdict:
    """A failing verdict that says why a runtime with only the memory64 proposal's older JS API may differ."""
    if verdict.status is not Status.FAIL or verdict.reason:
        return verdict
    return replace(verdict, reason=f"{label} has only the memory64 proposal's older JS API, {{index: \"i64\"}} "
                                   f"with Numbers (a Number where the standard takes and gives a BigInt)")


def judge_on_reference(prepared: PreparedScenario, reference: Reference) -> Case:
    """One scenario on the reference model alone: its ``expect`` keys are the judge."""
    verdict = judge_model_alone(prepared.scenario, reference)
    return to_case(prepared.scenario, REFERENCE, verdict, observed=reference.document, reference=reference.document)
