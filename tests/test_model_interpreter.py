"""The interpreter runs the module's own code: expected values come from the spec's
definitions, and a property test checks the i32 instructions against real V8."""

from __future__ import annotations

import base64
import json
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.compiler.wabt import Compiler
from harness.model import (
    Limits,
    Memory,
    TrapKind,
    call_export,
    decode_module,
    instantiate,
)
from harness.model.numeric import signed
from harness.model.traps import JsException, Trap, UnsupportedInstruction
from harness.model.validate import validate
from harness.runtimes.discovery import Runtime
from harness.runtimes.process import run_tool

CALL_EXPORTS = Path(__file__).parent / "fixtures" / "js" / "call_exports.js"


def run_model(compiler: Compiler, wat: str, export: str, *args: int, memory: Memory | None = None,
              features: tuple[str, ...] = ()) -> list[int]:
    module = decode_module(compiler.compile_text(wat.encode(), filename="t.wat", features=features).wasm_bytes)
    imports = {("js", "mem"): memory} if memory is not None else {}
    return call_export(instantiate(module, imports), export, list(args))


def binary_op(name: str) -> str:
    return f'(module (func (export "f") (param i32 i32) (result i32) ({name} (local.get 0) (local.get 1))))'


@pytest.mark.parametrize("op, a, b, expected", [
    ("i32.add", 0xFFFFFFFF, 1, 0),
    ("i32.sub", 0, 1, 0xFFFFFFFF),
    ("i32.mul", 0x10000, 0x10000, 0),
    ("i32.div_s", (-7) & 0xFFFFFFFF, 2, (-3) & 0xFFFFFFFF),  # truncates toward zero
    ("i32.rem_s", (-7) & 0xFFFFFFFF, 2, (-1) & 0xFFFFFFFF),  # sign of the dividend
    ("i32.div_u", 0xFFFFFFF9, 2, 0x7FFFFFFC),
    ("i32.shl", 1, 33, 2),  # shift counts are taken modulo 32
    ("i32.shr_s", 0x80000000, 31, 0xFFFFFFFF),
    ("i32.rotl", 0x80000001, 1, 3),
    ("i32.lt_s", 0xFFFFFFFF, 0, 1),
    ("i32.lt_u", 0xFFFFFFFF, 0, 0),
])
def test_i32_binary_instructions_follow_the_spec(compiler: Compiler, op: str, a: int, b: int, expected: int) -> None:
    assert run_model(compiler, binary_op(op), "f", a, b) == [expected]


@pytest.mark.parametrize("op, a, b, kind", [
    ("i32.div_s", 1, 0, TrapKind.INTEGER_DIVIDE_BY_ZERO),
    ("i32.rem_u", 1, 0, TrapKind.INTEGER_DIVIDE_BY_ZERO),
    ("i32.div_s", 0x80000000, 0xFFFFFFFF, TrapKind.INTEGER_OVERFLOW),
])
def test_division_traps(compiler: Compiler, op: str, a: int, b: int, kind: TrapKind) -> None:
    with pytest.raises(Trap) as caught:
        run_model(compiler, binary_op(op), "f", a, b)
    assert caught.value.kind is kind


def test_rem_s_of_minimum_by_minus_one_is_zero_not_a_trap(compiler: Compiler) -> None:
    assert run_model(compiler, binary_op("i32.rem_s"), "f", 0x80000000, 0xFFFFFFFF) == [0]


def test_loops_branches_and_locals_compute_a_sum(compiler: Compiler) -> None:
    wat = """(module (func (export "triangle") (param $n i32) (result i32) (local $acc i32)
      (block $done (loop $next
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $acc (i32.add (local.get $acc) (local.get $n)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $next)))
      (local.get $acc)))"""
    assert run_model(compiler, wat, "triangle", 100) == [5050]


