"""The columns of a run: the reference model, or a JavaScript runtime with its long-lived processes.

A :class:`Target` runs cases of every kind. On a runtime it keeps one
scenario driver, one ``.wast`` driver and one JS API driver process (for
testharness.js test files), each started on first use and restarted by the
next request if it crashes. On the reference model it judges
the scenarios' references it is given (computed in the model's own processes,
:mod:`.model_pool`) and runs ``.wast`` scripts on the model itself (and wabt,
for malformed text). ``--node reference`` names the reference model as a
target (:data:`REFERENCE_SPEC`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Sequence

from ..case import REFERENCE, Case, RuntimeId
from ..compiler.wabt import Compiler
from ..jsapi.on_runtime import JsApiDriver
from ..jsapi.testfile import JsApiFile
from ..model.versions import DEFAULT_VERSION, SpecVersion
from ..runtimes.discovery import Runtime, check_spec, find_node
from ..scenarios.on_runtime import SCENARIO_TIMEOUT, RuntimeSession
from ..scenarios.suite import (
    PreparedScenario,
    Reference,
    judge_on_reference,
    judge_on_runtime,
    runs_on,
)
from ..wast.model_process import ModelProcess
from ..wast.on_model import OnCase, run_on_model
from ..wast.on_runtime import WastDriver
from ..wast.script import Command
from ..wast.signatures import read_checked

#: the ``--node`` spec that names the reference model
REFERENCE_SPEC = "reference"
#: scenarios a runtime is sent beyond the one being judged (:meth:`Target.scenario_cases`)
SEND_AHEAD = 32


def check_specs(specs: Sequence[str]) -> list[str]:
    """The ``--node`` specs as given; an empty one is an :class:`~harness.errors.InputError` (before any runtime is found)."""
    return [spec for spec in specs if check_spec(spec) is not None]


def resolve_specs(specs: Sequence[str]) -> tuple[list[Runtime], bool]:
    """The runtimes ``--node`` names (the default Node when none), and whether it names the reference.

    ``--node reference`` alone runs on the reference model only.
    """
    wants_reference = REFERENCE_SPEC in specs
    runtime_specs = [spec for spec in specs if spec != REFERENCE_SPEC]
    if not runtime_specs:
        return ([] if wants_reference else [find_node(None)]), wants_reference
    return [find_node(spec) for spec in runtime_specs], wants_reference


class Target:
    """One column of a run: the reference model (``runtime`` is ``None``) or a JS runtime."""

    def __init__(self, runtime: Runtime | None, compiler: Compiler, *, timeout: float = SCENARIO_TIMEOUT,
                 version: SpecVersion = DEFAULT_VERSION, model_apart: bool = False) -> None:
        self.runtime = runtime
        self.compiler = compiler
        self.timeout = timeout
        self.version = version  # whose rules judge .wast scripts here
        #: on the reference model: run scripts in a process of its own (:mod:`harness.wast.model_process`),
        #: worth its start when runtimes run beside it
        self.model_apart = model_apart
        self._model_process: ModelProcess | None = None
        self._session: RuntimeSession | None = None
        self._wast_driver: WastDriver | None = None
        self._jsapi_driver: JsApiDriver | None = None

    @property
    def id(self) -> RuntimeId:
        """What the cases run here are labelled with."""
        return REFERENCE if self.runtime is None else RuntimeId(self.runtime.name, self.runtime.version)

    @property
    def is_reference(self) -> bool:
        """Whether this is the reference model."""
        return self.runtime is None

    def scenario_case(self, prepared: PreparedScenario, reference: Reference | Callable[[], Reference]) -> Case:
        """One scenario here, judged (on the reference model: by its ``expect`` keys).

        ``reference`` may be a callable that waits for it (:class:`.model_pool.ModelPool`):
        a runtime calls it only once it has run the scenario itself.
        """
        if self.runtime is None:
            return judge_on_reference(prepared, reference() if callable(reference) else reference)
        return judge_on_runtime(prepared, self._scenario_session(), reference)

    def scenario_cases(self, scenarios: Sequence[PreparedScenario],
                       references: Sequence[Reference | Callable[[], Reference]],
                       on_case: OnCase = lambda case: None) -> list[Case]:
        """Every scenario here, in order, as :meth:`scenario_case` judges each (``on_case`` sees each as it is judged).

        A runtime is sent up to :data:`SEND_AHEAD` scenarios beyond the one being
        judged, so it runs them while linmem judges (answers still come in order;
        a crash or a hang is still the case's own, and the scenarios sent after
        it go to the restarted runtime).
        """
        cases: list[Case] = []
        session = self._scenario_session() if self.runtime is not None else None
        sent = 0
        for position, (prepared, reference) in enumerate(zip(scenarios, references)):
            if session is not None:
                while sent < len(scenarios) and sent <= position + SEND_AHEAD:
                    ahead = scenarios[sent]
                    if runs_on(ahead, session):
                        session.send_ahead(ahead.scenario, ahead.binaries, ahead.modules, content=ahead.content_key)
                    sent += 1
            cases.append(self.scenario_case(prepared, reference))
            on_case(cases[-1])
        return cases

    def _scenario_session(self) -> RuntimeSession:
        assert self.runtime is not None
        if self._session is None:
            self._session = RuntimeSession(self.runtime, timeout=self.timeout)
        return self._session

    def wast_cases(self, script: Path, on_case: OnCase = lambda case: None,
                   commands: Sequence[Command] | None = None) -> list[Case]:
        """Every command of a ``.wast`` script here (on the reference model, malformed text on wabt too).

        ``commands`` are the script's, when it was read already (every target of a run shares them).
        """
        if self.runtime is None and self.model_apart:
            if self._model_process is None:
                self._model_process = ModelProcess(self.compiler)
            if commands is None:
                commands = read_checked(script, self.compiler, self.version)
            return self._model_process.run(script, commands, on_case, self.version)
        if self.runtime is None:
            return run_on_model(script, self.compiler, on_case, commands, version=self.version)
        if self._wast_driver is None:
            self._wast_driver = WastDriver(self.runtime, self.compiler, timeout=self.timeout, version=self.version)
        return self._wast_driver.run(script, on_case, commands)

    def jsapi_cases(self, test_file: JsApiFile, on_case: OnCase = lambda case: None) -> list[Case]:
        """Every subtest of a JS API test file here (a runtime: the reference model runs no JavaScript)."""
        if self.runtime is None:
            raise ValueError("JS API test files run on JavaScript runtimes only")
        if self._jsapi_driver is None:
            self._jsapi_driver = JsApiDriver(self.runtime, timeout=self.timeout)
        return self._jsapi_driver.run(test_file, on_case)

    def close(self, *, grace: float = 2.0) -> None:
        """Stop every process this target started, for good (killed after ``grace`` seconds)."""
        for process in (self._session, self._wast_driver, self._jsapi_driver, self._model_process):
            if process is not None:
                process.close(grace=grace)
