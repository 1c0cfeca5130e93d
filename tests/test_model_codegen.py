"""The translation of function bodies to Python: the cases where deferring or reusing a value
could go wrong, each with its value worked out from the spec's semantics, and random structured
programs checked against real V8."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.compiler.wabt import Compiler
from harness.model import call_export, codegen, decode_module, instantiate, interpreter
from harness.model.numeric import signed
from harness.model.opcodes import BY_NAME
from harness.model.traps import FuelExhausted, Trap, TrapKind, UnsupportedInstruction
from harness.runtimes.discovery import Runtime
from harness.runtimes.process import run_tool

CALL_EXPORTS = Path(__file__).parent / "fixtures" / "js" / "call_exports.js"


def run(compiler: Compiler, wat: str, export: str, *args: int, features: tuple[str, ...] = ()) -> list[int]:
    module = decode_module(compiler.compile_text(wat.encode(), filename="t.wat", features=features).wasm_bytes)
    return call_export(instantiate(module), export, list(args))


def test_a_local_read_still_pending_keeps_the_old_value_when_the_local_changes(compiler: Compiler) -> None:
    wat = """(module (func (export "f") (param i32) (result i32)
      (local.get 0) (local.set 0 (i32.const 9)) (i32.sub (local.get 0))))"""
    assert run(compiler, wat, "f", 20) == [(20 - 9) & 0xFFFFFFFF]  # 20 was read before the set


def test_local_tee_leaves_the_new_value_and_the_local_both(compiler: Compiler) -> None:
    wat = """(module (func (export "f") (param i32) (result i32)
      (i32.mul (local.tee 0 (i32.add (local.get 0) (i32.const 1))) (local.get 0))))"""
    assert run(compiler, wat, "f", 4) == [25]


def test_a_pending_result_is_kept_when_a_call_result_lands_in_a_slot_it_reads(compiler: Compiler) -> None:
    # (a - b) waits in slot 0 reading slots 0 and 1; c's result then goes to slot 1
    wat = """(module
      (func $a (result i32) (i32.const 10)) (func $b (result i32) (i32.const 3))
      (func $c (result i32) (i32.const 100))
      (func (export "f") (result i32) (i32.add (i32.sub (call $a) (call $b)) (call $c))))"""
    assert run(compiler, wat, "f") == [107]


def test_br_if_carries_its_value_out_and_leaves_it_when_not_taken(compiler: Compiler) -> None:
    wat = """(module (func (export "f") (param i32) (result i32)
      (block (result i32) (drop (br_if 0 (i32.const 7) (local.get 0))) (i32.const 8))))"""
    assert [run(compiler, wat, "f", n)[0] for n in (1, 0)] == [7, 8]


def test_br_table_moves_values_to_each_target_depth(compiler: Compiler) -> None:
    wat = """(module (func (export "f") (param i32) (result i32)
      (i32.add (i32.const 1000)
        (block $outer (result i32)
          (i32.add (i32.const 100)
            (block $inner (result i32)
              (br_table $inner $outer $inner (i32.const 5) (local.get 0))))))))"""
    # 0 and 2 (and anything past the table's end goes to the default, $inner) leave 5 to $inner: 1105; 1 to $outer: 1005
    assert [run(compiler, wat, "f", n)[0] for n in (0, 1, 2, 9)] == [1105, 1005, 1105, 1105]


def test_loop_and_if_parameters_flow_in_and_out(compiler: Compiler) -> None:
    wat = """(module (type $step (func (param i32 i32) (result i32 i32)))
      (func (export "sum") (param $n i32) (result i32)
        i32.const 0 local.get $n
        loop $again (type $step)   ;; [sum k] -> [sum+k k-1], again while k-1 is not 0
          local.set $n local.get $n i32.add
          local.get $n i32.const 1 i32.sub local.tee $n
          local.get $n br_if $again
        end
        drop)
      (func (export "pick") (param i32) (result i32)
        (i32.const 6)
        (if (param i32) (result i32) (local.get 0)
          (then (i32.mul (i32.const 7)))
          (else (i32.sub (i32.const 1))))))"""
    assert run(compiler, wat, "sum", 10) == [55]
    assert [run(compiler, wat, "pick", n)[0] for n in (1, 0)] == [42, 5]


def test_code_after_an_unconditional_branch_is_never_run(compiler: Compiler) -> None:
    wat = """(module (func (export "f") (result i32)
      (block (result i32) (br 0 (i32.const 1)) (unreachable))))"""
    assert run(compiler, wat, "f") == [1]


def test_a_long_chain_of_operators_is_not_one_python_expression(compiler: Compiler) -> None:
    body = "local.get 0 " + "i32.const 1 i32.add " * 2000  # Python's parser nests ~200 levels at most
    wat = f'(module (func (export "f") (param i32) (result i32) {body}))'
    assert run(compiler, wat, "f", 5) == [2005]


def test_a_loop_after_many_blocks_dispatches_through_bands(compiler: Compiler) -> None:
    # 40 one-armed ifs (three blocks each) and then a loop: the loop's blocks sit far down the dispatch
    ifs = "".join(f"(if (i32.eq (local.get 0) (i32.const {k})) (then (local.set 1 (i32.const {k * 10}))))"
                  for k in range(40))
    loop = ("(loop $again (local.set 1 (i32.add (local.get 1) (i32.const 1)))"
            " (br_if $again (i32.lt_u (local.get 1) (i32.const 1000))))")
    wat = f'(module (func (export "f") (param i32) (result i32) (local i32) {ifs} {loop} (local.get 1)))'
    module = decode_module(compiler.compile_text(wat.encode(), filename="t.wat").wasm_bytes)
    assert [call_export(instantiate(module), "f", [n])[0] for n in (7, 39, 2000)] == [1000, 1000, 1000]
    source = module.bodies[0].compiled.source
    assert source.count("if pc < ") > 5  # banded
    wat_late = wat.replace("(i32.const 1000)", "(i32.const 0)")  # the loop body runs once: 390 + 1
    assert run(compiler, wat_late, "f", 39) == [391]


def test_a_reference_local_starts_null(compiler: Compiler) -> None:
    wat = '(module (func (export "f") (result i32) (local externref) (ref.is_null (local.get 0))))'
    assert run(compiler, wat, "f") == [1]


def test_a_loop_that_never_ends_runs_out_of_fuel(compiler: Compiler, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(interpreter, "FUEL_LIMIT", 1000)
    with pytest.raises(FuelExhausted):
        run(compiler, '(module (func (export "spin") (loop (br 0))))', "spin")


def test_a_trap_inside_a_loop_stops_it_where_it_happens(compiler: Compiler) -> None:
    wat = """(module (memory 1) (func (export "f") (param $i i32)
      (loop (i32.store8 (local.get $i) (i32.const 1))
        (local.set $i (i32.add (local.get $i) (i32.const 1))) (br 0))))"""
    module = decode_module(compiler.compile_text(wat.encode(), filename="t.wat").wasm_bytes)
    instance = instantiate(module)
    with pytest.raises(Trap) as caught:
        call_export(instance, "f", [65530])
    assert caught.value.kind is TrapKind.OUT_OF_BOUNDS_MEMORY
    assert instance.memory().load(65530, 6) == b"\1" * 6  # every store before the one past the end happened


def test_one_translation_serves_every_instance_with_its_own_memory(compiler: Compiler) -> None:
    wat = '(module (memory 1) (func (export "put") (param i32) (i32.store8 (i32.const 0) (local.get 0))))'
    module = decode_module(compiler.compile_text(wat.encode(), filename="t.wat").wasm_bytes)
    first, second = instantiate(module), instantiate(module)
    call_export(first, "put", [1])
    call_export(second, "put", [2])
    assert (first.memory().load(0, 1), second.memory().load(0, 1)) == (b"\1", b"\2")
    assert module.bodies[0].compiled is not None and "memory0.data[0] = l0 & 255" in module.bodies[0].compiled.source


def test_a_loose_sum_is_wrapped_wherever_it_is_read_exactly(compiler: Compiler) -> None:
    # 0xFFFFFFFF + 2 wraps to 1 (i32.add is modulo 2^32): as a comparison operand, a shift operand, a result
    wat = """(module (func (export "f") (param i32) (result i32 i32 i32) (local i32 i32 i32 i32)
      (local.set 1 (i32.add (local.get 0) (i32.const 2)))
      (local.set 2 (i32.lt_u (local.get 1) (i32.const 2)))
      (local.set 3 (i32.shr_u (local.get 1) (i32.const 0)))
      (local.set 4 (i32.mul (local.get 1) (i32.const 1)))
      (local.get 2) (local.get 3) (local.get 4)))"""
    assert run(compiler, wat, "f", 0xFFFFFFFF) == [1, 1, 1]


def test_a_loose_local_carried_round_a_loop_stays_exact(compiler: Compiler) -> None:
    # doubles 40 times: 2^40 wraps to 0 after 32 doublings, whatever the loop carries between iterations
    wat = """(module (func (export "f") (param i32) (result i32) (local i32 i32)
      (local.set 1 (i32.const 40))
      (loop (local.set 0 (i32.add (local.get 0) (local.get 0)))
            (br_if 0 (local.tee 1 (i32.sub (local.get 1) (i32.const 1)))))
      (local.get 0)))"""
    assert run(compiler, wat, "f", 1) == [0] and run(compiler, wat, "f", 3 << 30) == [0]


def test_a_rotation_by_a_constant_of_a_loose_operand(compiler: Compiler) -> None:
    # (0xF0000000 + 0x20000000) mod 2^32 = 0x10000000; rotl 4 = 1; rotr 4 of 1 = 0x10000000
    wat = """(module (func (export "f") (param i32) (result i32 i32)
      (i32.rotl (i32.add (local.get 0) (i32.const 0x20000000)) (i32.const 4))
      (i32.rotr (i32.const 1) (i32.const 36))))"""
    assert run(compiler, wat, "f", 0xF0000000) == [1, 0x10000000]


def test_an_access_past_the_memory_traps_and_a_store_there_writes_nothing(compiler: Compiler) -> None:
    wat = """(module (memory (export "m") 1)
      (func (export "store") (param i32) (i64.store (local.get 0) (i64.const -1)))
      (func (export "load") (param i32) (result i32) (i32.load8_u offset=4294967295 (local.get 0))))"""
    module = decode_module(compiler.compile_text(wat.encode(), filename="t.wat").wasm_bytes)
    instance = instantiate(module)
    for export, address in (("store", 65532), ("load", 0)):
        with pytest.raises(Trap) as caught:
            call_export(instance, export, [address])
        assert caught.value.kind is TrapKind.OUT_OF_BOUNDS_MEMORY
    assert instance.memory().load(65528, 8) == bytes(8)  # the 8-byte store at 65532 wrote none of its 4 inside


def test_an_error_of_a_host_function_is_not_taken_for_an_access_out_of_bounds(compiler: Compiler) -> None:
    from harness.model.binary import FuncType
    from harness.model.store import HostFunction

    def broken(args: list[int]) -> list[int]:
        raise IndexError("a bug in the host")
    wat = """(module (import "h" "f" (func $f)) (memory 1)
      (func (export "g") (result i32) (call $f) (i32.load (i32.const 0))))"""
    module = decode_module(compiler.compile_text(wat.encode(), filename="t.wat").wasm_bytes)
    instance = instantiate(module, {("h", "f"): HostFunction(FuncType((), ()), broken)})
    with pytest.raises(IndexError, match="a bug in the host"):
        call_export(instance, "g", [])


# -- random structured programs against V8 ----------------------------------------------------

PARAMS = 3  # every generated function takes three i32 and has locals 3..5 for its statements
PURE_BINARY = ["i32.add", "i32.sub", "i32.mul", "i32.and", "i32.or", "i32.xor", "i32.shl", "i32.shr_s",
               "i32.shr_u", "i32.rotl", "i32.eq", "i32.ne", "i32.lt_s", "i32.lt_u", "i32.ge_s", "i32.gt_u"]
TRAPPING_BINARY = ["i32.div_s", "i32.div_u", "i32.rem_s", "i32.rem_u"]
UNARY = ["i32.eqz", "i32.clz", "i32.popcnt", "i32.extend8_s"]
CONSTANTS = st.sampled_from([0, 1, 2, 3, 7, 31, 32, 255, -1, -2, 0x7FFFFFFF, -0x80000000, 0x12345678])


@st.composite
def expression(draw: st.DrawFn, depth: int = 3, labels: int = 0) -> str:
    """A folded i32 expression; ``labels`` counts the enclosing i32 blocks a br_if may target."""
    if depth == 0:
        if draw(st.booleans()):
            return f"(i32.const {draw(CONSTANTS)})"
        return f"(local.get {draw(st.integers(0, PARAMS + 2))})"
    inner = expression(depth - 1, labels)
    kind = draw(st.sampled_from(["binary", "binary", "trapping", "unary", "select", "tee", "block", "if",
                                 "leaf", "call"]))
    if kind == "binary":
        return f"({draw(st.sampled_from(PURE_BINARY))} {draw(inner)} {draw(inner)})"
    if kind == "trapping":
        return f"({draw(st.sampled_from(TRAPPING_BINARY))} {draw(inner)} {draw(inner)})"
    if kind == "unary":
        return f"({draw(st.sampled_from(UNARY))} {draw(inner)})"
    if kind == "select":
        return f"(select {draw(inner)} {draw(inner)} {draw(inner)})"
    if kind == "tee":
        return f"(local.tee {draw(st.integers(PARAMS, PARAMS + 2))} {draw(inner)})"
    if kind == "call":
        return f"(call $mix {draw(inner)} {draw(inner)})"
    if kind == "if":
        return f"(if (result i32) {draw(inner)} (then {draw(inner)}) (else {draw(inner)}))"
    if kind == "block":
        nested = expression(depth - 1, labels + 1)
        target = draw(st.integers(0, labels))  # this block, or one further out
        return (f"(block (result i32) (drop (br_if {target} {draw(nested)} {draw(nested)})) "
                f"{draw(statements(depth - 1, labels + 1))} {draw(nested)})")
    return draw(expression(0, labels))


@st.composite
def statements(draw: st.DrawFn, depth: int, labels: int) -> str:
    """Zero to two statements: local updates, drops, a bounded loop, a one-armed if."""
    parts = []
    for _ in range(draw(st.integers(0, 2))):
        kind = draw(st.sampled_from(["set", "drop", "loop", "if"]))
        if kind == "loop" and depth < 2:  # loops only at the top: each one owns $k while it runs
            kind = "drop"
        # a loop's or a one-armed if's label takes no i32, so branches inside start counting afresh
        value = draw(expression(max(depth - 1, 0), labels if kind in ("set", "drop") else 0))
        if kind == "set":
            parts.append(f"(local.set {draw(st.integers(PARAMS, PARAMS + 2))} {value})")
        elif kind == "drop":
            parts.append(f"(drop {value})")
        elif kind == "if":
            parts.append(f"(if {value} (then (local.set {PARAMS} {draw(expression(max(depth - 1, 0), 0))})))")
        else:  # counts $k down from 1..4 to 0, updating a local each time round
            parts.append(f"(local.set $k (i32.const {draw(st.integers(1, 4))})) "
                         f"(loop (local.set {draw(st.integers(PARAMS, PARAMS + 2))} {value}) "
                         f"(br_if 0 (local.tee $k (i32.sub (local.get $k) (i32.const 1)))))")
    return " ".join(parts)


@st.composite
def function(draw: st.DrawFn, name: str) -> str:
    body = f"{draw(statements(2, 0))} {draw(expression(3))}"
    return (f'(func (export "{name}") (param i32 i32 i32) (result i32) (local i32 i32 i32) (local $k i32)\n'
            f"  {body})")


MIX = "(func $mix (param i32 i32) (result i32) (i32.xor (i32.mul (local.get 0) (i32.const 31)) (local.get 1)))"
ARGUMENTS = st.tuples(CONSTANTS, CONSTANTS, CONSTANTS)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                HealthCheck.too_slow])
@given(functions=st.tuples(*(function(f"f{index}") for index in range(10))),
       arguments=st.lists(ARGUMENTS, min_size=3, max_size=3))
def test_random_structured_programs_agree_with_v8(functions: tuple[str, ...], arguments: list[tuple[int, int, int]],
                                                  compiler: Compiler, node_runtime: Runtime,
                                                  tmp_path_factory: pytest.TempPathFactory) -> None:
    source = "(module " + MIX + "\n" + "\n".join(functions) + ")"
    wasm = compiler.compile_text(source.encode(), filename="random.wat").wasm_bytes
    calls = [[f"f{index}", list(args)] for index in range(len(functions)) for args in arguments]
    request_file = tmp_path_factory.mktemp("programs") / "request.json"
    request_file.write_text(json.dumps({"wasm_b64": base64.b64encode(wasm).decode(), "calls": calls}))
    on_v8 = json.loads(run_tool(node_runtime.command(CALL_EXPORTS, str(request_file)), timeout=60).stdout)
    instance = instantiate(decode_module(wasm))
    for (name, args), expected in zip(calls, on_v8):
        try:
            on_model = {"value": signed(call_export(instance, name, [a & 0xFFFFFFFF for a in args])[0], 32)}
        except Trap:
            on_model = {"error": "RuntimeError"}
        assert {key: expected[key] for key in on_model} == on_model, f"{name}{tuple(args)} in\n{source}"


def test_a_wrongly_translated_operator_is_caught_by_the_v8_comparison(
        compiler: Compiler, node_runtime: Runtime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The property test's twin: a deliberately broken translation of i32.shl disagrees with V8."""
    monkeypatch.setitem(codegen.LOOSE_BINARY, BY_NAME["i32.shl"], ("{a} ^ {b}", 0xFFFFFFFF, True))
    source = '(module (func (export "f") (param i32 i32 i32) (result i32) (i32.shl (local.get 0) (local.get 1))))'
    wasm = compiler.compile_text(source.encode(), filename="shl.wat").wasm_bytes
    request_file = tmp_path / "request.json"
    request_file.write_text(json.dumps({"wasm_b64": base64.b64encode(wasm).decode(), "calls": [["f", [1, 4, 0]]]}))
    [on_v8] = json.loads(run_tool(node_runtime.command(CALL_EXPORTS, str(request_file)), timeout=60).stdout)
    on_model = call_export(instantiate(decode_module(wasm)), "f", [1, 4, 0])
    assert on_v8 == {"value": 16} and on_model == [5]


