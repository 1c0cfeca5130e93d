"""Judging a scenario: where only one side's call stack ran out (the depth is implementation-defined).

The documents are written by hand: what a runtime and the model would report
for a recursion that one of them got through and the other did not.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.case import Status
from harness.scenarios.format import Scenario, load_scenario
from harness.scenarios.verdict import Reference, judge
from tests.conftest import write_file

V8_OVERFLOW = {"error": "RangeError", "message": "Maximum call stack size exceeded", "trap": "call stack exhausted"}
MODEL_OVERFLOW = {"error": "RangeError", "trap": "call stack exhausted"}


def scenario(tmp_path: Path, first_expect: str = "", start: str = "") -> Scenario:
    """Two calls of ``depth``: the first 20,000 calls deep, the second 10 (``expect = 10``)."""
    wat = ('(module (func $depth (export "depth") (param i32) (result i32) (local.get 0))'
           f'{start} (memory (export "memory") 1))')
    steps = "".join(f'[[steps]]\nop = "call"\nexport = "depth"\nargs = [{n}]\n{expect}\n'
                    for n, expect in ((20000, first_expect), (10, "expect = 10")))
    return load_scenario(write_file(tmp_path, "deep.scenario.toml", f"wat = '{wat}'\n{steps}"))


def document(*steps: object, instantiate: object = None) -> dict:
    return {"instantiate": instantiate, "steps": list(steps)}


def test_a_runtime_that_runs_out_where_the_model_does_not_is_unsupported(tmp_path: Path) -> None:
    verdict = judge(scenario(tmp_path), document(V8_OVERFLOW, 10), Reference(document(20000, 10)))
    assert (verdict.status, verdict.reason) == (Status.UNSUPPORTED,
                                                "step 1: call stack exhausted (depth is implementation-defined)")


def test_a_difference_before_the_runtime_runs_out_still_fails(tmp_path: Path) -> None:
    verdict = judge(scenario(tmp_path), document(20000, V8_OVERFLOW), Reference(document(20001, 10)))
    assert verdict.status is Status.FAIL
    assert [difference.step for difference in verdict.differences] == [1]


def test_a_runtime_that_runs_out_in_the_start_function_is_unsupported(tmp_path: Path) -> None:
    verdict = judge(scenario(tmp_path), document(instantiate=V8_OVERFLOW), Reference(document(20000, 10)))
    assert (verdict.status, verdict.reason) == (
        Status.UNSUPPORTED, "the instantiation: call stack exhausted (depth is implementation-defined)")


def test_the_model_running_out_is_a_gap_past_which_steps_are_judged_by_their_expect(tmp_path: Path) -> None:
    verdict = judge(scenario(tmp_path, "expect = 20000"), document(20000, 10), Reference(document(MODEL_OVERFLOW, 10)))
    assert (verdict.status, verdict.reason) == (
        Status.PASS, "steps 1 to 2 judged by expect alone (reference model: call stack exhausted at step 1 "
                     "(depth is implementation-defined))")


def test_past_the_models_exhaustion_a_wrong_expect_fails(tmp_path: Path) -> None:
    verdict = judge(scenario(tmp_path, "expect = 19999"), document(20000, 10), Reference(document(MODEL_OVERFLOW, 10)))
    assert verdict.status is Status.FAIL
    assert [(d.step, d.observed, d.reference) for d in verdict.differences] == [(1, 20000, None)]


def test_past_the_models_exhaustion_a_step_without_expect_is_not_judged_and_the_reason_says_so(tmp_path: Path) -> None:
    verdict = judge(scenario(tmp_path), document(20000, 10), Reference(document(MODEL_OVERFLOW, 10)))
    assert (verdict.status, verdict.reason) == (
        Status.PASS, "step 2 judged by expect alone (reference model: call stack exhausted at step 1 "
                     "(depth is implementation-defined)); step 1: not judged (no expect)")


@pytest.mark.parametrize("runtime_overflow", [V8_OVERFLOW, MODEL_OVERFLOW])
def test_both_sides_running_out_agree(tmp_path: Path, runtime_overflow: dict) -> None:
    verdict = judge(scenario(tmp_path), document(runtime_overflow, 10), Reference(document(MODEL_OVERFLOW, 10)))
    assert (verdict.status, verdict.differences) == (Status.PASS, [])
