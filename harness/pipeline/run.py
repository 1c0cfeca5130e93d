"""One runner for every kind of case: check every input first, then run every target in parallel.

Everything that can be wrong with the input is found before anything runs
(exit 2, nothing compared): every scenario file is loaded, compiled and
matched against its module, and every ``.wast`` script is read and its actions
matched against the exports they call. Then the
scenarios go to the reference model's worker processes (:mod:`.model_pool`),
and each target (the reference model, each runtime) runs in a thread of its
own, all scenarios and then all scripts, one driver process per runtime and
kind. A runtime runs each scenario as soon as it gets to it and waits for the
model only to judge it. A runtime that crashes or hangs on a case gives
``error`` for that case and is restarted for the next; so does the model,
within ``--model-timeout``. Cases come back grouped by target, in the order
the targets were given.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

from ..case import Case, CaseKind
from ..compiler.wabt import Compiler
from ..errors import HarnessError, InputErrors
from ..runtimes.discovery import Runtime
from ..scenarios.on_runtime import SCENARIO_TIMEOUT
from ..scenarios.suite import PreparedScenario, Reference, load_all, prepare_all
from ..wast.script import Command, is_malformed_text
from ..wast.signatures import read_checked
from .collect import CaseFiles
from .model_pool import MODEL_TIMEOUT, ModelPool
from .progress import Progress
from .targets import Target

#: called with the target and each case as soon as it is judged, from the target's thread
OnCase = Callable[[Target, Case], None]


@dataclass(frozen=True)
class Script:
    """A ``.wast`` script, read once: every target of the run shares its commands."""

    path: Path
    commands: tuple[Command, ...]

    def cases_on(self, target: Target) -> int:
        """How many cases the script gives on ``target`` (malformed text is wabt's, beside the model)."""
        if target.is_reference:
            return len(self.commands)
        return sum(1 for command in self.commands if not is_malformed_text(command))


@dataclass(frozen=True)
class Inputs:
    """Every case file of a run, checked: scenarios compiled and matched, scripts read."""

    scenarios: list[PreparedScenario]
    scripts: list[Script]
    scenarios_on_reference: bool = False  # ``--node reference``: the model runs scenarios too

    def runs_scenarios_on(self, target: Target) -> bool:
        """Whether ``target`` runs the scenarios: every runtime does, the model only when asked."""
        return bool(self.scenarios) and (self.scenarios_on_reference or not target.is_reference)

    def cases_on(self, target: Target) -> int:
        """How many cases ``target`` will give (for progress)."""
        scenario_count = len(self.scenarios) if self.runs_scenarios_on(target) else 0
        return scenario_count + sum(script.cases_on(target) for script in self.scripts)


def load_inputs(files: CaseFiles, compiler: Compiler, *, scenarios_on_reference: bool = False) -> Inputs:
    """Load and check every case file; every bad input at once as :class:`InputErrors`."""
    errors: list[HarnessError] = []
    prepared: list[PreparedScenario] = []
    try:
        prepared = prepare_all(load_all(files.of(CaseKind.SCENARIO)), compiler)
    except InputErrors as bad:
        errors.extend(bad.errors)
    scripts = []
    for path in files.of(CaseKind.WAST):
        try:
            scripts.append(Script(path, tuple(read_checked(path, compiler))))
        except HarnessError as error:
            errors.append(error)
    if errors:
        raise InputErrors(errors)
    return Inputs(prepared, scripts, scenarios_on_reference)


def run_cases(inputs: Inputs, targets: Sequence[Target], model: ModelPool, *,
              on_case: OnCase = lambda target, case: None) -> list[Case]:
    """Every case on every target, the scenarios' references computed once, by ``model``, beside them.

    Targets run in parallel, as many at once as the machine has cores plus
    one (runtimes mostly wait on their processes). An interruption (Ctrl-C,
    or any exception in the calling thread) stops the run promptly: the
    model's workers and every target's processes are stopped and each thread
    ends after its current case.
    """
    needed = any(inputs.runs_scenarios_on(target) for target in targets)
    references = [model.submit(item) for item in inputs.scenarios] if needed else []
    stop = threading.Event()

    def on_target(target: Target) -> list[Case]:
        def judged(judged_target: Target, case: Case) -> None:
            if stop.is_set():
                raise RunStopped()
            on_case(judged_target, case)
        return _cases_on(target, inputs, references, judged)

    pool = ThreadPoolExecutor(max_workers=max(1, min(len(targets), (os.cpu_count() or 1) + 1)))
    futures = [pool.submit(on_target, target) for target in targets]
    try:
        per_target = [future.result() for future in futures]
    except BaseException:
        stop.set()
        model.close()  # a thread waiting for a reference gets a gap now, and stops at its next case
        for target in targets:
            target.close(grace=0)  # a thread waiting on its runtime gets its answer now: the process is gone
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown()
    return [case for cases in per_target for case in cases]


class RunStopped(BaseException):
    """Raised in a target's thread, after its current case, once the run is interrupted."""


def _cases_on(target: Target, inputs: Inputs, references: list[Future[Reference]], on_case: OnCase) -> list[Case]:
    cases: list[Case] = []
    if inputs.runs_scenarios_on(target):
        for prepared, reference in zip(inputs.scenarios, references):
            cases.append(target.scenario_case(prepared, reference.result))
            on_case(target, cases[-1])
    for script in inputs.scripts:
        cases += target.wast_cases(script.path, lambda case: on_case(target, case), script.commands)
    return cases


def targets_for(inputs: Inputs, runtimes: Sequence[Runtime], compiler: Compiler, *,
                timeout: float = SCENARIO_TIMEOUT) -> list[Target]:
    """The columns of a run: the reference model when it has cases to run, then each runtime."""
    reference = [Target(None, compiler)] if inputs.scenarios_on_reference or inputs.scripts else []
    return reference + [Target(runtime, compiler, timeout=timeout) for runtime in runtimes]


def run_inputs(inputs: Inputs, runtimes: Sequence[Runtime], compiler: Compiler, *,
               timeout: float = SCENARIO_TIMEOUT, model_timeout: float = MODEL_TIMEOUT,
               progress: bool = False) -> list[Case]:
    """Every case of ``inputs`` on the reference model (where it has cases) and on each runtime.

    ``timeout`` limits one scenario on a runtime, ``model_timeout`` one on the
    model. With ``progress``, a terminal shows the live line (:mod:`.progress`)
    while it runs. Every process started for the run is stopped before this
    returns.
    """
    targets = targets_for(inputs, runtimes, compiler, timeout=timeout)
    totals = {target.id.label: inputs.cases_on(target) for target in targets}
    try:
        with ModelPool(timeout=model_timeout) as model, Progress(totals, enabled=None if progress else False) as line:
            return run_cases(inputs, targets, model, on_case=lambda target, case: line.advance(target.id.label))
    finally:
        for target in targets:
            target.close()