#: what the model does not execute: relaxed SIMD
RELAXED = ("relaxed_simd",)


def test_an_instruction_the_model_lacks_stops_only_the_paths_that_reach_it(compiler: Compiler) -> None:
    wat = """(module (func (export "f") (param i32) (result i32) (local $v v128)
      (block (result i32)
        (drop (br_if 0 (i32.const 5) (local.get 0)))
        (drop (i8x16.relaxed_swizzle (local.get $v) (local.get $v)))
        (i32.const 6))))"""
    assert run(compiler, wat, "f", 1, features=RELAXED) == [5]
    with pytest.raises(UnsupportedInstruction, match="i8x16.relaxed_swizzle"):
        run(compiler, wat, "f", 0, features=RELAXED)


def test_a_gap_inside_a_loop_is_reached_on_the_iteration_that_gets_there(compiler: Compiler) -> None:
    wat = """(module (global $count (export "count") (mut i32) (i32.const 0))
      (func (export "f") (param i32) (local $v v128)
        (loop $again
          (global.set $count (i32.add (global.get $count) (i32.const 1)))
          (br_if $again (i32.lt_u (global.get $count) (local.get 0)))
          (drop (f64x2.relaxed_max (local.get $v) (local.get $v))))))"""
    instance = instantiate(decode_module(compiler.compile_text(wat.encode(), filename="l.wat",
                                                               features=RELAXED).wasm_bytes))
    with pytest.raises(UnsupportedInstruction, match="f64x2.relaxed_max"):
        call_export(instance, "f", [3])
    assert instance.exports["count"].value == 3  # three iterations ran before the gap


