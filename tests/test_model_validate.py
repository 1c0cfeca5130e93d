"""The validator: valid modules pass, and each rule rejects what it should (modules built by wabt without validation)."""

from __future__ import annotations

import pytest

from harness.compiler.wabt import Compiler
from harness.errors import WasmDecodeError
from harness.model import decode_module
from harness.model.validate import natural_alignment, signature, validate
from harness.model.versions import SpecVersion
from harness.resources import WAT_DIR


def module(compiler: Compiler, text: str, **options: object):
    return decode_module(compiler.compile_text(text.encode(), filename="v.wat", validate=False, **options).wasm_bytes)


def test_the_articles_modules_are_valid(compiler: Compiler) -> None:
    for name in ("demo.wat", "sum.wat"):
        validate(decode_module(compiler.compile_file(WAT_DIR / name).wasm_bytes))


@pytest.mark.parametrize("text, reason", [
    ("(module (func (result i32) (i64.const 0)))", "type mismatch"),
    ("(module (func (drop)))", "operand stack underflow"),
    ("(module (memory 1) (func (drop (i32.load align=8 (i32.const 0)))))", "alignment must not be larger than natural"),
    ("(module (func (drop (i32.load (i32.const 0)))))", "unknown memory"),
    ("(module (memory 2 1))", "size minimum must not be greater than maximum"),
    ("(module (memory 65537))", "at most 65536 pages"),
    ("(module (global i32 (i32.const 0)) (func (global.set 0 (i32.const 1))))", "global is immutable"),
    ("(module (func (br 1)))", "unknown label"),
    ("(module (func (local.get 0) (drop)))", "unknown local"),
    ("(module (memory 1) (data (i64.const 0) \"\"))", "type mismatch in a data segment's offset"),
    ("(module (func $f) (export \"a\" (func $f)) (export \"a\" (func $f)))", "duplicate export name"),
    ("(module (func $s (param i32)) (start $s))", "start function"),
    ("(module (func (result i32) (select (i32.const 0) (i64.const 0) (i32.const 1))))", "select operands differ"),
])
def test_each_rule_rejects_an_invalid_module(compiler: Compiler, text: str, reason: str) -> None:
    with pytest.raises(WasmDecodeError, match=reason):
        validate(module(compiler, text))


def test_several_memories_are_valid_by_3_0_rules_only(compiler: Compiler) -> None:
    two = module(compiler, "(module (memory 1) (memory 1))", features=["multi_memory"])
    with pytest.raises(WasmDecodeError, match="multiple memories"):
        validate(two, version=SpecVersion.V2)
    validate(two, version=SpecVersion.V3)
    validate(two)  # 3.0 is the default


def test_unreachable_code_is_typed_with_unknown_operands(compiler: Compiler) -> None:
    validate(module(compiler, "(module (func (result i32) (unreachable) (i32.add)))"))


def test_instruction_signatures_come_from_their_names() -> None:
    assert signature("i64.extend_i32_s") == (("i32",), ("i64",))
    assert signature("f32.demote_f64") == (("f64",), ("f32",))
    assert signature("i32.trunc_sat_f64_u") == (("f64",), ("i32",))
    assert signature("i64.store32") == (("i32", "i64"), ())
    assert signature("f64.lt") == (("f64", "f64"), ("i32",))
    assert (natural_alignment("i64.load16_s"), natural_alignment("f64.store")) == (1, 3)


ZERO = "(v128.const i64x2 0 0)"


