"""Running scenarios end to end on the real Node, with a twin for each kind of difference."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.case import Status, exit_status
from harness.compiler.wabt import Compiler
from harness.errors import InputErrors
from harness.model import codegen
from harness.model.opcodes import BY_NAME
from harness.pipeline.collect import collect
from harness.pipeline.run import load_inputs
from harness.runtimes.discovery import Runtime
from tests.conftest import write_file
from tests.oracle import judge_scenario, run_paths

SCENARIOS = Path(__file__).parent / "scenarios"
FIXTURES = Path(__file__).parent / "fixtures"


run_one = judge_scenario


def test_the_article_sum_passes(compiler: Compiler, node_runtime: Runtime) -> None:
    case = run_one(SCENARIOS / "article" / "sum.scenario.toml", compiler, node_runtime)
    assert case.status is Status.PASS
    assert case.observed["steps"] == [None, [7, 4, 0], None, [7, 4, 11]]
    assert case.reference == {"instantiate": None, "steps": [None, [7, 4, 0], None, [7, 4, 11]]}


def test_a_wrong_expectation_fails_with_every_side_shown(tmp_path: Path, compiler: Compiler,
                                                         node_runtime: Runtime) -> None:
    text = (SCENARIOS / "article" / "sum.scenario.toml").read_text().replace("expect = [7, 4, 11]", "expect = [7, 4, 12]")
    text = text.replace("../../../wat/sum.wat", str((SCENARIOS.parent.parent / "wat" / "sum.wat").resolve()))
    case = run_one(write_file(tmp_path, "wrong.scenario.toml", text), compiler, node_runtime)
    assert case.status is Status.FAIL
    [difference] = case.differences
    assert difference.as_json() == {"step": 4, "op": "read", "observed": [7, 4, 11], "reference": [7, 4, 11],
                                    "expect": [7, 4, 12]}


def test_a_model_that_disagrees_with_the_runtime_fails(compiler: Compiler, node_runtime: Runtime,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(codegen.LOOSE_BINARY, BY_NAME["i32.add"], ("{a} * {b}", 0xFFFFFFFF, False))
    case = run_one(SCENARIOS / "article" / "sum.scenario.toml", compiler, node_runtime)
    assert case.status is Status.FAIL
    [difference] = case.differences
    assert (difference.step, difference.observed, difference.reference) == (4, [7, 4, 11], [7, 4, 28])


def test_error_messages_are_never_compared(compiler: Compiler, node_runtime: Runtime) -> None:
    case = run_one(SCENARIOS / "code" / "integer-traps.scenario.toml", compiler, node_runtime)
    assert case.status is Status.PASS
    assert case.observed["steps"][0]["message"]  # the engine's own words are kept...
    assert "message" not in case.reference["steps"][0]  # ...and the reference has none


def test_a_hung_runtime_is_an_error_for_that_scenario_only(tmp_path: Path, compiler: Compiler,
                                                           node_runtime: Runtime) -> None:
    # the model stops the loop by its fuel, in its own process, within a second
    spin = write_file(tmp_path, "spin.scenario.toml",
                      'wat = "(module (func (export \\"spin\\") (loop (br 0))))"\n[[steps]]\nop = "call"\nexport = "spin"\n')
    cases = run_paths([spin, SCENARIOS / "article" / "sum.scenario.toml"], compiler, [node_runtime], timeout=1.0)
    by_name = {case.id: case for case in cases}
    assert by_name["spin.scenario.toml"].status is Status.ERROR
    assert "did not answer within 1 s" in by_name["spin.scenario.toml"].detail
    assert by_name["sum.scenario.toml"].status is Status.PASS
    assert exit_status(cases) == 1


@pytest.mark.needs_node("the crash comes from a NODE_OPTIONS preload")
def test_a_crashed_runtime_is_an_error_for_that_scenario_only(tmp_path: Path, compiler: Compiler,
                                                              node_runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NODE_OPTIONS", f"--require {FIXTURES / 'js' / 'crash_on_marker.js'}")
    crash = write_file(tmp_path, "crash.scenario.toml",
                       'wat = \'(module (memory (export "memory") 1) (data (i32.const 0) "linmem-crash"))\'\n'
                       '[[steps]]\nop = "size"\n')
    cases = {case.id: case for case in run_paths([crash, SCENARIOS / "article" / "demo.scenario.toml"], compiler,
                                                  [node_runtime])}
    crashed, survivor = cases["crash.scenario.toml"], cases["demo.scenario.toml"]
    assert crashed.status is Status.ERROR and "exited with exit code 70" in crashed.detail
    assert survivor.status is Status.PASS


@pytest.mark.needs_feature("relaxed_simd")
def test_an_instruction_the_model_lacks_is_an_error_naming_it(tmp_path: Path, compiler: Compiler,
                                                               node_runtime: Runtime) -> None:
    zero = "(v128.const i32x4 0 0 0 0)"
    gap = write_file(tmp_path, "gap.scenario.toml",
                     f'features = ["relaxed_simd"]\nwat = "(module (func (export \\"f\\") '
                     f'(drop (i8x16.relaxed_swizzle {zero} {zero}))))"\n'
                     '[[steps]]\nop = "call"\nexport = "f"\n')
    case = run_one(gap, compiler, node_runtime)
    assert case.status is Status.ERROR
    assert case.detail == ("reference model lacks relaxed SIMD instruction i8x16.relaxed_swizzle at step 1; "
                           "step 1: no reference and no expect to judge by")
    assert case.observed is not None  # the runtime ran it (or rejected it); only the reference could not judge


def test_bad_scenarios_are_all_reported_before_anything_runs(tmp_path: Path, compiler: Compiler) -> None:
    write_file(tmp_path, "a.scenario.toml", 'wat = "(module)"\n[[steps]]\nop = "nope"\n')
    write_file(tmp_path, "b.scenario.json", '{"steps": []}')
    with pytest.raises(InputErrors) as caught:
        load_inputs(collect([tmp_path]), compiler)
    assert caught.value.message == "2 bad inputs:"
    assert caught.value.detail.splitlines() == [
        f"{tmp_path / 'a.scenario.toml'}: step 1: key 'op': unknown op 'nope'; expected one of write, read, "
        "write_string, decode, call, grow, size, hold, held, get_global, set_global, write_bytes, read_bytes, calls, "
            "output, repeat, buffer, to_resizable_buffer, to_fixed_length_buffer",
        f"{tmp_path / 'b.scenario.json'}: keys 'module' and 'wat': exactly one is needed"]