def test_the_operands_of_a_gap_are_evaluated_before_it_is_reached(compiler: Compiler) -> None:
    wat = """(module (global $calls (export "calls") (mut i32) (i32.const 0))
      (func $lane_value (result i32) (global.set $calls (i32.add (global.get $calls) (i32.const 1))) (i32.const 7))
      (func (export "f") (local $v v128)
        (drop (i32x4.relaxed_laneselect (local.get $v) (local.get $v) (i32x4.splat (call $lane_value))))))"""
    instance = instantiate(decode_module(compiler.compile_text(wat.encode(), filename="o.wat",
                                                               features=RELAXED).wasm_bytes))
    with pytest.raises(UnsupportedInstruction, match="i32x4.relaxed_laneselect"):
        call_export(instance, "f", [])
    assert instance.exports["calls"].value == 1


# -- runs of loads read at once (harness.model.load_runs) -------------------------------------

#: four fields at 8..23: 0x11111111, 0x22222222, 0x33333333, 0x44444444 (little-endian bytes)
FIELDS = r'(data (i32.const 8) "\11\11\11\11\22\22\22\22\33\33\33\33\44\44\44\44")'


def test_loads_of_a_structure_field_by_field_read_each_field(compiler: Compiler) -> None:
    wat = f"""(module (memory 1) {FIELDS}
      (func (export "f") (param $p i32) (result i32 i32 i32 i32)
        (i32.load (i32.add (local.get $p) (i32.const 4)))
        (i32.load (local.get $p))
        (i32.xor (i32.load offset=8 (local.get $p)) (i32.const 1))
        (i32.load offset=12 (local.get $p))))"""
    assert "read_run" in _translated_source(compiler, wat, "f")  # the four loads are one run
    assert run(compiler, wat, "f", 8) == [0x22222222, 0x11111111, 0x33333332, 0x44444444]


