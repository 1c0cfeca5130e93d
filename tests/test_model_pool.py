"""The reference model in processes of its own (``harness/pipeline/model_pool.py``): beside the runtimes, in time.

Everything here is real: the model in real worker processes, Node where a
runtime is involved, the ``linmem`` command in a subprocess. A slow case is
:func:`tests.conftest.slow_scenario`, about a second per call on the model
and milliseconds on V8; a worker is found among the run's processes by its
command line, and is busy once it has spent some CPU time
(:func:`tests.test_cli_signals.busy_worker`).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

from harness.case import Case, Status
from harness.compiler.wabt import Compiler
from harness.pipeline.collect import collect
from harness.pipeline.model_pool import ModelPool
from harness.pipeline.run import load_inputs, run_cases
from harness.pipeline.targets import Target
from harness.runtimes.discovery import Runtime
from harness.scenarios.format import load_scenario
from harness.scenarios.suite import PreparedScenario, Reference, prepare, reference_of
from tests.conftest import INLINE_SUM_SCENARIO, slow_scenario, write_file
from tests.test_cli import assert_one_clean_error
from tests.test_cli_signals import alive, busy_worker, descendants, model_workers

MEMORY_SCENARIOS = Path(__file__).parent / "scenarios" / "memory"
#: calls of a case that is slow but finishes (seconds on the model)
FEW = 4
#: calls of a case far too slow to wait for (minutes on the model)
MANY = 100
KILLED = "reference model: its worker process ended (signal SIGKILL) before giving a result"


def unjudged(gap: str, calls: int) -> str:
    """A runtime's ``detail`` for a slow case whose reference is ``gap``: none of its steps has an ``expect``."""
    return f"{gap}; the instantiation and steps 1 to {calls}: no reference and no expect to judge by"


def run_in_background(*arguments: str, cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "harness", *arguments], cwd=cwd, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def cases_by_name(report: Path) -> dict[str, dict[str, Any]]:
    return {Path(case["file"]).name: case for case in json.loads(report.read_text())["cases"]}


def prepared_file(directory: Path, name: str, text: str, compiler: Compiler) -> PreparedScenario:
    return prepare(load_scenario(write_file(directory, name, text)), compiler)


# -- the time limit ------------------------------------------------------------------------
def test_a_case_past_the_model_timeout_is_a_gap_and_the_rest_of_the_run_passes(run_linmem, tmp_path: Path) -> None:
    write_file(tmp_path, "slow.scenario.toml", slow_scenario(MANY))  # minutes on the model
    write_file(tmp_path, "sum.scenario.toml", INLINE_SUM_SCENARIO)
    started = time.monotonic()
    completed = run_linmem("run", str(MEMORY_SCENARIOS), str(tmp_path), "--model-timeout", "2",
                           "--json", str(tmp_path / "r.json"), cwd=tmp_path)
    took = time.monotonic() - started
    assert completed.returncode == 1, completed.stdout + completed.stderr
    cases = cases_by_name(tmp_path / "r.json")
    slow = cases.pop("slow.scenario.toml")
    assert (slow["status"], slow["detail"]) == ("error", unjudged("reference model: no result within 2 s "
                                                                  "(--model-timeout)", MANY))
    assert slow["observed"] is not None  # the runtime ran it; only the reference is missing
    assert {case["status"] for case in cases.values()} == {"pass"} and len(cases) == 25
    assert took < 30, f"the run took {took:.1f} s"


def test_within_the_model_timeout_a_slow_case_passes_with_its_reference(run_linmem, tmp_path: Path) -> None:
    write_file(tmp_path, "slow.scenario.toml", slow_scenario(FEW))
    write_file(tmp_path, "sum.scenario.toml", INLINE_SUM_SCENARIO)
    completed = run_linmem("run", str(MEMORY_SCENARIOS), str(tmp_path), "--model-timeout", "60",
                           "--json", str(tmp_path / "r.json"), cwd=tmp_path)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    slow = cases_by_name(tmp_path / "r.json")["slow.scenario.toml"]
    assert slow["status"] == "pass"
    assert slow["reference"]["steps"] == [9_000_000] * FEW


