"""The pytest plugin (entry point ``pytest11``): scenario files as test items.

Every ``*.scenario.toml`` / ``*.scenario.json`` that pytest comes across is
collected as one item per runtime, named ``sum.scenario.toml[node-20.20.2]``.
The hooks only hand work to a :class:`LinmemSession` (one per test process,
so it is safe under ``pytest -n auto``); a failure is reported as the short
diff of the steps that differ, never a traceback.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import pytest

from .errors import HarnessError
from .reports.terminal import case_detail
from .scenarios.suite import CaseResult, PreparedScenario, prepare, reference_document, run_case
from .runtimes.discovery import Runtime, find_compiler_node, find_node
from .scenarios.format import SUFFIXES, Scenario, load_scenario
from .scenarios.on_runtime import RuntimeSession
from .scenarios.verdict import Status
from .compiler.wabt import Compiler
from .wast.on_runtime import WastDriver
from .wast.on_model import run_on_model

_SESSION_KEY = pytest.StashKey["LinmemSession"]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("linmem", "linmem scenario files")
    group.addoption("--node", action="append", default=[], metavar="PATH", dest="linmem_node",
                    help="a runtime to run scenario files on (repeatable; default: linmem's default Node)")
    group.addoption("--wast", action="store_true", dest="linmem_wast",
                    help=".wast spec scripts are collected anyway (one item per script on the reference model and "
                         "per runtime); the option is kept so older command lines still work")


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_SESSION_KEY] = LinmemSession(config.getoption("linmem_node") or [])


def pytest_unconfigure(config: pytest.Config) -> None:
    session = config.stash.get(_SESSION_KEY, None)
    if session is not None:
        session.close()


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> "ScenarioFile | WastFile | None":
    if file_path.name.endswith(SUFFIXES):
        return ScenarioFile.from_parent(parent, path=file_path)
    if file_path.suffix == ".wast":
        return WastFile.from_parent(parent, path=file_path)
    return None


class LinmemSession:
    """The runtimes, the compiler, the driver processes and the reference results of one test process."""

    def __init__(self, node_specs: list[str]) -> None:
        self.node_specs = node_specs
        self._runtimes: list[Runtime] | None = None
        self._compiler: Compiler | None = None
        self._drivers: dict[str, RuntimeSession] = {}
        self._wast_drivers: dict[str, WastDriver] = {}
        self._references: dict[Path, tuple[dict[str, Any] | None, str]] = {}

    def runtimes(self) -> list[Runtime]:
        """The runtimes to run on, found once."""
        if self._runtimes is None:
            self._runtimes = [find_node(spec) for spec in self.node_specs] or [find_node(None)]
        return self._runtimes

    def compiler(self) -> Compiler:
        """One long-lived wabt process for the whole test process."""
        if self._compiler is None:
            self._compiler = Compiler(find_compiler_node(self.runtimes()[0]))
        return self._compiler

    def driver(self, runtime: Runtime) -> RuntimeSession:
        """The long-lived driver process of ``runtime``."""
        if runtime.path not in self._drivers:
            self._drivers[runtime.path] = RuntimeSession(runtime)
        return self._drivers[runtime.path]

    def wast_driver(self, runtime: Runtime) -> WastDriver:
        """The long-lived .wast driver process of ``runtime`` (reset for each script)."""
        if runtime.path not in self._wast_drivers:
            self._wast_drivers[runtime.path] = WastDriver(runtime, self.compiler())
        return self._wast_drivers[runtime.path]

    def reference(self, prepared: PreparedScenario) -> tuple[dict[str, Any] | None, str]:
        """The reference document of a scenario, computed once."""
        path = prepared.scenario.path
        if path not in self._references:
            self._references[path] = reference_document(prepared)
        return self._references[path]

    def run(self, scenario: Scenario, runtime: Runtime) -> CaseResult:
        """One scenario on one runtime, judged."""
        prepared = prepare(scenario, self.compiler())
        reference, gap = self.reference(prepared)
        return run_case(prepared, self.driver(runtime), reference, gap)

    def close(self) -> None:
        """Stop every process this session started."""
        for driver in [*self._drivers.values(), *self._wast_drivers.values()]:
            driver.close()
        if self._compiler is not None:
            self._compiler.close()


class ScenarioFile(pytest.File):
    """A scenario file: one item per runtime."""

    def collect(self) -> Iterator["ScenarioItem"]:
        session: LinmemSession = self.config.stash[_SESSION_KEY]
        try:
            scenario = load_scenario(self.path)
            runtimes = session.runtimes()
        except HarnessError as error:
            raise self.CollectError(error.one_line()) from None
        for runtime in runtimes:
            yield ScenarioItem.from_parent(self, name=f"{self.path.name}[{runtime.label()}]",
                                           scenario=scenario, runtime=runtime)


class ScenarioFailed(Exception):
    """A scenario that did not pass on a runtime; its message is the short diff."""


class ShortFailureItem(pytest.Item):
    """An item whose failure is the short report in its exception, never a traceback."""

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, ScenarioFailed):
            return str(excinfo.value)
        return super().repr_failure(excinfo)


class ScenarioItem(ShortFailureItem):
    """One scenario on one runtime."""

    def __init__(self, *, scenario: Scenario, runtime: Runtime, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.scenario = scenario
        self.runtime = runtime

    def runtest(self) -> None:
        session: LinmemSession = self.config.stash[_SESSION_KEY]
        try:
            case = session.run(self.scenario, self.runtime)
        except HarnessError as error:
            raise ScenarioFailed(error.one_line()) from None
        self.user_properties.append(("status", case.status.value))
        if case.status is Status.UNSUPPORTED:
            pytest.skip(f"unsupported: {case.verdict.reason}")
        if case.status is not Status.PASS:
            lines = [f"{case.status.value}: {self.scenario.id} on {self.runtime.label()}"] + case_detail(case)
            raise ScenarioFailed("\n".join(lines))

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, 0, f"scenario {self.name}"


class WastFile(pytest.File):
    """A .wast script: one item on the reference model, one per runtime."""

    def collect(self) -> Iterator["WastItem"]:
        session: LinmemSession = self.config.stash[_SESSION_KEY]
        yield WastItem.from_parent(self, name=f"{self.path.name}[reference]", runtime=None)
        try:
            runtimes = session.runtimes()
        except HarnessError as error:
            raise self.CollectError(error.one_line()) from None
        for runtime in runtimes:
            yield WastItem.from_parent(self, name=f"{self.path.name}[{runtime.label()}]", runtime=runtime)


class WastItem(ShortFailureItem):
    """Every command of a script on the model or a runtime; fails listing the commands that did not pass."""

    def __init__(self, *, runtime: Runtime | None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.runtime = runtime

    def runtest(self) -> None:
        session: LinmemSession = self.config.stash[_SESSION_KEY]
        try:
            cases = (run_on_model(self.path, session.compiler()) if self.runtime is None
                     else session.wast_driver(self.runtime).run(self.path))
        except HarnessError as error:
            raise ScenarioFailed(error.one_line()) from None
        unsupported = [case for case in cases if case.status == "unsupported"]
        if unsupported:  # shown after the run, so a passing item does not hide what it could not check
            reasons = sorted({case.detail for case in unsupported})
            more = f" (and {len(reasons) - 1} other reasons)" if len(reasons) > 1 else ""
            self.user_properties.append(("linmem_unsupported", f"{len(unsupported)} unsupported: {reasons[0]}{more}"))
        problems = [case for case in cases if case.status not in ("pass", "unsupported")]
        if problems:
            raise ScenarioFailed("\n".join(f"{case.status}: {case.id} {case.command} on {case.runtime}: {case.detail}"
                                            for case in problems[:50]))

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, 0, f"wast {self.name}"


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
