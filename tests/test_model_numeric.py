"""i64 arithmetic, integer unary instructions and every conversion, against V8 bit for bit.

Operands and results travel through memory (BigUint64Array), so traps, NaN
payloads and the full 64 bits are all compared; expected values are V8's own.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.case import Status
from harness.compiler.wabt import Compiler
from harness.runtimes.discovery import Runtime
from tests.oracle import judge_scenario

I64_BINARY = ["add", "sub", "mul", "div_s", "div_u", "rem_s", "rem_u", "and", "or", "xor", "shl", "shr_s", "shr_u",
              "rotl", "rotr", "eq", "ne", "lt_s", "lt_u", "gt_s", "gt_u", "le_s", "le_u", "ge_s", "ge_u"]
# (instruction, operand type, result type)
UNARY = [("i32.clz", "i32", "i32"), ("i32.ctz", "i32", "i32"), ("i32.popcnt", "i32", "i32"), ("i32.eqz", "i32", "i32"),
         ("i64.clz", "i64", "i64"), ("i64.ctz", "i64", "i64"), ("i64.popcnt", "i64", "i64"), ("i64.eqz", "i64", "i32"),
         ("i32.extend8_s", "i32", "i32"), ("i32.extend16_s", "i32", "i32"), ("i64.extend8_s", "i64", "i64"),
         ("i64.extend16_s", "i64", "i64"), ("i64.extend32_s", "i64", "i64"), ("i32.wrap_i64", "i64", "i32"),
         ("i64.extend_i32_s", "i32", "i64"), ("i64.extend_i32_u", "i32", "i64")]
for _int in ("i32", "i64"):
    for _float in ("f32", "f64"):
        for _sign in ("s", "u"):
            UNARY.append((f"{_int}.trunc_{_float}_{_sign}", _float, _int))
            UNARY.append((f"{_int}.trunc_sat_{_float}_{_sign}", _float, _int))
            UNARY.append((f"{_float}.convert_{_int}_{_sign}", _int, _float))
UNARY += [("f32.reinterpret_i32", "i32", "f32"), ("i64.reinterpret_f64", "f64", "i64")]


def module_text() -> str:
    comparisons = {"eq", "ne", "lt_s", "lt_u", "gt_s", "gt_u", "le_s", "le_u", "ge_s", "ge_u"}
    functions = [f'(func (export "i64.{name}") ({"i32" if name in comparisons else "i64"}.store (i32.const 16) '
                 f'(i64.{name} (i64.load (i32.const 0)) (i64.load (i32.const 8)))))' for name in I64_BINARY]
    functions += [f'(func (export "{name}") ({result}.store (i32.const 16) ({name} ({operand}.load (i32.const 0)))))'
                  for name, operand, result in UNARY]
    return '(module (memory (export "memory") 1) ' + " ".join(functions) + ")"


SPECIAL = [0, 1, 2**31 - 1, 2**31, 2**32 - 1, 2**63 - 1, 2**63, 2**64 - 1, 0x7FC00000, 0x7F800000, 0x4F000000,
           0xCF000000, 0x41E0000000000000, 0xC3E0000000000000, 0x43F0000000000000, 0x7FF8000000000000, 0x3FEFFFFFFFFFFFFF]
operands = st.one_of(st.sampled_from(SPECIAL), st.integers(0, 2**64 - 1), st.integers(0, 2**32 - 1),
                     st.integers(-300, 300).map(lambda n: n % 2**64))
names = [f"i64.{name}" for name in I64_BINARY] + [name for name, _, _ in UNARY]


def steps_for(name: str, a: int, b: int) -> list[dict]:
    return [{"op": "write", "view": "BigUint64Array", "offset": 0, "values": [str(a), str(b), "0"]},
            {"op": "call", "export": name},
            {"op": "read", "view": "BigUint64Array", "offset": 16, "length": 1}]


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batch=st.lists(st.tuples(st.sampled_from(names), operands, operands), min_size=80, max_size=160))
def test_integer_instructions_and_conversions_agree_with_v8(batch, compiler: Compiler, node_runtime: Runtime,
                                                           tmp_path_factory: pytest.TempPathFactory) -> None:
    path = tmp_path_factory.mktemp("numeric") / "numeric.scenario.json"
    path.write_text(json.dumps({"wat": module_text(),
                                "steps": [s for name, a, b in batch for s in steps_for(name, a, b)]}))
    case = judge_scenario(path, compiler, node_runtime)
    described = [(batch[(d.step - 1) // 3], d.observed, d.reference) for d in case.differences]
    assert case.status is Status.PASS, described[:5]