def test_a_timeout_replaces_the_worker_and_the_next_case_is_computed(tmp_path: Path, compiler: Compiler) -> None:
    slow = prepared_file(tmp_path, "slow.scenario.toml", slow_scenario(MANY), compiler)
    quick = prepared_file(tmp_path, "sum.scenario.toml", INLINE_SUM_SCENARIO, compiler)
    with ModelPool(workers=1, timeout=1) as pool:
        slow_reference, quick_reference = pool.submit(slow), pool.submit(quick)
        assert slow_reference.result(timeout=30) == Reference(None, "reference model: no result within 1 s "
                                                                    "(--model-timeout)")
        assert quick_reference.result(timeout=30) == reference_of(quick)
        assert pool.started == 2


def test_one_worker_computes_every_reference_as_the_model_does_here(tmp_path: Path, compiler: Compiler) -> None:
    slow = prepared_file(tmp_path, "slow.scenario.toml", slow_scenario(1), compiler)
    quick = prepared_file(tmp_path, "sum.scenario.toml", INLINE_SUM_SCENARIO, compiler)
    with ModelPool(workers=1, timeout=60) as pool:
        references = [pool.submit(slow), pool.submit(quick)]
        assert [reference.result(timeout=60) for reference in references] == [reference_of(slow), reference_of(quick)]
        assert pool.started == 1


@pytest.mark.parametrize("value", ["0", "-1", "nan", "inf", "-inf", "soon", ""])
def test_a_model_timeout_that_is_not_a_positive_finite_number_is_one_line_and_exit_2(run_linmem, tmp_path: Path,
                                                                                     value: str) -> None:
    write_file(tmp_path, "sum.scenario.toml", INLINE_SUM_SCENARIO)
    completed = run_linmem("run", "sum.scenario.toml", f"--model-timeout={value}", cwd=tmp_path)
    first = assert_one_clean_error(completed)
    assert first == f"linmem: error: --model-timeout: expected a positive, finite number of seconds, got {value!r}"
    assert completed.stderr.count("\n") == 1 and completed.stdout == ""


def test_a_model_timeout_below_a_second_is_taken(run_linmem, tmp_path: Path) -> None:
    write_file(tmp_path, "sum.scenario.toml", INLINE_SUM_SCENARIO)
    completed = run_linmem("run", "sum.scenario.toml", "--model-timeout=0.75", cwd=tmp_path)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "summary: 1 pass, 0 fail, 0 error, 0 unsupported" in completed.stdout


# -- the runtimes do not wait for the model -----------------------------------------------
@dataclass(frozen=True)
class Judged:
    """When (seconds after the run began) each case was judged, by file name."""

    at: dict[str, float]
    cases: dict[str, Case]


@pytest.fixture(scope="module")
def slow_last(compiler: Compiler, node_runtime: Runtime, tmp_path_factory: pytest.TempPathFactory) -> Judged:
    """The memory scenarios, the sum, then a case that keeps the model busy for seconds, run on Node."""
    directory = tmp_path_factory.mktemp("slow-last")
    write_file(directory, "sum.scenario.toml", INLINE_SUM_SCENARIO)
    write_file(directory, "z-slow.scenario.toml", slow_scenario(FEW))
    loaded = load_inputs(collect([MEMORY_SCENARIOS, directory]), compiler)
    last = sorted(loaded.scenarios, key=lambda item: item.scenario.path.name == "z-slow.scenario.toml")
    inputs = replace(loaded, scenarios=last)  # the slow case last: a runtime waits for no reference before it
    target, at, cases = Target(node_runtime, compiler), {}, {}
    began = time.monotonic()

    def judged(_: Target, case: Case) -> None:
        at[case.file.name], cases[case.file.name] = time.monotonic() - began, case
    try:
        with ModelPool() as model:
            run_cases(inputs, [target], model, on_case=judged)
    finally:
        target.close()
    return Judged(at, cases)


def test_a_runtime_judges_the_cases_before_a_slow_one_while_the_model_is_still_on_it(slow_last: Judged) -> None:
    others = {name: at for name, at in slow_last.at.items() if name != "z-slow.scenario.toml"}
    assert len(others) == 25
    assert max(others.values()) < slow_last.at["z-slow.scenario.toml"] - 2, slow_last.at


