"""Reading .wast scripts: our own files exercise every command and value form."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from harness.model.floats import F32, F64
from harness.wast.script import (
    Action,
    Assertion,
    Either,
    ModuleCommand,
    Register,
    Value,
    WastError,
    parse_float,
    parse_integer,
    read_script,
)
from harness.wast.sexpr import SexprError, read_all

WAST = Path(__file__).parent / "wast"
BAD_WAST = Path(__file__).parent / "fixtures" / "wast"  # scripts that must fail or cannot run


def f32(value: float) -> int:
    return int.from_bytes(struct.pack("<f", value), "little")


@pytest.fixture(scope="module")
def commands():
    return read_script(WAST / "commands.wast")


def test_every_command_is_read_with_its_line(commands) -> None:
    kinds = [(c.line, type(c).__name__, getattr(c, "kind", None)) for c in commands]
    assert kinds[:4] == [(4, "ModuleCommand", None), (11, "Register", None), (12, "Action", "invoke"),
                         (13, "Action", "get")]
    assertion_kinds = [c.kind for c in commands if isinstance(c, Assertion)]
    assert assertion_kinds == ["assert_return"] * 6 + ["assert_trap", "assert_exhaustion", "assert_invalid",
                                                       "assert_malformed", "assert_malformed", "assert_unlinkable",
                                                       "assert_uninstantiable", "assert_trap"] + ["assert_return"] * 8


def test_a_text_module_keeps_its_exact_source(commands) -> None:
    module = commands[0]
    assert isinstance(module, ModuleCommand) and module.name == "$M" and module.form == "text"
    assert module.source.startswith(b"(module $M\n  (memory") and module.source.endswith(b"(call $loop)))")


def test_register_and_named_actions(commands) -> None:
    assert commands[1] == Register(11, "M", "$M")
    assert commands[2] == Action(12, "invoke", None, "add", (Value("i32", 1), Value("i32", 2)))
    assert commands[3] == Action(13, "get", "$M", "g")


def test_integer_literals_take_underscores_hex_and_sign(commands) -> None:
    check = commands[4]
    assert check.subject.args == (Value("i32", 0x7FFFFFFF), Value("i32", 1))
    assert check.results == (Value("i32", 0x80000000),)


def test_float_literals_nan_patterns_and_either(commands) -> None:
    hex_float, payload, canonical, either = commands[5], commands[6], commands[7], commands[8]
    assert hex_float.subject.args == (Value("f32", 1),) and hex_float.results == (Value("f32", 1),)
    assert payload.subject.args == (Value("f32", 0x7FA00000),) and payload.results == (Value("f32", 0x7FA00000),)
    assert canonical.subject.args == (Value("f32", 0xFFC00000),) and canonical.results == (Value("f32", nan="canonical"),)
    assert either.results == (Either((Value("f32", 0x7F800000), Value("f32", 0xFF800000))),)


def test_module_assertions_binary_quote_and_definition(commands) -> None:
    by_line = {c.line: c for c in commands}
    assert by_line[23].subject.form == "quote" and by_line[23].subject.source == b"(module (func (i32.ad)))"
    assert by_line[24].subject == ModuleCommand(24, None, "binary", b"\x00asm\x02\x00\x00\x00")
    assert by_line[27].subject.form == "text" and by_line[27].message == "out of bounds memory access"
    definition = by_line[28]
    assert definition.definition and definition.name == "$D" and definition.source == b"(module $D (memory 1))"
    assert by_line[29].source == b"\x00asm\x01\x00\x00\x00"


def test_reference_arguments_and_results(commands) -> None:
    by_line = {c.line: c for c in commands}
    assert by_line[31].subject.args == (Value("externref", 1, reference="extern"),)
    assert by_line[31].results == (Value("externref", 1, reference="extern"),)
    assert by_line[32].results == (Value("externref", reference="extern"),)  # any non-null host reference
    assert by_line[33].results == (Value("externref", reference="null"),)
    assert by_line[35].results == (Value("funcref", reference="func"),)
    assert by_line[36].results == (Value("funcref", reference="null"),)


def test_a_script_of_bare_module_fields_is_one_inline_module(tmp_path: Path) -> None:
    script = tmp_path / "inline.wast"
    script.write_bytes(b"(func) (memory 0)\n(func (export \"f\"))\n")
    [module] = read_script(script)
    assert isinstance(module, ModuleCommand) and module.form == "text" and module.line == 1
    assert module.source == b"(module\n(func) (memory 0)\n(func (export \"f\"))\n\n)"


def test_a_module_field_among_commands_is_an_error(tmp_path: Path) -> None:
    script = tmp_path / "mixed.wast"
    script.write_bytes(b"(module)\n(func)\n")
    with pytest.raises(WastError) as caught:
        read_script(script)
    assert caught.value.one_line().startswith(f"{script}:2:1: module field 'func' outside a module")


def test_an_unknown_command_names_file_and_line() -> None:
    with pytest.raises(WastError) as caught:
        read_script(BAD_WAST / "bad-command.wast")
    assert caught.value.one_line() == f"{BAD_WAST / 'bad-command.wast'}:3:1: unknown command 'assert_something'"


def test_an_out_of_range_literal_names_file_and_line() -> None:
    with pytest.raises(WastError, match="does not fit i32") as caught:
        read_script(BAD_WAST / "bad-literal.wast")
    assert (caught.value.line, caught.value.column) == (2, 24)  # the literal itself


@pytest.mark.parametrize("source, message", [
    (b'(module "\\q")', "unknown escape"), (b"(module (; open", "unterminated block comment"),
    (b"(module", "unclosed"), (b')', "unexpected '\\)'"), (b'(module "a\nb")', "newline in a string"),
])
def test_malformed_scripts_are_errors_with_lines(source: bytes, message: str) -> None:
    with pytest.raises(SexprError, match=message):
        read_all(source, "x.wast")


def test_string_escapes_decode_to_bytes() -> None:
    [node] = read_all(b'("\\t\\n\\\\\\\'\\"\\41\\u{1F600}")', "s.wast")
    assert node.items[0].value == b"\t\n\\'\"A" + "😀".encode()


@pytest.mark.parametrize("text, fmt, bits", [
    ("0.1", F32, f32(0.1)), ("0x1.fffffep127", F32, 0x7F7FFFFF),
    ("0x1.00000100000000000001p0", F32, 0x3F800001),  # just above a tie: a double would round it down
    ("2.4703282292062328e-324", F64, 1), ("2.4703282292062327e-324", F64, 0), ("-0", F64, 1 << 63),
    ("nan:0x1", F64, 0x7FF0000000000001), ("-inf", F32, 0xFF800000),
])
def test_floats_round_once_to_their_format(text: str, fmt, bits: int) -> None:
    assert parse_float(text, fmt) == bits


def test_integers_accept_both_signed_and_unsigned_ranges() -> None:
    assert parse_integer("-0x8000_0000", 32) == 0x80000000
    assert parse_integer("0xffff_ffff", 32) == 0xFFFFFFFF
    with pytest.raises(ValueError):
        parse_integer("-0x8000_0001", 32)


def _script(tmp_path: Path, text: str) -> list:
    path = tmp_path / "v.wast"
    path.write_text(text)
    return read_script(path)


def test_a_v128_constant_is_its_lanes_little_endian_lane_zero_first(tmp_path: Path) -> None:
    [command] = _script(tmp_path, '(invoke "f" (v128.const i16x8 1 -1 0x8000 0 0 0 0 7))')
    [vector] = command.args
    # lane 0 = 0x0001, lane 1 = 0xffff, lane 2 = 0x8000 ... lane 7 = 0x0007, laid out by hand
    assert (vector.type, vector.shape) == ("v128", "i16x8")
    assert vector.bits.to_bytes(16, "little") == bytes.fromhex("0100 ffff 0080 0000 0000 0000 0000 0700")


def test_every_lane_shape_reads_the_same_sixteen_bytes(tmp_path: Path) -> None:
    shapes = ['i8x16 ' + ' '.join(['0x11'] * 16), 'i16x8 ' + ' '.join(['0x1111'] * 8),
              'i32x4 ' + ' '.join(['0x11111111'] * 4), 'i64x2 0x1111111111111111 0x1111111111111111',
              'f32x4 ' + ' '.join(['0x1.222222p-93'] * 4),  # 0x11111111 as an f32: exponent 0x22, fraction 0x111111
              'f64x2 0x1.1111111111111p-750 0x1.1111111111111p-750']  # 0x1111111111111111 as an f64
    commands = _script(tmp_path, "".join(f'(invoke "f" (v128.const {shape}))\n' for shape in shapes))
    assert {command.args[0].bits for command in commands} == {int("11" * 16, 16)}


def test_a_v128_result_may_hold_a_nan_pattern_per_float_lane(tmp_path: Path) -> None:
    [assertion] = _script(tmp_path, '(assert_return (invoke "f") (v128.const f32x4 nan:canonical 1 nan:arithmetic -0))')
    [expected] = assertion.results
    assert expected.lane_nans == ("canonical", None, "arithmetic", None)
    assert expected.bits == (0x3F800000 << 32) | (0x80000000 << 96)  # 1.0 in lane 1, -0.0 in lane 3


@pytest.mark.parametrize("text, message, column", [
    ('(invoke "f" (v128.const i32x4 1 2 3))', "needs 4 lanes, got 3", 13),
    ('(invoke "f" (v128.const i32x3 1 2 3))', "expected a lane shape", 25),
    ('(invoke "f" (v128.const i8x16 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 256))', "does not fit i8", 61),
    ('(invoke "f" (v128.const f32x4 nan:canonical 0 0 0))', "nan:canonical", 31),  # patterns are for results
])
def test_a_malformed_v128_constant_is_an_error_at_its_column(tmp_path: Path, text: str, message: str, column: int) -> None:
    with pytest.raises(WastError, match=message) as caught:
        _script(tmp_path, text)
    assert (caught.value.line, caught.value.column) == (1, column)