def test_a_run_of_loads_partly_past_the_memory_traps_though_its_first_load_is_inside(compiler: Compiler) -> None:
    wat = """(module (memory 1)
      (func (export "f") (param $p i32) (result i32)
        (i32.store (i32.const 0) (i32.const 7))
        (i32.add (i32.add (i32.load (local.get $p)) (i32.load offset=4 (local.get $p)))
                 (i32.load offset=8 (local.get $p)))))"""
    module = decode_module(compiler.compile_text(wat.encode(), filename="t.wat").wasm_bytes)
    instance = instantiate(module)
    assert call_export(instance, "f", [65524]) == [0]  # 65524..65535: the last word ends at the memory's end
    with pytest.raises(Trap) as caught:
        call_export(instance, "f", [65528])  # the words at 65528 and 65532 are inside, the one at 65536 is not
    assert caught.value.kind is TrapKind.OUT_OF_BOUNDS_MEMORY
    assert instance.memory().load(0, 4) == (7).to_bytes(4, "little")  # the store before the loads happened


def test_loads_whose_wasm_sum_wraps_past_2_to_the_32_read_from_the_start_of_memory(compiler: Compiler) -> None:
    # (0xFFFFFFFC + 4) mod 2^32 = 0, + 8 -> 4, + 12 -> 8: an explicit i32.add wraps
    wat = f"""(module (memory 1) {FIELDS}
      (func (export "f") (param $p i32) (result i32 i32 i32)
        (i32.load (i32.add (local.get $p) (i32.const 12)))
        (i32.load (i32.add (local.get $p) (i32.const 16)))
        (i32.load (i32.add (local.get $p) (i32.const 20)))))"""
    assert run(compiler, wat, "f", 0xFFFFFFFC) == [0x11111111, 0x22222222, 0x33333333]


