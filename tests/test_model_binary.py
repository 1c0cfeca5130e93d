"""The binary decoder: sections, instructions with their block structure, malformed input."""

from __future__ import annotations

import pytest

from harness.compiler.wabt import Compiler
from harness.errors import WasmDecodeError
from harness.model.binary import DataSegment, Export, FuncType, Import, decode_module
from harness.model.memory import Limits
from harness.model.opcodes import BY_NAME
from harness.model.versions import SpecVersion
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
    (b"\0asm\x01\0\0\0\x05\x02\x01\x08\x01", "malformed limits flags"),
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


def _one_function(body: bytes, params: bytes = b"") -> bytes:
    """A module with one function of type ``(params) -> ()`` and this body (locals and code)."""
    types = b"\x01\x60" + bytes([len(params)]) + params + b"\x00"
    code = bytes([len(body)]) + body
    return (b"\0asm\x01\0\0\0" + b"\x01" + bytes([len(types)]) + types + b"\x03\x02\x01\x00"
            + b"\x0a" + bytes([len(code) + 1]) + b"\x01" + code)


def test_a_vector_instruction_decodes_with_its_immediate() -> None:
    constant = bytes(range(16))
    code = decode_module(_one_function(b"\x00\xfd\x0c" + constant + b"\x1a\x0b")).bodies[0].code
    assert code[0] == (BY_NAME["v128.const"], constant)
    assert [BY_NAME_INVERSE[opcode] for opcode, _ in code] == ["v128.const", "drop", "end"]


def test_a_vector_constant_cut_short_is_malformed() -> None:
    with pytest.raises(WasmDecodeError, match="unexpected end"):
        decode_module(_one_function(b"\x00\xfd\x0c" + bytes(15) + b"\x0b"))


def test_lane_and_memory_immediates_are_read_in_order(compiler: Compiler) -> None:
    wat = b"""(module (memory 1) (func (param v128) (result v128)
      (v128.load16_lane offset=6 align=2 7 (i32.const 0) (i8x16.shuffle 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 31
        (local.get 0) (i16x8.replace_lane 5 (local.get 0) (i32.const 1))))))"""
    code = decode_module(compiler.compile_text(wat, filename="lanes.wat").wasm_bytes).bodies[0].code
    immediates = {BY_NAME_INVERSE[opcode]: immediate for opcode, immediate in code}
    assert immediates["v128.load16_lane"] == ((1, 6, 0), 7)  # (log2 align, offset, memory), lane
    assert immediates["i8x16.shuffle"] == (*range(15), 31)
    assert immediates["i16x8.replace_lane"] == 5


def test_a_vector_number_is_a_u32_so_a_longer_encoding_names_the_same_instruction() -> None:
    # 0x6e (i8x16.add) written in three bytes; v128 locals give it operands
    body = b"\x01\x01\x7b" + b"\x20\x00\x20\x00\xfd\xee\x80\x00\x1a\x0b"
    code = decode_module(_one_function(body)).bodies[0].code
    assert BY_NAME_INVERSE[code[2][0]] == "i8x16.add"
    assert decode_module(_one_function(body)).bodies[0].locals == ("v128",)


def test_an_unassigned_vector_number_is_an_illegal_opcode() -> None:
    # 0x9a is unassigned; its neighbour 0x9b is i16x8.avgr_u
    with pytest.raises(WasmDecodeError, match="illegal opcode 0xfd 0x9a"):
        decode_module(_one_function(b"\x00\xfd\x9a\x01\x0b"))
    assert BY_NAME_INVERSE[decode_module(_one_function(b"\x00\xfd\x9b\x01\x0b")).bodies[0].code[0][0]] == "i16x8.avgr_u"


def test_v128_is_a_value_type_of_parameters_locals_and_blocks(compiler: Compiler) -> None:
    wat = b"""(module (global (mut v128) (v128.const i64x2 0 0))
      (func (param v128) (local v128) (drop (block (result v128) (local.get 1)))))"""
    module = decode_module(compiler.compile_text(wat, filename="v128.wat").wasm_bytes)
    assert module.types[0] == FuncType(("v128",), ())
    assert module.bodies[0].locals == ("v128",)
    assert module.globals[0].type.value_type == "v128"
    assert ("v128", None) in [immediate[:2] for opcode, immediate in module.bodies[0].code
                              if opcode == BY_NAME["block"]]