def test_a_runtime_judges_a_slow_case_once_its_reference_is_there(slow_last: Judged) -> None:
    slow = slow_last.cases["z-slow.scenario.toml"]
    assert slow.status is Status.PASS, slow.detail
    assert slow.reference == {"instantiate": None, "steps": [9_000_000] * FEW}
    assert slow_last.at["z-slow.scenario.toml"] > 2  # FEW seconds of the model, not the runtime's milliseconds


# -- a worker that dies ---------------------------------------------------------------------
def test_a_killed_worker_is_a_gap_for_its_case_and_a_fresh_worker_computes_the_next(tmp_path: Path,
                                                                                    compiler: Compiler) -> None:
    slow = prepared_file(tmp_path, "slow.scenario.toml", slow_scenario(MANY), compiler)
    quick = prepared_file(tmp_path, "sum.scenario.toml", INLINE_SUM_SCENARIO, compiler)
    with ModelPool(workers=1, timeout=600) as pool:
        slow_reference, quick_reference = pool.submit(slow), pool.submit(quick)
        os.kill(busy_worker(pool.worker_pids), signal.SIGKILL)
        assert slow_reference.result(timeout=30) == Reference(None, KILLED)
        assert quick_reference.result(timeout=30) == reference_of(quick)
        assert pool.started == 2


def test_a_model_worker_killed_mid_run_is_one_gap_and_the_run_goes_on(npm_side: Path, tmp_path: Path) -> None:
    write_file(tmp_path, "slow.scenario.toml", slow_scenario(FEW))  # as in the twin above, which passes
    write_file(tmp_path, "sum.scenario.toml", INLINE_SUM_SCENARIO)
    run = run_in_background("run", str(MEMORY_SCENARIOS), str(tmp_path), "--json", str(tmp_path / "r.json"),
                            cwd=tmp_path)
    try:
        worker = busy_worker(lambda: model_workers(run.pid))
        os.kill(worker, signal.SIGKILL)
        stdout, stderr = run.communicate(timeout=120)
    finally:
        run.kill()
    assert run.returncode == 1, stdout + stderr
    cases = cases_by_name(tmp_path / "r.json")
    slow = cases.pop("slow.scenario.toml")
    assert (slow["status"], slow["detail"]) == ("error", unjudged(KILLED, FEW))
    assert {case["status"] for case in cases.values()} == {"pass"} and len(cases) == 25


def test_a_worker_whose_run_is_killed_outright_exits_by_itself(npm_side: Path, tmp_path: Path) -> None:
    write_file(tmp_path, "slow.scenario.toml", slow_scenario(MANY))
    run = run_in_background("run", "slow.scenario.toml", cwd=tmp_path)
    children: set[int] = set()
    try:
        worker = busy_worker(lambda: model_workers(run.pid))
        children = descendants(run.pid)
        assert alive(worker)  # busy on its case for minutes, while its run lives
        run.kill()  # SIGKILL: the run cannot stop anything itself
        run.wait(timeout=10)
        deadline = time.monotonic() + 5
        while alive(worker) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not alive(worker), "the orphaned worker is still computing"
    finally:
        for pid in children:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)


def test_update_leaves_a_case_past_the_model_timeout_as_it_is_and_updates_the_others(run_linmem,
                                                                                    tmp_path: Path) -> None:
    slow_text, sum_text = slow_scenario(MANY), INLINE_SUM_SCENARIO.replace("expect = [7, 4, 11]\n", "")
    write_file(tmp_path, "slow.scenario.toml", slow_text)
    write_file(tmp_path, "sum.scenario.toml", sum_text)
    completed = run_linmem("run", ".", "--update", "--model-timeout", "2", cwd=tmp_path)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert completed.stderr == (f"{tmp_path / 'slow.scenario.toml'}: not updated: reference model: no result "
                                "within 2 s (--model-timeout)\n")
    assert (tmp_path / "slow.scenario.toml").read_text() == slow_text
    assert "expect = [7, 4, 11]" in (tmp_path / "sum.scenario.toml").read_text()  # its twin, updated
