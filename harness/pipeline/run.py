"""One runner for every kind of case: check every input first, then run every target in parallel.

Everything that can be wrong with the input is found before anything runs
(exit 2, nothing compared): every scenario file is loaded, compiled and
matched against its module, and every ``.wast`` script is read and its actions
matched against the exports they call, and every JS API test file is read
with its META scripts and testharness.js. Then the
scenarios go to the reference model's worker processes (:mod:`.model_pool`),
and each target (the reference model, each runtime) runs in a thread of its
own, all scenarios, then all scripts, then (on runtimes) all JS API test
files, one driver process per runtime and kind. A runtime runs each scenario as soon as it gets to it and waits for the
model only to judge it. A runtime that crashes or hangs on a case gives
``error`` for that case and is restarted for the next; so does the model,
within ``--model-timeout``. Cases come back grouped by target, in the order
the targets were given.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import Future
from concurrent.futures import wait as futures_wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

from ..case import Case, CaseKind
from ..compiler.npm import packaged_testharness
from ..compiler.wabt import Compiler
from ..errors import HarnessError, InputErrors
from ..interrupts import Interrupted, signum_of
from ..jsapi.testfile import JsApiFile, read_test_file
from ..model.versions import DEFAULT_VERSION, SpecVersion
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
    jsapi_files: list[JsApiFile] = field(default_factory=list)  # JS API test files: runtimes only
    scenarios_on_reference: bool = False  # ``--node reference``: the model runs scenarios too
    version: SpecVersion = DEFAULT_VERSION  # whose rules judge the scripts (``--spec-version``)

    def runs_scenarios_on(self, target: Target) -> bool:
        """Whether ``target`` runs the scenarios: every runtime does, the model only when asked."""
        return bool(self.scenarios) and (self.scenarios_on_reference or not target.is_reference)

    def cases_on(self, target: Target) -> int:
        """How many cases ``target`` will give (for progress)."""
        scenario_count = len(self.scenarios) if self.runs_scenarios_on(target) else 0
        subtests = 0 if target.is_reference else sum(item.subtest_estimate for item in self.jsapi_files)
        return scenario_count + sum(script.cases_on(target) for script in self.scripts) + subtests


def load_inputs(files: CaseFiles, compiler: Compiler, *, scenarios_on_reference: bool = False,
                version: SpecVersion = DEFAULT_VERSION, testharness: Path | None = None) -> Inputs:
    """Load and check every case file; every bad input at once as :class:`InputErrors`.

    Scripts' text modules compile with the wabt features of ``version``, the spec version that judges them.
    JS API test files are read with their META scripts and testharness.js (``testharness``, else their
    tree's, else the pinned npm package's).
    """
    errors: list[HarnessError] = []
    prepared: list[PreparedScenario] = []
    try:
        prepared = prepare_all(load_all(files.of(CaseKind.SCENARIO)), compiler)
    except InputErrors as bad:
        errors.extend(bad.errors)
    scripts = []
    for path in files.of(CaseKind.WAST):
        try:
            scripts.append(Script(path, tuple(read_checked(path, compiler, version))))
        except HarnessError as error:
            errors.append(error)
    jsapi_files = []
    for path in files.of(CaseKind.JSAPI):
        try:
            jsapi_files.append(read_test_file(path, testharness=testharness,
                                              fallback_harness=lambda: packaged_testharness(compiler.runtime)))
        except HarnessError as error:
            errors.append(error)
    if errors:
        raise InputErrors(errors)
    return Inputs(prepared, scripts, jsapi_files, scenarios_on_reference, version)


def run_cases(inputs: Inputs, targets: Sequence[Target], model: ModelPool, *,
              on_case: OnCase = lambda target, case: None) -> list[Case]:
    """Every case on every target, the scenarios' references computed once, by ``model``, beside them.

    Targets run in parallel, as many at once as the machine has cores plus
    one (runtimes mostly wait on their processes), each in a thread of its own. An interruption
    (a stop signal, or any exception in the calling thread) stops the run at
    once: the model's workers and every target's processes are killed, and
    :class:`RunInterrupted` carries the cases judged before it (a case that
    ends after it, perhaps because its process was killed, is not counted).
    The threads are not waited for beyond :data:`STOP_WAIT` seconds: one may
    be deep in the reference model, and it is a daemon.
    """
    needed = any(inputs.runs_scenarios_on(target) for target in targets)
    references = [model.submit(item) for item in inputs.scenarios] if needed else []
    stop = threading.Event()
    judged_lock = threading.Lock()
    judged: dict[int, list[Case]] = {position: [] for position in range(len(targets))}

    def on_target(position: int, target: Target) -> list[Case]:
        def count(judged_target: Target, case: Case) -> None:
            with judged_lock:
                if stop.is_set():
                    raise RunStopped()
                judged[position].append(case)
            on_case(judged_target, case)
        if stop.is_set():  # it waited for a slot while the run was stopped
            raise RunStopped()
        return _cases_on(target, inputs, references, count)

    slots = threading.BoundedSemaphore(max(1, min(len(targets), (os.cpu_count() or 1) + 1)))
    futures = [_in_thread(on_target, position, target, slots) for position, target in enumerate(targets)]
    try:
        per_target = [future.result() for future in futures]
    except KeyboardInterrupt as interruption:
        with judged_lock:
            stop.set()
            done = [case for position in sorted(judged) for case in judged[position]]
        _stop_everything(targets, model, futures)
        raise RunInterrupted(signum_of(interruption), done) from interruption
    except BaseException:
        stop.set()
        _stop_everything(targets, model, futures)
        raise
    return [case for cases in per_target for case in cases]


#: seconds an interrupted run waits for its targets' threads to see their processes gone
STOP_WAIT = 1.0


def _stop_everything(targets: Sequence[Target], model: ModelPool, futures: Sequence[Future[list[Case]]]) -> None:
    """Kill the model's workers and every target's processes, then give the threads a moment to end."""
    model.close()  # a thread waiting for a reference gets a gap now, and stops at its next case
    for target in targets:
        target.close(grace=0)  # a thread waiting on its runtime gets its answer now: the process is gone
    futures_wait(futures, timeout=STOP_WAIT)


def _in_thread(function: Callable[[int, Target], list[Case]], position: int, target: Target,
               slots: threading.BoundedSemaphore) -> Future[list[Case]]:
    """Run ``function(position, target)`` in a daemon thread once it has one of ``slots``; its outcome in the future."""
    future: Future[list[Case]] = Future()

    def run() -> None:
        try:
            with slots:
                future.set_result(function(position, target))
        except BaseException as error:  # noqa: BLE001 - raised again where the future is awaited
            future.set_exception(error)
    threading.Thread(target=run, name=f"linmem-{target.id.label}", daemon=True).start()
    return future


class RunStopped(BaseException):
    """Raised in a target's thread, after its current case, once the run is interrupted."""


