"""The pytest plugin (entry point ``pytest11``): case files as test items.

Every case file pytest comes across (a ``*.scenario.toml`` /
``*.scenario.json``, a ``.wast`` script; :mod:`harness.pipeline.collect`
decides) is collected as one item per target, named
``sum.scenario.toml[node-24.19.0]`` or ``memory.wast[reference]``, and run
through the same targets as ``linmem run`` (:mod:`harness.pipeline.targets`).
The hooks only hand work to a :class:`LinmemSession` (one per test process,
so it is safe under ``pytest -n auto``); a failure is reported as the short
diff of the steps that differ, or the commands that failed, never a
traceback. Each test process computes a scenario's reference once, in a model
worker process of its own (:mod:`harness.pipeline.model_pool`), within
``--linmem-model-timeout``. ``--linmem-spec-version`` chooses whose rules judge
``.wast`` scripts (as ``linmem run --spec-version``). A JS API test file
(``*.any.js``) is one item per JavaScript runtime (the reference model runs no
JavaScript: with ``--node reference`` alone its one item is skipped, saying
so); ``--linmem-testharness`` gives the testharness.js it runs with.
"""

from __future__ import annotations

import signal
import threading
from concurrent.futures import Future
from pathlib import Path
from typing import Any, Iterator

import pytest

from .case import Case, CaseKind, Status
from .compiler.npm import packaged_testharness
from .compiler.wabt import Compiler
from .errors import HarnessError, InputError
from .interrupts import Interrupted
from .jsapi.testfile import JsApiFile, read_test_file
from .model.versions import DEFAULT_VERSION, SpecVersion, parse_spec_version
from .pipeline.collect import kind_of
from .pipeline.model_pool import MODEL_TIMEOUT, ModelPool, parse_model_timeout
from .pipeline.targets import SCENARIO_TIMEOUT, Target, check_specs, resolve_specs
from .reports.grid import case_detail, problems
from .resources import require_own_files
from .runtimes.discovery import Runtime, find_compiler_node, find_node
from .runtimes.process import kill_every_child
from .scenarios.format import Scenario, load_scenario
from .scenarios.suite import PreparedScenario, Reference, prepare

_SESSION_KEY = pytest.StashKey["LinmemSession"]()
#: failing commands of one script listed in its item's failure
LISTED_COMMANDS = 50
#: model workers per test process: its items run one after another, so one reference at a time is awaited
MODEL_WORKERS = 1


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("linmem", "linmem case files (scenarios, .wast scripts)")
    group.addoption("--node", action="append", default=[], metavar="SPEC", dest="linmem_node",
                    help="a runtime to run case files on, as for linmem run (repeatable; 'reference' is the "
                         "reference model alone; default: linmem's default Node)")
    group.addoption("--wast", action="store_true", dest="linmem_wast",
                    help=".wast spec scripts are collected anyway (one item per script on the reference model and "
                         "per runtime); the option is kept so older command lines still work")
    group.addoption("--linmem-timeout", default=f"{SCENARIO_TIMEOUT:g}", metavar="SECONDS", dest="linmem_timeout",
                    help="how long one scenario or one .wast command may take on a runtime, as --timeout for linmem run "
                         "(default: %(default)s)")
    group.addoption("--linmem-model-timeout", default=f"{MODEL_TIMEOUT:g}", metavar="SECONDS",
                    dest="linmem_model_timeout",
                    help="how long the reference model may take over one scenario before that scenario's "
                         "reference is a gap, as --model-timeout for linmem run (default: %(default)s)")
    group.addoption("--linmem-testharness", default=None, metavar="FILE", dest="linmem_testharness",
                    help="the testharness.js that JS API test files (*.any.js) run with, as --testharness for "
                         "linmem run (default: the test tree's, else the pinned npm package wpt-runner's)")
    group.addoption("--linmem-spec-version", default=DEFAULT_VERSION.value, metavar="VERSION",
                    dest="linmem_spec_version",
                    help="the WebAssembly version whose rules judge .wast scripts, as --spec-version for linmem run: "
                         "2.0 or 3.0 (default: %(default)s)")


def pytest_configure(config: pytest.Config) -> None:
    try:
        timeout = parse_model_timeout(config.getoption("linmem_timeout"), option="--linmem-timeout")
        model_timeout = parse_model_timeout(config.getoption("linmem_model_timeout"), option="--linmem-model-timeout")
        node_specs = check_specs(config.getoption("linmem_node") or [])
        version = parse_spec_version(config.getoption("linmem_spec_version"), option="--linmem-spec-version")
        testharness = check_testharness(config.getoption("linmem_testharness"))
    except HarnessError as error:
        raise pytest.UsageError(error.one_line()) from None
    config.stash[_SESSION_KEY] = LinmemSession(node_specs, timeout=timeout, model_timeout=model_timeout,
                                               version=version, testharness=testharness)