def test_if_else_and_br_table_select_the_right_arm(compiler: Compiler) -> None:
    wat = """(module (func (export "pick") (param i32) (result i32)
      (block $c (block $b (block $a (br_table $a $b $c (local.get 0)))
        (return (i32.const 10)))
        (return (if (result i32) (i32.const 0) (then (i32.const 1)) (else (i32.const 20)))))
      (i32.const 30)))"""
    assert [run_model(compiler, wat, "pick", n)[0] for n in (0, 1, 2, 7)] == [10, 20, 30, 30]


def test_calls_pass_arguments_and_results(compiler: Compiler) -> None:
    wat = """(module
      (func $square (param i32) (result i32) (i32.mul (local.get 0) (local.get 0)))
      (func (export "f") (param i32 i32) (result i32)
        (i32.add (call $square (local.get 0)) (call $square (local.get 1)))))"""
    assert run_model(compiler, wat, "f", 3, 4) == [25]


def test_unbounded_recursion_exhausts_the_call_stack_as_a_trap(compiler: Compiler) -> None:
    wat = '(module (func $f (export "f") (call $f)))'
    with pytest.raises(Trap) as caught:
        run_model(compiler, wat, "f")
    assert caught.value.kind is TrapKind.CALL_STACK_EXHAUSTED


def test_loads_and_stores_are_little_endian_with_offsets_and_sign_extension(compiler: Compiler) -> None:
    wat = """(module (import "js" "mem" (memory 1))
      (func (export "f") (result i32 i32 i64)
        (i32.store offset=4 (i32.const 0) (i32.const 0x80FF0102))
        (i32.load8_u offset=4 (i32.const 0))
        (i32.load16_s (i32.const 6))
        (i64.load32_s (i32.const 4))))"""
    memory = Memory(Limits(1))
    results = run_model(compiler, wat, "f", memory=memory)
    assert memory.load(4, 4) == bytes([0x02, 0x01, 0xFF, 0x80])
    assert results == [0x02, 0xFFFF80FF, (0x80FF0102 - 2**32) & (2**64 - 1)]


def test_an_effective_address_past_the_end_traps_even_via_the_offset(compiler: Compiler) -> None:
    wat = """(module (import "js" "mem" (memory 1))
      (func (export "f") (param i32) (result i32) (i32.load offset=65532 (local.get 0))))"""
    memory = Memory(Limits(1))
    assert run_model(compiler, wat, "f", 0, memory=memory) == [0]
    with pytest.raises(Trap) as caught:
        run_model(compiler, wat, "f", 1, memory=memory)
    assert caught.value.kind is TrapKind.OUT_OF_BOUNDS_MEMORY


def test_memory_grow_and_size_from_code(compiler: Compiler) -> None:
    wat = """(module (memory 1 3)
      (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
      (func (export "size") (result i32) (memory.size)))"""
    instance = instantiate(decode_module(compiler.compile_text(wat.encode(), filename="g.wat").wasm_bytes))
    assert call_export(instance, "grow", [2]) == [1]
    assert call_export(instance, "grow", [1]) == [0xFFFFFFFF]  # -1: past the maximum
    assert call_export(instance, "size", []) == [3]


def test_bulk_memory_fill_copy_and_init(compiler: Compiler) -> None:
    wat = """(module (memory 1) (data $d "hello")
      (func (export "f")
        (memory.fill (i32.const 0) (i32.const 0x2a) (i32.const 4))
        (memory.init $d (i32.const 8) (i32.const 1) (i32.const 4))
        (memory.copy (i32.const 9) (i32.const 8) (i32.const 4))
        (data.drop $d))
      (func (export "again") (memory.init $d (i32.const 0) (i32.const 0) (i32.const 1))))"""
    module = decode_module(compiler.compile_text(wat.encode(), filename="b.wat").wasm_bytes)
    instance = instantiate(module)
    call_export(instance, "f", [])
    assert instance.memory().load(0, 13) == b"****\0\0\0\0eello"
    with pytest.raises(Trap):
        call_export(instance, "again", [])  # the segment was dropped


