"""Float instructions: the spec's cases by hand, and bit-exact agreement with V8 through memory."""

from __future__ import annotations

import json
import struct

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.case import Status
from harness.compiler.wabt import Compiler
from harness.model.floats import F32, F64, int_to_float_bits
from harness.model.numeric import BINARY, UNARY
from harness.model.opcodes import BY_NAME
from harness.model.traps import Trap, TrapKind
from harness.runtimes.discovery import Runtime
from tests.oracle import judge_scenario


def f32(value: float) -> int:
    return int.from_bytes(struct.pack("<f", value), "little")


def f64(value: float) -> int:
    return int.from_bytes(struct.pack("<d", value), "little")


def op(name: str):
    return BINARY.get(BY_NAME[name]) or UNARY[BY_NAME[name]]


def test_f32_arithmetic_rounds_once_to_float32() -> None:
    assert op("f32.add")(f32(16777216.0), f32(1.0)) == f32(16777216.0)
    assert op("f32.mul")(f32(3.4e38), f32(10.0)) == F32.exponent_mask  # +infinity


def test_invalid_operations_give_the_default_nan_and_nan_operands_propagate_quieted() -> None:
    assert op("f64.div")(f64(0.0), f64(0.0)) == F64.default_nan
    assert op("f32.sub")(F32.exponent_mask, F32.exponent_mask) == F32.default_nan  # inf - inf
    signalling = 0x7F800001
    assert op("f32.add")(f32(1.0), signalling) == signalling | F32.quiet


def test_sign_operations_keep_nan_payloads() -> None:
    signalling = 0x7F800001
    assert op("f32.neg")(signalling) == 0xFF800001
    assert op("f32.abs")(0xFF800001) == signalling
    assert op("f64.copysign")(f64(1.5), f64(-0.0)) == f64(-1.5)


def test_min_and_max_of_a_nan_give_the_default_nan() -> None:
    assert op("f64.min")(f64(0.0), 0x7FF4000000000001) == F64.default_nan
    assert op("f32.max")(0x7FC00000, f32(1.0)) == F32.default_nan


def test_min_and_max_order_signed_zeros() -> None:
    assert op("f64.min")(f64(0.0), f64(-0.0)) == f64(-0.0)
    assert op("f64.max")(f64(-0.0), f64(0.0)) == f64(0.0)


@pytest.mark.parametrize("name, value, kind", [
    ("i32.trunc_f32_s", f32(float("nan")), TrapKind.INVALID_CONVERSION),
    ("i32.trunc_f64_s", f64(2147483648.0), TrapKind.INTEGER_OVERFLOW),
    ("i64.trunc_f64_u", f64(-1.0), TrapKind.INTEGER_OVERFLOW),
    ("i32.trunc_f32_u", F32.exponent_mask, TrapKind.INTEGER_OVERFLOW),
])
def test_truncations_out_of_range_trap(name: str, value: int, kind: TrapKind) -> None:
    with pytest.raises(Trap) as caught:
        op(name)(value)
    assert caught.value.kind is kind


def test_integer_conversions_round_once() -> None:
    # 2^53 + 2^29 + 1: a double would round it to the halfway point, and then to even (down).
    assert int_to_float_bits(2**53 + 2**29 + 1, F32) == f32(2.0**53 + 2.0**30)
    assert op("f32.convert_i32_u")(0xFFFFFFFF) == f32(4294967296.0)


BINARY_OPS = [f"{t}.{o}" for t in ("f32", "f64") for o in ("add", "sub", "mul", "div", "min", "max", "copysign")]
UNARY_OPS = [f"{t}.{o}" for t in ("f32", "f64") for o in ("abs", "neg", "sqrt", "ceil", "floor", "trunc", "nearest")]
CONVERSIONS = {"f32.demote_f64": ("f64", "f32"), "f64.promote_f32": ("f32", "f64")}


def float_module() -> str:
    functions = []
    for name in BINARY_OPS:
        t = name[:3]
        functions.append(f'(func (export "{name}") ({t}.store (i32.const 16) ({name} ({t}.load (i32.const 0)) ({t}.load (i32.const 8)))))')
    for name in UNARY_OPS:
        t = name[:3]
        functions.append(f'(func (export "{name}") ({t}.store (i32.const 16) ({name} ({t}.load (i32.const 0)))))')
    for name, (source, target) in CONVERSIONS.items():
        functions.append(f'(func (export "{name}") ({target}.store (i32.const 16) ({name} ({source}.load (i32.const 0)))))')
    return '(module (memory (export "memory") 1) ' + " ".join(functions) + ")"


SPECIAL_32 = [0, 0x80000000, 0x7F800000, 0xFF800000, 0x7FC00000, 0xFFC00000, 0x7F800001, 0x7FA00000, 0x3F800000,
              0xBF000000, 0x3FC00000, 0x00000001, 0x7F7FFFFF, 0x4B000001]
SPECIAL_64 = [0, 1 << 63, 0x7FF0000000000000, 0xFFF0000000000000, 0x7FF8000000000000, 0xFFF8000000000000,
              0x7FF0000000000001, 0x7FF4000000000000, 0x3FF0000000000000, 0xBFE0000000000000, 0x3FF8000000000000,
              1, 0x4330000000000001, 0x7FEFFFFFFFFFFFFF]
bits32 = st.one_of(st.sampled_from(SPECIAL_32), st.integers(0, 2**32 - 1))
bits64 = st.one_of(st.sampled_from(SPECIAL_64), st.integers(0, 2**64 - 1), bits32.map(lambda b: b << 32 | b))
cases = st.tuples(st.sampled_from(BINARY_OPS + UNARY_OPS + list(CONVERSIONS)), bits64, bits64)


def steps_for(name: str, a: int, b: int) -> list[dict]:
    operand, result = CONVERSIONS.get(name, (name[:3], name[:3]))

    def write(offset: int, bits: int) -> dict:
        if operand == "f32":
            return {"op": "write", "view": "Uint32Array", "offset": offset, "values": [bits & 0xFFFFFFFF]}
        return {"op": "write", "view": "BigUint64Array", "offset": offset, "values": [str(bits)]}
    result_view = "Uint32Array" if result == "f32" else "BigUint64Array"
    return [write(0, a), write(8, b), {"op": "call", "export": name},
            {"op": "read", "view": result_view, "offset": 16, "length": 1}]


@pytest.mark.needs_engine("V8", "where the spec allows several NaNs, the model makes the x86-64 V8 choice")
@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batch=st.lists(cases, min_size=60, max_size=120))
def test_float_results_are_bit_exact_with_v8(batch, compiler: Compiler, node_runtime: Runtime,
                                             tmp_path_factory: pytest.TempPathFactory) -> None:
    steps = [step for name, a, b in batch for step in steps_for(name, a, b)]
    path = tmp_path_factory.mktemp("floats") / "floats.scenario.json"
    path.write_text(json.dumps({"wat": float_module(), "steps": steps}))
    case = judge_scenario(path, compiler, node_runtime)
    described = [(d.step, batch[(d.step - 1) // 4], d.observed, d.reference) for d in case.differences]
    assert case.status is Status.PASS, described[:5]