def check_testharness(given: str | None) -> Path | None:
    """``--linmem-testharness FILE`` as an absolute path; a missing file is a usage error."""
    if given is None:
        return None
    path = Path(given)
    if not path.is_file():
        raise InputError("no such file (given with --linmem-testharness)", path=path)
    return path.resolve()


def pytest_unconfigure(config: pytest.Config) -> None:
    session = config.stash.get(_SESSION_KEY, None)
    if session is not None:
        session.close()


def pytest_keyboard_interrupt(excinfo: pytest.ExceptionInfo[BaseException]) -> None:
    """Ctrl-C: every process linmem started is killed now, before pytest prints its summary."""
    kill_every_child()


def stop_on_termination() -> None:
    """SIGTERM and SIGHUP stop the test process as Ctrl-C does, so its runtimes are killed, not orphaned.

    Only where nobody chose otherwise (the default action, in the main
    thread), and only once linmem is about to start processes: a test run
    that collects no case file keeps its signals as they were.
    """
    if threading.current_thread() is not threading.main_thread():
        return
    for signum in (signal.SIGTERM, signal.SIGHUP):
        if signal.getsignal(signum) is signal.SIG_DFL:
            signal.signal(signum, _raise_interrupted)


def _raise_interrupted(signum: int, frame: object) -> None:
    raise Interrupted(signum)


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> "CaseFile | None":
    kind = kind_of(file_path)
    if kind is None:
        return None
    return CaseFile.from_parent(parent, path=file_path, kind=kind)


class LinmemSession:
    """The targets (with their processes), the compiler and the scenarios' references of one test process."""

    def __init__(self, node_specs: list[str], *, timeout: float = SCENARIO_TIMEOUT,
                 model_timeout: float = MODEL_TIMEOUT, version: SpecVersion = DEFAULT_VERSION,
                 testharness: Path | None = None) -> None:
        self.node_specs = node_specs
        self.timeout = timeout
        self.version = version
        self.testharness = testharness
        self._targets: list[Target] | None = None
        self._wants_reference = False
        self._compiler: Compiler | None = None
        self._model = ModelPool(workers=MODEL_WORKERS, timeout=model_timeout, option="--linmem-model-timeout")
        self._prepared: dict[Path, tuple[PreparedScenario, Future[Reference]]] = {}

    def runtimes(self) -> list[Runtime]:
        """The runtimes to run on, found once (none with ``--node reference`` alone)."""
        return [target.runtime for target in self._all_targets() if target.runtime is not None]

    def compiler(self) -> Compiler:
        """One long-lived wabt process for the whole test process (started on first compile)."""
        self._all_targets()
        assert self._compiler is not None
        return self._compiler

    def targets(self, kind: CaseKind) -> list[Target]:
        """What a case file of ``kind`` runs on: scripts always on the reference model, scenarios when asked,
        JS API test files never (the reference model's one item, when it is all there is, says so and skips)."""
        targets = self._all_targets()
        if kind is CaseKind.JSAPI:
            runtimes = [target for target in targets if not target.is_reference]
            return runtimes or targets[:1]
        if kind is CaseKind.SCENARIO and not self._wants_reference:
            return [target for target in targets if not target.is_reference]
        return targets

    def jsapi_file(self, path: Path) -> JsApiFile:
        """A JS API test file, read with its META scripts and testharness.js."""
        return read_test_file(path, testharness=self.testharness,
                              fallback_harness=lambda: packaged_testharness(self.compiler().runtime))

    def _all_targets(self) -> list[Target]:
        if self._targets is None:
            require_own_files()  # a broken installation says so, before any Node is blamed
            stop_on_termination()
            runtimes, self._wants_reference = resolve_specs(self.node_specs)
            self._compiler = Compiler(find_compiler_node(runtimes[0] if runtimes else find_node(None)))
            self._targets = [Target(None, self._compiler, timeout=self.timeout, version=self.version)] + [
                Target(r, self._compiler, timeout=self.timeout, version=self.version) for r in runtimes]
        return self._targets

    def scenario_case(self, scenario: Scenario, target: Target) -> Case:
        """One scenario on one target, judged; compiled, decoded and run on the model once per scenario.

        A runtime runs it while the model computes the reference, and waits for it only to judge.
        """
        if scenario.path not in self._prepared:
            prepared = prepare(scenario, self.compiler())
            self._prepared[scenario.path] = prepared, self._model.submit(prepared)
        prepared, reference = self._prepared[scenario.path]
        return target.scenario_case(prepared, reference.result)

    def close(self, *, grace: float = 2.0) -> None:
        """Stop every process this session started (each killed after ``grace`` seconds)."""
        self._model.close()
        for target in self._targets or []:
            target.close(grace=grace)
        if self._compiler is not None:
            self._compiler.close(grace=grace)


