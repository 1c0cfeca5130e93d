"""Running .wast scripts on the real runtime under test: floats bit for bit through wrapper modules."""

from __future__ import annotations

import collections
from pathlib import Path
from typing import Callable

import pytest

from harness.case import Case
from harness.compiler.wabt import Compiler
from harness.model.versions import SpecVersion
from harness.runtimes.discovery import Runtime
from harness.wast.on_model import run_on_model
from harness.wast.on_runtime import WastDriver, run_on_runtime
from tests.conftest import MEMORY64_FILES, MEMORY_FILES

WAST = Path(__file__).parent / "wast"
BAD_WAST = Path(__file__).parent / "fixtures" / "wast"  # scripts that must fail or cannot run


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


@pytest.mark.needs_feature("relaxed_simd")
def test_an_instruction_the_model_lacks_is_a_gap_only_for_the_call_that_reaches_it(compiler: Compiler,
                                                                                   node_runtime: Runtime) -> None:
    on_runtime = run_on_runtime(BAD_WAST / "relaxed-simd-gap.wast", node_runtime, compiler)
    on_model = run_on_model(BAD_WAST / "relaxed-simd-gap.wast", compiler)
    assert [(c.line, c.status) for c in on_runtime] == [(8, "pass"), (12, "pass"), (13, "pass")]
    assert [(c.line, c.status, c.detail) for c in on_model] == [
        (8, "pass", ""),
        (12, "error", "reference model: reference model lacks relaxed SIMD instruction i8x16.relaxed_swizzle"),
        (13, "pass", "")]


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
    assert [c.status for c in run_on_model(script, compiler, version=SpecVersion.V2)] == ["pass"]
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


# -- v128 values across the boundary ----------------------------------------------------------------

def _problems(cases: list[Case]) -> list[tuple[str, str, str]]:
    return [(case.id, case.status, case.detail) for case in cases if case.status != "pass"]


@pytest.mark.needs_feature("simd")
def test_every_lane_shape_and_nan_payload_of_a_v128_crosses_the_boundary_bit_for_bit(compiler: Compiler,
                                                                                      node_runtime: Runtime) -> None:
    cases = run_on_runtime(WAST / "simd_values.wast", node_runtime, compiler)
    assert _problems(cases) == []
    assert len(cases) == 27  # one case per command


@pytest.mark.needs_feature("simd")
def test_wrong_v128_expectations_fail_on_the_runtime(compiler: Compiler, node_runtime: Runtime) -> None:
    cases = {case.line: case for case in run_on_runtime(BAD_WAST / "wrong-simd.wast", node_runtime, compiler)}
    assert [(line, case.status) for line, case in cases.items()] == [
        (2, "pass"), (6, "pass"), (7, "fail"), (8, "fail"), (9, "fail"), (10, "fail"), (11, "fail"), (13, "fail")]
    one_to_four = (4 << 96) | (3 << 64) | (2 << 32) | 1  # i32x4 1 2 3 4, lane 0 in the low bits
    assert cases[7].detail == f"results [{hex(one_to_four)}] do not match the expectation"  # one lane differs
    assert cases[8].detail == f"results [{hex(2 << 64 | 1)}] do not match the expectation"  # halves swapped
    assert cases[10].detail == "results [0x7fa00001] do not match the expectation"  # a payload is not canonical
    assert cases[13].detail == f"results [{hex(one_to_four)}] do not match the expectation"  # a global's lanes


@pytest.mark.needs_feature("simd")
def test_our_simd_script_passes_on_the_runtime_v128_results_included(compiler: Compiler,
                                                                     node_runtime: Runtime) -> None:
    cases = {case.line: case for case in run_on_runtime(WAST / "simd.wast", node_runtime, compiler)}
    assert [(line, case.status, case.detail) for line, case in cases.items() if case.status != "pass"] == []
    assert cases[28].command == "assert_return"  # (invoke "load" ...) returns a v128, compared lane by lane


def test_a_runtime_without_simd_reports_v128_unsupported(compiler: Compiler,
                                                         provisioned: "Callable[[str], Runtime]") -> None:
    cases = run_on_runtime(WAST / "simd_values.wast", provisioned("14"), compiler)
    assert {case.status for case in cases} == {"unsupported"}
    assert "lacks fixed-width SIMD (v128)" in cases[0].detail


# -- WebAssembly 3.0's memories on the runtime --------------------------------------------------------

@pytest.mark.needs_feature("memory64")
@pytest.mark.needs_feature("multi_memory")
@pytest.mark.parametrize("name, commands", [("memory64.wast", 44), ("multi_memory.wast", 38), ("v3_only.wast", 5)])
def test_our_3_0_memory_scripts_pass_on_the_runtime(name: str, commands: int, compiler: Compiler,
                                                    node_runtime: Runtime) -> None:
    cases = run_on_runtime(WAST / name, node_runtime, compiler, version=SpecVersion.V3)
    assert _problems(cases) == []
    assert len(cases) == commands