def test_a_memarg_offset_does_not_wrap_so_a_run_past_2_to_the_32_traps(compiler: Compiler) -> None:
    wat = """(module (memory 1)
      (func (export "f") (param $p i32) (result i32)
        (i32.add (i32.add (i32.load offset=4 (local.get $p)) (i32.load offset=8 (local.get $p)))
                 (i32.load offset=12 (local.get $p)))))"""
    with pytest.raises(Trap) as caught:
        run(compiler, wat, "f", 0xFFFFFFF8)
    assert caught.value.kind is TrapKind.OUT_OF_BOUNDS_MEMORY


def test_a_store_between_two_loads_is_seen_by_the_second(compiler: Compiler) -> None:
    wat = f"""(module (memory 1) {FIELDS}
      (func (export "f") (param $p i32) (result i32 i32 i32 i32)
        (i32.load (local.get $p)) (i32.load offset=4 (local.get $p))
        (i32.store offset=8 (local.get $p) (i32.const 5))
        (i32.load offset=8 (local.get $p)) (i32.load offset=12 (local.get $p))))"""
    assert run(compiler, wat, "f", 8) == [0x11111111, 0x22222222, 5, 0x44444444]


def _translated_source(compiler: Compiler, wat: str, export: str) -> str:
    module = decode_module(compiler.compile_text(wat.encode(), filename="t.wat").wasm_bytes)
    [index] = [entry.index for entry in module.exports if entry.name == export]
    imported = len(module.function_types()) - len(module.bodies)
    body = module.bodies[index - imported]
    return codegen.translate(module, body, module.function_types()[index], "f").source