class CaseFile(pytest.File):
    """A case file of any kind: one item per target it runs on."""

    def __init__(self, *, kind: CaseKind, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.kind = kind

    def collect(self) -> Iterator["CaseItem"]:
        session: LinmemSession = self.config.stash[_SESSION_KEY]
        try:
            scenario = load_scenario(self.path) if self.kind is CaseKind.SCENARIO else None
            targets = session.targets(self.kind)
        except HarnessError as error:
            raise self.CollectError(error.one_line()) from None
        for target in targets:
            yield CaseItem.from_parent(self, name=f"{self.path.name}[{target.id.label}]",
                                       target=target, scenario=scenario)


class CaseFailed(Exception):
    """A case file that did not pass on a target; its message is the short report."""


class CaseItem(pytest.Item):
    """A case file on one target: a scenario, or every command of a script; fails with the short report."""

    def __init__(self, *, target: Target, scenario: Scenario | None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.target = target
        self.scenario = scenario

    def runtest(self) -> None:
        session: LinmemSession = self.config.stash[_SESSION_KEY]
        kind = self.parent.kind  # type: ignore[attr-defined]
        if kind is CaseKind.JSAPI and self.target.is_reference:
            pytest.skip("JS API test files run on JavaScript runtimes only; --node reference alone names none")
        try:
            if kind is CaseKind.JSAPI:
                cases = self.target.jsapi_cases(session.jsapi_file(self.path))
            elif self.scenario is not None:
                cases = [session.scenario_case(self.scenario, self.target)]
            else:
                cases = self.target.wast_cases(self.path)
        except HarnessError as error:
            raise CaseFailed(error.one_line()) from None
        except KeyboardInterrupt:
            kill_every_child()  # at once: pytest has hooks to run and a summary to print before it exits
            raise
        self._report(cases)

    def _report(self, cases: list[Case]) -> None:
        if len(cases) == 1:
            self.user_properties.append(("status", cases[0].status.value))
        unsupported = [case for case in cases if case.status is Status.UNSUPPORTED]
        if unsupported and len(unsupported) == len(cases):
            pytest.skip(f"unsupported: {unsupported[0].detail}")
        if unsupported:  # shown after the run, so a passing item does not hide what it could not check
            reasons = sorted({case.detail for case in unsupported})
            more = f" (and {len(reasons) - 1} other reasons)" if len(reasons) > 1 else ""
            self.user_properties.append(("linmem_unsupported", f"{len(unsupported)} unsupported: {reasons[0]}{more}"))
        failed = problems(cases)
        if failed:
            raise CaseFailed("\n".join(_short_report(case) for case in failed[:LISTED_COMMANDS]))

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, CaseFailed):
            return str(excinfo.value)
        return super().repr_failure(excinfo)

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, 0, f"{self.parent.kind.value} {self.name}"  # type: ignore[attr-defined]


def _short_report(case: Case) -> str:
    """A scenario's differences under a heading line; a command (or a reason) in one line."""
    where = f"{case.id} {case.command}" if case.kind is CaseKind.WAST else case.id
    heading = f"{case.status.value}: {where} on {case.runtime.label}"
    if case.differences:
        return "\n".join([heading] + case_detail(case))
    return f"{heading}: {case.detail}" if case.detail else heading


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """List the .wast items that passed with commands their runtime could not run, and why."""
    lines = [f"{report.nodeid}: {value}"
             for report in terminalreporter.stats.get("passed", [])
             for name, value in getattr(report, "user_properties", []) if name == "linmem_unsupported"]
    if lines:
        terminalreporter.section("linmem: commands a runtime could not run")
        for line in lines:
            terminalreporter.write_line(line)


@pytest.fixture(scope="session")
def linmem_session(pytestconfig: pytest.Config) -> LinmemSession:
    """The plugin's session: runtimes, compiler, driver processes."""
    return pytestconfig.stash[_SESSION_KEY]


@pytest.fixture(scope="session")
def linmem_runtimes(linmem_session: LinmemSession) -> list[Runtime]:
    """The runtimes selected with ``--node`` (or the default Node)."""
    return linmem_session.runtimes()


@pytest.fixture(scope="session")
def linmem_compiler(linmem_session: LinmemSession) -> Compiler:
    """The long-lived wabt.js compiler."""
    return linmem_session.compiler()


@pytest.fixture(scope="session")
def linmem_model() -> Any:
    """The reference model package (:mod:`harness.model`)."""
    from . import model
    return model