def test_an_active_data_segment_out_of_bounds_fails_instantiation(compiler: Compiler) -> None:
    wat = '(module (memory 1) (data (i32.const 0) "ok") (data (i32.const 65535) "no"))'
    module = decode_module(compiler.compile_text(wat.encode(), filename="d.wat").wasm_bytes)
    with pytest.raises(Trap) as caught:
        instantiate(module)
    assert caught.value.kind is TrapKind.OUT_OF_BOUNDS_MEMORY


def test_an_imported_memory_smaller_than_declared_is_a_link_error(compiler: Compiler) -> None:
    wat = '(module (import "js" "mem" (memory 2)))'
    module = decode_module(compiler.compile_text(wat.encode(), filename="i.wat").wasm_bytes)
    with pytest.raises(JsException) as caught:
        instantiate(module, {("js", "mem"): Memory(Limits(1))})
    assert caught.value.name == "LinkError"
    with pytest.raises(JsException, match="not provided"):
        instantiate(module, {})


#: One SIMD function and one scalar function; the SIMD one adds 200 and 100 in every i8 lane (300 wraps to 44).
SIMD_AND_SCALAR = """(module
  (func (export "scalar") (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
  (func (export "simd") (result i32)
    (i8x16.extract_lane_u 15 (i8x16.add (i8x16.splat (i32.const 200)) (i8x16.splat (i32.const 100))))))"""
#: The same with a relaxed SIMD instruction, which the model does not execute.
RELAXED_AND_SCALAR = """(module
  (func (export "scalar") (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
  (func (export "relaxed") (result i32) (local $v v128)
    (i32x4.extract_lane 0 (f32x4.relaxed_min (local.get $v) (local.get $v)))))"""


def test_the_scalar_export_of_a_module_with_simd_runs_on_the_model(compiler: Compiler) -> None:
    assert run_model(compiler, SIMD_AND_SCALAR, "scalar", 41) == [42]
    assert run_model(compiler, RELAXED_AND_SCALAR, "scalar", 41, features=("relaxed_simd",)) == [42]


def test_the_simd_export_runs_on_the_model(compiler: Compiler) -> None:
    assert run_model(compiler, SIMD_AND_SCALAR, "simd") == [(200 + 100) % 256]


def test_calling_a_relaxed_simd_export_is_a_gap_naming_the_instruction(compiler: Compiler) -> None:
    with pytest.raises(UnsupportedInstruction) as caught:
        run_model(compiler, RELAXED_AND_SCALAR, "relaxed", features=("relaxed_simd",))
    assert (caught.value.instruction, caught.value.feature) == ("f32x4.relaxed_min", "relaxed SIMD")
    assert str(caught.value) == "reference model lacks relaxed SIMD instruction f32x4.relaxed_min"


def test_a_relaxed_simd_function_called_from_a_scalar_one_makes_that_call_the_gap(compiler: Compiler) -> None:
    wat = RELAXED_AND_SCALAR.replace('(func (export "scalar")', '(func (export "caller") (result i32) (call 2))\n'
                                     '  (func (export "scalar")')
    with pytest.raises(UnsupportedInstruction, match="f32x4.relaxed_min"):
        run_model(compiler, wat, "caller", features=("relaxed_simd",))


def test_a_v128_global_holds_its_constant(compiler: Compiler) -> None:
    wat = """(module (global (export "g") v128 (v128.const i32x4 1 2 3 4))
      (func (export "lane") (result i32) (i32x4.extract_lane 2 (global.get 0))))"""
    module = decode_module(compiler.compile_text(wat.encode(), filename="g.wat").wasm_bytes)
    validate(module)
    instance = instantiate(module)
    lanes_1_2_3_4 = 1 | 2 << 32 | 3 << 64 | 4 << 96  # lane 0 in the low bits
    assert instance.exports["g"].value == lanes_1_2_3_4
    assert call_export(instance, "lane", []) == [3]