@pytest.mark.parametrize("invalid, valid, reason", [
    (f"(func (result i32) (i32x4.extract_lane 4 {ZERO}))", f"(func (result i32) (i32x4.extract_lane 3 {ZERO}))",
     "invalid lane index"),
    (f"(func (result v128) (i64x2.replace_lane 2 {ZERO} (i64.const 1)))",
     f"(func (result v128) (i64x2.replace_lane 1 {ZERO} (i64.const 1)))", "invalid lane index"),
    (f"(memory 1) (func (result v128) (v128.load8_lane 16 (i32.const 0) {ZERO}))",
     f"(memory 1) (func (result v128) (v128.load8_lane 15 (i32.const 0) {ZERO}))", "invalid lane index"),
    (f"(func (result v128) (i8x16.shuffle 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 32 {ZERO} {ZERO}))",
     f"(func (result v128) (i8x16.shuffle 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 31 {ZERO} {ZERO}))", "invalid lane index"),
    ("(memory 1) (func (result v128) (v128.load align=32 (i32.const 0)))",
     "(memory 1) (func (result v128) (v128.load align=16 (i32.const 0)))", "alignment must not be larger than natural"),
    ("(memory 1) (func (result v128) (v128.load32_zero align=8 (i32.const 0)))",
     "(memory 1) (func (result v128) (v128.load32_zero align=4 (i32.const 0)))",
     "alignment must not be larger than natural"),
    ("(memory 1) (func (result v128) (v128.load16x4_s align=16 (i32.const 0)))",
     "(memory 1) (func (result v128) (v128.load16x4_s align=8 (i32.const 0)))",
     "alignment must not be larger than natural"),
    ("(func (result v128) (v128.load (i32.const 0)))", "(memory 1) (func (result v128) (v128.load (i32.const 0)))",
     "unknown memory"),
    (f"(func (result v128) (i8x16.add {ZERO} (i32.const 0)))", f"(func (result v128) (i8x16.add {ZERO} {ZERO}))",
     "type mismatch"),
    (f"(func (result i32) (i8x16.add {ZERO} {ZERO}))", f"(func (result i32) (i8x16.all_true {ZERO}))",
     "type mismatch"),
    (f"(func (result v128) (i8x16.shl {ZERO} {ZERO}))", f"(func (result v128) (i8x16.shl {ZERO} (i32.const 1)))",
     "type mismatch"),
    ("(memory 1) (func (v128.store (i32.const 0) (i32.const 0)))",
     f"(memory 1) (func (v128.store (i32.const 0) {ZERO}))", "type mismatch"),
    (f"(func (result v128) (select {ZERO} (i32.const 0) (i32.const 1)))",
     f"(func (result v128) (select {ZERO} {ZERO} (i32.const 1)))", "select operands differ"),
    ("(global v128 (i32.const 0))", f"(global v128 {ZERO})", "type mismatch in a global's initialiser"),
    (f"(global v128 (i8x16.abs {ZERO}))", f"(global v128 {ZERO})", "constant expression required"),
])
def test_a_malformed_vector_body_is_invalid_and_its_corrected_twin_is_valid(compiler: Compiler, invalid: str,
                                                                           valid: str, reason: str) -> None:
    with pytest.raises(WasmDecodeError, match=reason):
        validate(module(compiler, f"(module {invalid})", features=["relaxed_simd"]))
    validate(module(compiler, f"(module {valid})", features=["relaxed_simd"]))


# -- 3.0's memory rules (memory64, multi-memory) and 2.0's --------------------------------------------

V3_FEATURES = SpecVersion.V3.wabt_features