class RunInterrupted(Interrupted):
    """A stop signal ended the run: ``cases`` are those judged before it, grouped by target."""

    def __init__(self, signum: int, cases: list[Case]) -> None:
        super().__init__(signum)
        self.cases = cases


def _cases_on(target: Target, inputs: Inputs, references: list[Future[Reference]], on_case: OnCase) -> list[Case]:
    cases: list[Case] = []
    if inputs.runs_scenarios_on(target):
        cases += target.scenario_cases(inputs.scenarios, [reference.result for reference in references],
                                       lambda case: on_case(target, case))
    for script in inputs.scripts:
        cases += target.wast_cases(script.path, lambda case: on_case(target, case), script.commands)
    if not target.is_reference:
        for test_file in inputs.jsapi_files:
            cases += target.jsapi_cases(test_file, lambda case: on_case(target, case))
    return cases


def targets_for(inputs: Inputs, runtimes: Sequence[Runtime], compiler: Compiler, *,
                timeout: float = SCENARIO_TIMEOUT) -> list[Target]:
    """The columns of a run: the reference model when it has cases to run, then each runtime."""
    reference = [Target(None, compiler, version=inputs.version, model_apart=bool(runtimes))] \
        if inputs.scenarios_on_reference or inputs.scripts else []
    return reference + [Target(runtime, compiler, timeout=timeout, version=inputs.version) for runtime in runtimes]


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
