"""The binary decoder: sections, instructions with their block structure, malformed input."""

from __future__ import annotations

import pytest

from harness.compiler.wabt import Compiler
from harness.errors import WasmDecodeError
from harness.model.binary import DataSegment, Export, FuncType, Import, decode_module
from harness.model.memory import Limits
from harness.model.opcodes import BY_NAME
from harness.resources import WAT_DIR


def test_the_demo_binary_has_one_exported_memory_and_one_data_segment(compiler: Compiler) -> None:
    module = decode_module(compiler.compile_file(WAT_DIR / "demo.wat").wasm_bytes)
    assert module.memories == [Limits(1)]
    assert module.exports == [Export("memory", "memory", 0)]
    assert module.data == [DataSegment("active", 0, ((BY_NAME["i32.const"], 0), (BY_NAME["end"], None)),
                                       "xịn xò".encode())]
    assert module.bodies == []


def test_the_sum_binary_imports_js_mem_and_exports_sum(compiler: Compiler) -> None:
    module = decode_module(compiler.compile_file(WAT_DIR / "sum.wat").wasm_bytes)
    assert module.imports == [Import("js", "mem", "memory", Limits(1))]
    assert module.function_type(0) == FuncType((), ())
    names = [BY_NAME_INVERSE[opcode] for opcode, _ in module.bodies[0].code]
    assert names == ["i32.const", "i32.const", "i32.load", "i32.const", "i32.load", "i32.add",
                     "i32.store", "end"]


BY_NAME_INVERSE = {code: name for name, code in BY_NAME.items()}


def test_structured_instructions_know_their_else_and_end(compiler: Compiler) -> None:
    wat = b"""(module (func (param i32) (result i32)
        (if (result i32) (local.get 0) (then (i32.const 1)) (else (block (result i32) (i32.const 2))))))"""
    code = decode_module(compiler.compile_text(wat, filename="if.wat").wasm_bytes).bodies[0].code
    if_index = next(i for i, (opcode, _) in enumerate(code) if opcode == BY_NAME["if"])
    block_type, else_index, end_index = code[if_index][1]
    assert block_type == "i32"
    assert code[else_index][0] == BY_NAME["else"]
    assert code[end_index][0] == BY_NAME["end"] and end_index == len(code) - 2


def test_memory_limits_with_maximum_and_shared_flag(compiler: Compiler) -> None:
    wasm = compiler.compile_text(b"(module (memory 2 5 shared))", filename="m.wat", features=["threads"]).wasm_bytes
    assert decode_module(wasm).memories == [Limits(2, 5, shared=True)]


def test_signed_leb_immediates_decode_to_their_values(compiler: Compiler) -> None:
    wasm = compiler.compile_text(b"(module (func (drop (i32.const -2147483648)) (drop (i64.const -1))))",
                                 filename="c.wat").wasm_bytes
    code = decode_module(wasm).bodies[0].code
    assert code[0] == (BY_NAME["i32.const"], -2147483648)
    assert code[2] == (BY_NAME["i64.const"], -1)


@pytest.mark.parametrize("wasm, message", [
    (b"", "magic header not detected"),
    (b"\0asm\x02\0\0\0", "unknown binary version"),
    (b"\0asm\x01\0\0\0\x05\x03\x01\x00", "section size runs past the end"),
    (b"\0asm\x01\0\0\0\x0e\x00", "malformed section id 14"),
    (b"\0asm\x01\0\0\0\x05\x02\x01\x04\x01", "malformed limits flags"),
    (b"\0asm\x01\0\0\0\x03\x02\x01\x00", "inconsistent lengths"),
])
def test_malformed_binaries_are_decode_errors(wasm: bytes, message: str) -> None:
    with pytest.raises(WasmDecodeError, match=message):
        decode_module(wasm)


def test_sections_out_of_order_are_rejected() -> None:
    memory_then_type = b"\0asm\x01\0\0\0" + b"\x05\x03\x01\x00\x01" + b"\x01\x01\x00"
    with pytest.raises(WasmDecodeError, match="out of order"):
        decode_module(memory_then_type)


def test_an_illegal_opcode_names_its_offset() -> None:
    # type () -> (), one function, body: 0xFF (illegal) end
    wasm = (b"\0asm\x01\0\0\0" + b"\x01\x04\x01\x60\x00\x00" + b"\x03\x02\x01\x00"
            + b"\x0a\x05\x01\x03\x00\xff\x0b")
    with pytest.raises(WasmDecodeError) as caught:
        decode_module(wasm)
    assert caught.value.offset == 23 and "illegal opcode 0xff" in caught.value.message