@pytest.mark.needs_feature("memory64")
@pytest.mark.needs_feature("multi_memory")
def test_wrong_3_0_expectations_fail_on_the_runtime(compiler: Compiler, node_runtime: Runtime) -> None:
    cases = run_on_runtime(BAD_WAST / "wrong-3.0.wast", node_runtime, compiler, version=SpecVersion.V3)
    assert [(case.line, case.status) for case in cases] == [
        (2, "pass"), (6, "fail"), (7, "fail"), (8, "fail"), (9, "fail"), (11, "pass"), (12, "fail")]
    assert cases[2].detail == f"results [{hex(2**64 - 1)}] do not match the expectation"  # -1 is 64 bits wide
    assert cases[4].detail == "expected CompileError, got success"


def test_a_runtime_of_2_0_reports_3_0_modules_unsupported_with_the_reason(
        compiler: Compiler, provisioned: "Callable[[str], Runtime]") -> None:
    node18 = provisioned("18")
    cases = [case for name in ("memory64.wast", "multi_memory.wast", "v3_only.wast")
             for case in run_on_runtime(WAST / name, node18, compiler, version=SpecVersion.V3)]
    assert {case.status for case in cases} == {"pass", "unsupported"}
    by_3_0 = {case.line: case.detail for case in cases if case.file.name == "v3_only.wast"}
    assert by_3_0[3].startswith("node-18.4.0 lacks multiple memories (the module has 2 memories); it said "
                                "CompileError: WebAssembly.Module(): ")  # and the engine's own words
    assert by_3_0[4].startswith("node-18.4.0 lacks 64-bit memories (the module has a 64-bit memory)")
    assert "lacks global.get of a module's own globals in constant expressions" in by_3_0[5]
    assert "lacks extended constant expressions" in by_3_0[11]
    # a memory index written as a two-byte LEB128 zero: only 2.0's rules (the model's) say why
    assert "2.0's rules reject the module (zero byte expected" in by_3_0[12]


# -- the official SIMD, memory64 and multi-memory scripts ----------------------------------------------

def _run_all(scripts: list[Path], runtime: Runtime, compiler: Compiler, version: SpecVersion) -> list[Case]:
    with WastDriver(runtime, compiler, version=version) as driver:
        return [case for script in scripts for case in driver.run(script)]


@pytest.mark.needs_feature("simd")
@pytest.mark.parametrize("version, suite, scripts, commands", [
    (SpecVersion.V2, "spec_core", 58, 25_478),  # fffc6e12's simd/
    pytest.param(SpecVersion.V3, "spec_core_3", 59, 25_481, marks=pytest.mark.needs_feature("multi_memory")),  # 285a9032's
])
def test_official_simd_scripts_all_pass_on_the_runtime(version: SpecVersion, suite: str, scripts: int, commands: int,
                                                       request: pytest.FixtureRequest, compiler: Compiler,
                                                       node_runtime: Runtime) -> None:
    directory = request.getfixturevalue(suite) / "simd"
    found = sorted(directory.glob("*.wast"))
    assert len(found) == scripts, f"{directory} holds {len(found)} scripts; the suite's commit has {scripts}"
    cases = _run_all(found, node_runtime, compiler, version)
    assert _problems(cases)[:5] == []
    assert len(cases) == commands


@pytest.mark.needs_feature("memory64")
def test_official_memory64_scripts_pass_on_the_runtime_but_for_the_js_api_limit(
        spec_core_3: Path, compiler: Compiler, node_runtime: Runtime) -> None:
    cases = _run_all([spec_core_3 / "memory64" / f"{name}.wast" for name in MEMORY64_FILES], node_runtime, compiler,
                     SpecVersion.V3)
    # (module (memory i64 0 0x1_0000_0000_0000)): valid by the core spec, over the JS API's 2^37-1 pages
    [(where, status, detail)] = _problems(cases)
    assert (where, status) == ("memory64.wast:9", "unsupported")
    assert detail.startswith(f"{node_runtime.label()} follows the JS API, which rejects a 64-bit memory whose "
                             "minimum or maximum is over 2^37-1 pages (this one's is 281474976710656); it said "
                             "CompileError: ")


@pytest.mark.needs_feature("multi_memory")
def test_official_multi_memory_scripts_all_pass_on_the_runtime(spec_core_3: Path, compiler: Compiler,
                                                               node_runtime: Runtime) -> None:
    scripts = sorted((spec_core_3 / "multi-memory").glob("*.wast"))
    assert len(scripts) == 41, f"{spec_core_3}/multi-memory holds {len(scripts)} scripts; 285a9032 has 41"
    cases = _run_all(scripts, node_runtime, compiler, SpecVersion.V3)
    assert _problems(cases)[:5] == []
    assert len(cases) == 912
