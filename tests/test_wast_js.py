"""Running .wast scripts on the real runtime under test: floats bit for bit through wrapper modules."""

from __future__ import annotations

import collections
from pathlib import Path
from typing import Callable

import pytest

from harness.compiler.wabt import Compiler
from harness.model.binary import FuncType
from harness.model.versions import SpecVersion
from harness.runtimes.discovery import Runtime
from harness.wast.boundary import wrapper_wat
from harness.wast.on_model import run_on_model
from harness.wast.on_runtime import WastDriver, run_on_runtime
from tests.conftest import MEMORY_FILES

WAST = Path(__file__).parent / "wast"
BAD_WAST = Path(__file__).parent / "fixtures" / "wast"  # scripts that must fail or cannot run


def test_the_wrapper_carries_floats_as_integer_bits(compiler: Compiler) -> None:
    text = wrapper_wat(FuncType(("f32", "i64"), ("f64", "i32")))
    assert '(func (export "w") (param i32 i64) (result i64 i32)' in text
    assert "(f32.reinterpret_i32)" in text and "(i64.reinterpret_f64)" in text
    compiler.compile_text(text.encode(), filename="wrapper.wat")  # it is a valid module


def test_our_memory_script_passes_on_the_runtime(compiler: Compiler, node_runtime: Runtime) -> None:
    cases = run_on_runtime(WAST / "memory.wast", node_runtime, compiler)
    assert [(c.id, c.status, c.detail) for c in cases if c.status not in ("pass", "unsupported")] == []
    assert sum(c.status == "pass" for c in cases) >= 15


def test_a_signalling_nan_reaches_the_runtime_and_comes_back_bit_for_bit(compiler: Compiler, node_runtime: Runtime,
                                                                         tmp_path: Path) -> None:
    script = tmp_path / "nan.wast"
    script.write_text('(module (func (export "id") (param f32) (result f32) (local.get 0)))\n'
                      '(assert_return (invoke "id" (f32.const nan:0x200001)) (f32.const nan:0x200001))\n'
                      '(assert_return (invoke "id" (f32.const -nan:0x1)) (f32.const -nan:0x1))\n')
    assert [c.status for c in run_on_runtime(script, node_runtime, compiler)] == ["pass", "pass", "pass"]


def test_wrong_expectations_fail_on_the_runtime_too(compiler: Compiler, node_runtime: Runtime) -> None:
    statuses = [(c.id, c.status) for c in run_on_runtime(BAD_WAST / "wrong.wast", node_runtime, compiler)]
    assert statuses[:5] == [("wrong.wast:2", "pass"), ("wrong.wast:3", "fail"), ("wrong.wast:4", "fail"),
                            ("wrong.wast:6", "pass"), ("wrong.wast:7", "fail")]  # a global's value is compared


def test_a_global_is_read_as_bits_so_a_nan_payload_survives(compiler: Compiler, node_runtime: Runtime,
                                                            tmp_path: Path) -> None:
    script = tmp_path / "global.wast"
    script.write_text('(module (global (export "g") f32 (f32.const nan:0x200001))'
                      ' (global (export "m") (mut i32) (i32.const -1)))\n'
                      '(assert_return (get "g") (f32.const nan:0x200001))\n'
                      '(assert_return (get "g") (f32.const nan:0x400000))\n'
                      '(assert_return (get "m") (i32.const 0xffff_ffff))\n')
    assert [c.status for c in run_on_runtime(script, node_runtime, compiler)] == ["pass", "pass", "fail", "pass"]


@pytest.mark.needs_feature("reference_types")
def test_references_cross_the_boundary_and_are_compared(compiler: Compiler, node_runtime: Runtime) -> None:
    cases = {c.line: c for c in run_on_runtime(WAST / "commands.wast", node_runtime, compiler)}
    assert [(line, cases[line].status) for line in range(30, 38) if cases[line].status != "pass"] == []
    wrong = {c.line: c for c in run_on_runtime(BAD_WAST / "wrong.wast", node_runtime, compiler)}
    assert (wrong[8].status, wrong[9].status, wrong[10].status) == ("pass", "fail", "fail")
    assert wrong[9].detail == wrong[10].detail == "results [ref.extern 1] do not match the expectation"


def test_a_runtime_without_reference_types_reports_them_unsupported(compiler: Compiler,
                                                                    provisioned: "Callable[[str], Runtime]") -> None:
    node14 = provisioned("14")
    cases = {c.line: c for c in run_on_runtime(WAST / "commands.wast", node14, compiler)}
    assert {cases[line].status for line in range(30, 38)} == {"unsupported"}
    assert "lacks reference types" in cases[30].detail and "lacks reference types" in cases[31].detail
    assert cases[38].status == "pass"  # a later action on a module it could instantiate still runs