#: a page of bytes 0, 7, 14, ... (mod 256), so every word read is different
PAGE_DATA = "".join(f"\\{(index * 7) & 0xFF:02x}" for index in range(256))
#: bases for a run of loads: inside, across the page's end, where an explicit add wraps past 2^32, far out
BASES = st.sampled_from([0, 4, 100, 65472, 65500, 65520, 65532, 65535, 65536, 0xFFFFFFC0, 0xFFFFFFF0, 0xFFFFFFFC])


@st.composite
def load_run(draw: st.DrawFn) -> str:
    """A function summing (xor) 3..6 i32/i64 loads from its parameter: memarg offsets and explicit adds mixed."""
    loads = []
    for _ in range(draw(st.integers(3, 6))):
        offset = draw(st.sampled_from([0, 4, 8, 12, 16, 24, 32, 60, 2, 6]))
        address = "(local.get $p)" if draw(st.booleans()) else f"(i32.add (local.get $p) (i32.const {offset}))"
        memarg = f"offset={offset} " if address == "(local.get $p)" and offset else ""
        loads.append(f"(i32.load {memarg}{address})" if draw(st.integers(0, 3)) else
                     f"(i32.wrap_i64 (i64.load {memarg}{address}))")
    body = loads[0]
    for load in loads[1:]:
        body = f"(i32.xor {body} {load})"
    return f"(func (export \"{{name}}\") (param $p i32) (result i32) {body})"


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(functions=st.lists(load_run(), min_size=8, max_size=8), bases=st.lists(BASES, min_size=4, max_size=4))
def test_runs_of_loads_agree_with_v8(functions: list[str], bases: list[int], compiler: Compiler,
                                     node_runtime: Runtime, tmp_path_factory: pytest.TempPathFactory) -> None:
    wasm = _load_runs_module(compiler, functions)
    calls = [[f"f{index}", [signed(base, 32)]] for index in range(len(functions)) for base in bases]
    on_v8 = _on_v8(node_runtime, tmp_path_factory.mktemp("loads"), wasm, calls)
    instance = instantiate(decode_module(wasm))
    for (name, args), expected in zip(calls, on_v8):
        try:
            on_model = {"value": signed(call_export(instance, name, [args[0] & 0xFFFFFFFF])[0], 32)}
        except Trap as trap:
            assert trap.kind is TrapKind.OUT_OF_BOUNDS_MEMORY
            on_model = {"error": "RuntimeError"}
        assert {key: expected[key] for key in on_model} == on_model, f"{name}{tuple(args)}"