@pytest.mark.parametrize("invalid, valid, reason", [
    # a 64-bit memory's addresses are i64, for every kind of access (3.0 spec 2.3, memory instructions)
    ("(memory i64 1) (func (drop (i32.load (i32.const 0))))", "(memory i64 1) (func (drop (i32.load (i64.const 0))))",
     "type mismatch"),
    ("(memory i64 1) (func (i64.store8 (i32.const 0) (i64.const 0)))",
     "(memory i64 1) (func (i64.store8 (i64.const 0) (i64.const 0)))", "type mismatch"),
    (f"(memory i64 1) (func (result v128) (v128.load8_lane 0 (i32.const 0) {ZERO}))",
     f"(memory i64 1) (func (result v128) (v128.load8_lane 0 (i64.const 0) {ZERO}))", "type mismatch"),
    ("(memory i64 1) (func (result i32) (memory.size))", "(memory i64 1) (func (result i64) (memory.size))",
     "type mismatch"),
    ("(memory i64 1) (func (result i64) (memory.grow (i32.const 1)))",
     "(memory i64 1) (func (result i64) (memory.grow (i64.const 1)))", "type mismatch"),
    ("(memory i64 1) (func (memory.fill (i64.const 0) (i64.const 0) (i64.const 0)))",
     "(memory i64 1) (func (memory.fill (i64.const 0) (i32.const 0) (i64.const 0)))", "type mismatch"),
    ("(memory i64 1) (data $d \"\") (func (memory.init $d (i64.const 0) (i32.const 0) (i64.const 0)))",
     "(memory i64 1) (data $d \"\") (func (memory.init $d (i64.const 0) (i32.const 0) (i32.const 0)))",
     "type mismatch"),
    # between a 64-bit and a 32-bit memory, the length has the smaller type
    ("(memory 1) (memory i64 1) (func (memory.copy 1 0 (i64.const 0) (i32.const 0) (i64.const 0)))",
     "(memory 1) (memory i64 1) (func (memory.copy 1 0 (i64.const 0) (i32.const 0) (i32.const 0)))",
     "type mismatch"),
    ("(memory i64 1) (memory i64 1) (func (memory.copy 1 0 (i64.const 0) (i64.const 0) (i32.const 0)))",
     "(memory i64 1) (memory i64 1) (func (memory.copy 1 0 (i64.const 0) (i64.const 0) (i64.const 0)))",
     "type mismatch"),
    ("(memory 1) (func (drop (i32.load offset=0x1_0000_0000 (i32.const 0))))",
     "(memory i64 1) (func (drop (i32.load offset=0x1_0000_0000 (i64.const 0))))", "offset out of range"),
    ("(memory i64 1) (data (i32.const 0) \"\")", "(memory i64 1) (data (i64.const 0) \"\")",
     "type mismatch in a data segment's offset"),
    ("(memory i64 0x1_0000_0000_0001)", "(memory i64 0x1_0000_0000_0000)", "memory size must be at most"),
    ("(memory 1) (func (drop (i32.load 1 (i32.const 0))))",
     "(memory 1) (memory 1) (func (drop (i32.load 1 (i32.const 0))))", "unknown memory"),
    ("(table i64 1 funcref) (func (drop (table.get 0 (i32.const 0))))",
     "(table i64 1 funcref) (func (drop (table.get 0 (i64.const 0))))", "type mismatch"),
])
def test_each_3_0_memory_rule_rejects_a_module_and_accepts_its_corrected_twin(compiler: Compiler, invalid: str,
                                                                              valid: str, reason: str) -> None:
    with pytest.raises(WasmDecodeError, match=reason):
        validate(module(compiler, f"(module {invalid})", features=V3_FEATURES))
    validate(module(compiler, f"(module {valid})", features=V3_FEATURES))


@pytest.mark.parametrize("text, reason_by_2_0", [
    ("(memory 1) (global $g i32 (i32.const 0)) (data (global.get $g) \"\")", "unknown global 0"),
    ("(global $g i32 (i32.const 0)) (global i32 (global.get $g))", "unknown global 0"),
    ("(memory 1) (data (i32.add (i32.const 1) (i32.const 2)) \"\")", "constant expression required"),
    ("(global i64 (i64.mul (i64.const 2) (i64.const 3)))", "constant expression required"),
])
def test_constant_expressions_read_defined_globals_and_compute_by_3_0_rules_only(compiler: Compiler, text: str,
                                                                                 reason_by_2_0: str) -> None:
    decoded = module(compiler, f"(module {text})", features=V3_FEATURES)
    validate(decoded, version=SpecVersion.V3)
    with pytest.raises(WasmDecodeError, match=reason_by_2_0):
        validate(decoded, version=SpecVersion.V2)


@pytest.mark.parametrize("text, reason", [
    ("(global i32 (global.get 1)) (global i32 (i32.const 0))", "unknown global 1"),  # not one before it
    ("(global $g (mut i32) (i32.const 0)) (memory 1) (data (global.get $g) \"\")", "constant expression required"),
    ("(global i32 (i32.ctz (i32.const 1)))", "constant expression required"),
])
def test_3_0_constant_expressions_still_read_only_earlier_immutable_globals(compiler: Compiler, text: str,
                                                                           reason: str) -> None:
    with pytest.raises(WasmDecodeError, match=reason):
        validate(module(compiler, f"(module {text})", features=V3_FEATURES))