def test_a_function_body_longer_than_its_code_section_is_malformed() -> None:
    # found by the fuzz campaign: the body's size (6) claims more bytes than the code section (size 4) holds
    header = b"\0asm\1\0\0\0"
    types = b"\x01\x04\x01\x60\x00\x00"  # one type: [] -> []
    functions = b"\x03\x02\x01\x00"  # one function of type 0
    code = b"\x0a\x04\x01\x06\x00\x0b"  # one body claiming 6 bytes; the section ends after 2
    with pytest.raises(WasmDecodeError, match="function body size runs past the end of the code section"):
        decode_module(header + types + functions + code + b"\x00\x00\x00\x00\x00\x00")


# -- 2.0 and 3.0 rules (memory64, multi-memory) ----------------------------------------------------

HEADER = b"\0asm\x01\0\0\0"
#: a type [] -> [] and one function of it; a body follows in each test
ONE_FUNCTION = b"\x01\x04\x01\x60\x00\x00" + b"\x03\x02\x01\x00"


def code_section(*instructions: bytes) -> bytes:
    """A code section of one body without locals: the instructions, then ``end``."""
    body = b"\x00" + b"".join(instructions) + b"\x0b"
    return b"\x0a" + bytes([len(body) + 2, 1, len(body)]) + body


@pytest.mark.parametrize("flags, limits", [
    (b"\x04\x01", Limits(1, address="i64")),
    (b"\x05\x01\x03", Limits(1, 3, address="i64")),
    # bounds are u64 in 3.0: 2^32 pages is read (validation bounds it later)
    (b"\x04\x80\x80\x80\x80\x10", Limits(1 << 32, address="i64")),
])
def test_limits_flags_4_and_5_are_64_bit_memories_by_3_0_rules_and_malformed_by_2_0(flags: bytes,
                                                                                     limits: Limits) -> None:
    wasm = HEADER + b"\x05" + bytes([len(flags) + 1, 1]) + flags
    assert decode_module(wasm, version=SpecVersion.V3).memories == [limits]
    with pytest.raises(WasmDecodeError, match=f"malformed limits flags 0x0{flags[0]}"):
        decode_module(wasm, version=SpecVersion.V2)


def test_a_memory_index_is_a_leb_by_3_0_rules_and_a_zero_byte_by_2_0() -> None:
    two_memories = b"\x05\x05\x02\x00\x01\x00\x01"
    wasm = HEADER + ONE_FUNCTION + two_memories + code_section(b"\x3f\x01\x1a")  # (drop (memory.size 1))
    assert decode_module(wasm).bodies[0].code[0] == (BY_NAME["memory.size"], 1)
    with pytest.raises(WasmDecodeError, match="zero byte expected"):
        decode_module(wasm, version=SpecVersion.V2)


def test_memarg_flag_bit_6_names_a_memory_and_the_offset_is_a_u64_by_3_0_rules() -> None:
    # i32.load flags 0x42 (align 2, memory index follows), memory 1, offset 2^32 (a u64)
    load = b"\x41\x00\x28\x42\x01\x80\x80\x80\x80\x10\x1a"
    wasm = HEADER + ONE_FUNCTION + b"\x05\x05\x02\x00\x01\x04\x01" + code_section(load)
    assert decode_module(wasm).bodies[0].code[1] == (BY_NAME["i32.load"], (2, 1 << 32, 1))
    two_32_bit_memories = wasm.replace(b"\x05\x05\x02\x00\x01\x04\x01", b"\x05\x05\x02\x00\x01\x00\x01")
    with pytest.raises(WasmDecodeError, match="malformed memop flags"):  # 2.0: flags 0x42 is an alignment of 2^66
        decode_module(two_32_bit_memories, version=SpecVersion.V2)