def test_a_wrongly_fused_run_of_loads_is_caught_by_the_v8_comparison(
        compiler: Compiler, node_runtime: Runtime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The property test's twin: a run read one word too far on disagrees with V8."""
    from harness.model import load_runs
    wrong = {name: (lambda data, address, reader=reader: reader(data, address + 4)) for name, reader in
             load_runs.READERS.items()}
    monkeypatch.setattr(codegen, "_GLOBALS", {**codegen._GLOBALS, **wrong})
    function = ('(func (export "{name}") (param $p i32) (result i32) (i32.xor (i32.xor (i32.load (local.get $p))'
                ' (i32.load offset=4 (local.get $p))) (i32.load offset=12 (local.get $p))))')
    wasm = _load_runs_module(compiler, [function])
    [on_v8] = _on_v8(node_runtime, tmp_path, wasm, [["f0", [0]]])
    on_model = signed(call_export(instantiate(decode_module(wasm)), "f0", [0])[0], 32)
    # bytes 0, 7, 14, ...: the words at 0, 4 and 12 are 0x150e0700, 0x312a231c and 0x69625b54
    assert on_v8 == {"value": signed(0x150E0700 ^ 0x312A231C ^ 0x69625B54, 32)} and on_model != on_v8["value"]


def _load_runs_module(compiler: Compiler, functions: list[str]) -> bytes:
    source = (f'(module (memory 1) (data (i32.const 0) "{PAGE_DATA * 256}")\n'
              + "\n".join(function.replace("{name}", f"f{index}") for index, function in enumerate(functions)) + ")")
    return compiler.compile_text(source.encode(), filename="loads.wat").wasm_bytes


def _on_v8(node_runtime: Runtime, directory: Path, wasm: bytes, calls: list[list[Any]]) -> list[dict[str, Any]]:
    request_file = directory / "request.json"
    request_file.write_text(json.dumps({"wasm_b64": base64.b64encode(wasm).decode(), "calls": calls}))
    return json.loads(run_tool(node_runtime.command(CALL_EXPORTS, str(request_file)), timeout=60).stdout)
