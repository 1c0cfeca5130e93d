"""Instantiation: memories a module defines and imports, by their address types and sizes."""

from __future__ import annotations

import pytest

from harness.compiler.wabt import Compiler
from harness.model import decode_module, instantiate
from harness.model.instance import memory_limits_match
from harness.model.memory import Limits, Memory
from harness.model.traps import JsException
from harness.model.versions import SpecVersion


def instance_of(compiler: Compiler, text: str, imports: dict | None = None):
    wasm = compiler.compile_text(text.encode(), filename="i.wat", features=SpecVersion.V3.wabt_features).wasm_bytes
    return instantiate(decode_module(wasm), imports)


def test_a_64_bit_memory_past_16_gib_cannot_be_allocated_as_v8_cannot(compiler: Compiler) -> None:
    # 262,144 pages is 16 GiB, V8's limit for a 64-bit memory; the spec allows declaring up to 2^48 pages
    assert instance_of(compiler, "(module (memory i64 262144))").memories[0].size() == 262144
    with pytest.raises(JsException) as caught:
        instance_of(compiler, "(module (memory i64 262145))")
    assert caught.value.name == "RangeError"


@pytest.mark.parametrize("supplied, declared, matches", [
    (Limits(1, address="i64"), Limits(1, address="i64"), True),
    (Limits(1), Limits(1, address="i64"), False),
    (Limits(1, address="i64"), Limits(1), False),
    (Limits(2, 3, address="i64"), Limits(1, 4, address="i64"), True),
    (Limits(2, 5, address="i64"), Limits(1, 4, address="i64"), False),
])
def test_memory_imports_match_only_memories_of_the_same_address_type(supplied: Limits, declared: Limits,
                                                                    matches: bool) -> None:
    assert memory_limits_match(supplied, declared) is matches


def test_an_imported_32_bit_memory_does_not_satisfy_a_64_bit_import(compiler: Compiler) -> None:
    text = '(module (import "js" "mem" (memory i64 1)))'
    assert instance_of(compiler, text, {("js", "mem"): Memory(Limits(1, address="i64"))}).memories[0].size() == 1
    with pytest.raises(JsException, match="memory import does not match"):
        instance_of(compiler, text, {("js", "mem"): Memory(Limits(1))})