I32_BINARY = ["i32.add", "i32.sub", "i32.mul", "i32.div_s", "i32.div_u", "i32.rem_s", "i32.rem_u", "i32.and",
              "i32.or", "i32.xor", "i32.shl", "i32.shr_s", "i32.shr_u", "i32.rotl", "i32.rotr", "i32.eq",
              "i32.ne", "i32.lt_s", "i32.lt_u", "i32.gt_s", "i32.gt_u", "i32.le_s", "i32.le_u", "i32.ge_s",
              "i32.ge_u"]
I32_VALUES = st.one_of(st.integers(0, 2**32 - 1), st.sampled_from([0, 1, 2**31 - 1, 2**31, 2**32 - 1]))


@pytest.fixture(scope="module")
def all_i32_ops(compiler: Compiler) -> bytes:
    functions = "".join(f'(func (export "{op}") (param i32 i32) (result i32) ({op} (local.get 0) (local.get 1)))'
                        for op in I32_BINARY)
    return compiler.compile_text(f"(module {functions})".encode(), filename="ops.wat").wasm_bytes


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(calls=st.lists(st.tuples(st.sampled_from(I32_BINARY), I32_VALUES, I32_VALUES), min_size=50, max_size=200))
def test_i32_instructions_agree_with_v8(calls: list[tuple[str, int, int]], all_i32_ops: bytes,
                                        node_runtime: Runtime, tmp_path_factory: pytest.TempPathFactory) -> None:
    request_file = tmp_path_factory.mktemp("calls") / "request.json"
    request_file.write_text(json.dumps({"wasm_b64": base64.b64encode(all_i32_ops).decode(),
                                        "calls": [[op, [signed(a, 32), signed(b, 32)]] for op, a, b in calls]}))
    node_outcomes = json.loads(run_tool(node_runtime.command(CALL_EXPORTS, str(request_file)), timeout=60).stdout)
    instance = instantiate(decode_module(all_i32_ops))
    for (op, a, b), node in zip(calls, node_outcomes):
        try:
            model = {"value": signed(call_export(instance, op, [a, b])[0], 32)}
        except Trap:
            model = {"error": "RuntimeError"}
        assert {k: node[k] for k in model} == model, f"{op}({a}, {b})"


def test_exhaustion_is_a_trap_even_from_deep_in_the_hosts_own_stack(compiler: Compiler) -> None:
    wat = '(module (func $f (export "f") (call $f)))'
    instance = instantiate(decode_module(compiler.compile_text(wat.encode(), filename="deep.wat").wasm_bytes))

    def nested(levels: int) -> None:
        if levels:
            return nested(levels - 1)
        with pytest.raises(Trap) as caught:
            call_export(instance, "f", [])
        assert caught.value.kind is TrapKind.CALL_STACK_EXHAUSTED

    nested(900)  # close to Python's default limit of 1000 frames before the module even starts


DEPTH_WAT = """(module (func $depth (export "depth") (param i32) (result i32)
  (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 0))
    (else (i32.add (i32.const 1) (call $depth (i32.sub (local.get 0) (i32.const 1))))))))"""


def test_a_recursion_deeper_than_v8s_returns_and_leaves_pythons_limit_as_it_was(compiler: Compiler) -> None:
    instance = instantiate(decode_module(compiler.compile_text(DEPTH_WAT.encode(), filename="depth.wat").wasm_bytes))
    limit = sys.getrecursionlimit()
    assert call_export(instance, "depth", [40_000]) == [40_000]  # V8 runs out between 10,000 and 20,000
    assert sys.getrecursionlimit() == limit


def test_the_model_runs_out_past_fifty_thousand_calls(compiler: Compiler) -> None:
    instance = instantiate(decode_module(compiler.compile_text(DEPTH_WAT.encode(), filename="depth.wat").wasm_bytes))
    assert call_export(instance, "depth", [49_999]) == [49_999]
    with pytest.raises(Trap) as caught:
        call_export(instance, "depth", [50_001])
    assert caught.value.kind is TrapKind.CALL_STACK_EXHAUSTED