@pytest.mark.parametrize("name", MEMORY_FILES)
def test_official_memory_scripts_have_no_failure_on_the_runtime(name: str, spec_core: Path,
                                                                compiler: Compiler, node_runtime: Runtime) -> None:
    cases = run_on_runtime(spec_core / f"{name}.wast", node_runtime, compiler, version=SpecVersion.V2)
    counts = collections.Counter(case.status for case in cases)
    assert counts["fail"] == 0 and counts["error"] == 0, [(c.id, c.detail) for c in cases if c.status in ("fail", "error")][:5]


def test_an_instruction_the_model_lacks_is_a_gap_only_for_the_call_that_reaches_it(compiler: Compiler,
                                                                                   node_runtime: Runtime) -> None:
    on_runtime = run_on_runtime(BAD_WAST / "simd-gap.wast", node_runtime, compiler)
    on_model = run_on_model(BAD_WAST / "simd-gap.wast", compiler)
    assert [(c.line, c.status) for c in on_runtime] == [(3, "pass"), (6, "pass"), (7, "pass")]
    assert [(c.line, c.status, c.detail) for c in on_model] == [
        (3, "pass", ""), (6, "error", "reference model: reference model lacks SIMD instruction v128.const"),
        (7, "pass", "")]


def test_a_registered_module_that_could_not_run_makes_its_importers_unsupported(
        compiler: Compiler, provisioned: "Callable[[str], Runtime]", tmp_path: Path) -> None:
    script = tmp_path / "register.wast"
    script.write_text('(module (func (export "id") (param externref) (result externref) (local.get 0)))\n'
                      '(register "refs")\n'
                      '(module (import "refs" "id" (func (param externref) (result externref))))\n'
                      '(module (func (export "one") (result i32) (i32.const 1)))\n'
                      '(assert_return (invoke "one") (i32.const 1))\n')
    cases = run_on_runtime(script, provisioned("14"), compiler)
    assert [(c.line, c.status) for c in cases] == [(1, "unsupported"), (2, "unsupported"), (3, "unsupported"),
                                                   (4, "pass"), (5, "pass")]
    assert cases[1].detail.startswith("registers a module that could not run here: node-14.19.3 lacks reference types")


def test_a_2_0_malformed_module_valid_under_multi_memory_is_unsupported_with_the_reason(
        compiler: Compiler, provisioned: "Callable[[str], Runtime]", tmp_path: Path) -> None:
    # memory.size with its reserved byte written as a two-byte LEB zero: malformed in 2.0, memory 0 in 3.0
    script = tmp_path / "zero-byte.wast"
    script.write_text('(assert_malformed (module binary "\\00asm" "\\01\\00\\00\\00" "\\01\\05\\01\\60\\00\\01\\7f"'
                      ' "\\03\\02\\01\\00" "\\05\\03\\01\\00\\00" "\\0a\\07\\01\\05\\00\\3f\\80\\00\\0b")'
                      ' "zero byte expected")\n')
    assert [c.status for c in run_on_model(script, compiler)] == ["pass"]
    [on_deno] = run_on_runtime(script, provisioned("deno"), compiler, version=SpecVersion.V2)
    assert on_deno.status == "unsupported" and "implements multi_memory" in on_deno.detail
    [by_3_0_rules] = run_on_runtime(script, provisioned("deno"), compiler, version=SpecVersion.V3)
    assert (by_3_0_rules.status, by_3_0_rules.detail) == ("fail", "expected CompileError, got success")


def test_one_driver_runs_script_after_script_with_nothing_carried_over(compiler: Compiler, node_runtime: Runtime,
                                                                       tmp_path: Path) -> None:
    first, second = tmp_path / "first.wast", tmp_path / "second.wast"
    first.write_text('(module $A (func (export "f") (result i32) (i32.const 1)))\n(register "a" $A)\n'
                     '(assert_return (invoke "f") (i32.const 1))\n')
    second.write_text('(assert_unlinkable (module (import "a" "f" (func (result i32)))) "unknown import")\n')
    with WastDriver(node_runtime, compiler) as driver:
        runs = [driver.run(first), driver.run(second), driver.run(first)]
        assert driver.worker.starts == 1  # one process for every script
    assert [[c.status for c in cases] for cases in runs] == [["pass"] * 3, ["pass"], ["pass"] * 3]
