"""The wrapper modules and value carriers that take a script's values across the JavaScript boundary."""

from __future__ import annotations

from harness.compiler.wabt import Compiler
from harness.model.binary import FuncType, GlobalType
from harness.wast.boundary import (
    carriers_of,
    global_wrapper_wat,
    join_results,
    js_arguments,
    wrapper_wat,
)
from harness.wast.script import Value


def test_the_wrapper_carries_floats_as_integer_bits(compiler: Compiler) -> None:
    text = wrapper_wat(FuncType(("f32", "i64"), ("f64", "i32")))
    assert '(func (export "w") (param i32 i64) (result i64 i32)' in text
    assert "(f32.reinterpret_i32)" in text and "(i64.reinterpret_f64)" in text
    compiler.compile_text(text.encode(), filename="wrapper.wat")  # it is a valid module


def test_the_wrapper_carries_a_v128_as_two_i64_halves(compiler: Compiler) -> None:
    text = wrapper_wat(FuncType(("i32", "v128"), ("v128", "f32")))
    assert '(func (export "w") (param i32 i64 i64) (result i64 i64 i32)' in text
    # the v128 parameter is rebuilt from carriers 1 (low half) and 2 (high half)
    assert "(i64x2.replace_lane 1 (i64x2.splat (local.get 1)) (local.get 2))" in text
    assert "(i64x2.extract_lane 0 (local.get $r0)) (i64x2.extract_lane 1 (local.get $r0))" in text
    compiler.compile_text(text.encode(), filename="wrapper.wat")


def test_a_v128_global_is_read_as_two_halves(compiler: Compiler) -> None:
    text = global_wrapper_wat(GlobalType("v128", True))
    assert '(import "t" "g" (global $g (mut v128)))' in text and "(result i64 i64)" in text
    compiler.compile_text(text.encode(), filename="wrapper.wat")


def test_a_v128_argument_is_split_low_half_first() -> None:
    # i32x4 1 2 3 4: lanes 0 and 1 make the low half 0x2_0000_0001, lanes 2 and 3 the high half 0x4_0000_0003
    vector = Value("v128", (4 << 96) | (3 << 64) | (2 << 32) | 1, shape="i32x4")
    assert js_arguments(("v128", "f64"), (vector, Value("f64", 0x7FF4_0000_0000_0001))) == [
        {"carrier": "i64", "bits": str(0x2_0000_0001)}, {"carrier": "i64", "bits": str(0x4_0000_0003)},
        {"carrier": "i64", "bits": str(0x7FF4_0000_0000_0001)}]


def test_results_are_joined_from_their_carriers() -> None:
    assert carriers_of(("v128", "i32", "f64")) == ("i64", "i64", "i32", "i64")
    assert join_results(("v128", "i32", "f64"), [0x2_0000_0001, 0x4_0000_0003, 7, 0x7FF8_0000_0000_0000]) == [
        (4 << 96) | (3 << 64) | (2 << 32) | 1, 7, 0x7FF8_0000_0000_0000]
