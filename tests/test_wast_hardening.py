"""Hostile .wast scripts (issue 11): each is one clean error line naming file, line and column, exit 2,
at once; never a hang, a traceback or a bug report."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from harness.errors import InputError
from harness.model.floats import F32, F64
from harness.wast.literals import LiteralError, parse_float, parse_integer
from harness.wast.script import read_script
from harness.wast.sexpr import read_all
from tests.conftest import ROOT

#: seconds a rejection may take (the hangs of issue 11 ran for minutes)
QUICK = 30


def run_linmem(*arguments: str) -> tuple[subprocess.CompletedProcess[str], float]:
    """``linmem ARGS`` as a user runs it, and how long it took."""
    started = time.monotonic()
    finished = subprocess.run([sys.executable, "-m", "harness", *arguments], capture_output=True, text=True,
                              cwd=str(ROOT), timeout=QUICK)
    return finished, time.monotonic() - started


def assert_one_clean_error(finished: subprocess.CompletedProcess[str], where: str, message: str) -> None:
    assert "Traceback" not in finished.stderr, finished.stderr
    lines = finished.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"linmem: error: {where}: "), finished.stderr
    assert message in lines[0]
    assert finished.returncode == 2


F_OF = '(module (func (export "f") (param {0})))\n'


@pytest.mark.parametrize("text, position, message", [
    # 1. a ';' that starts no comment: the reader used to loop, eating memory
    (";", "1:1", "unexpected ';'"),
    (F_OF.format("i32") + '(invoke "f";)\n', "2:12", "unexpected ';'"),
    # 2. huge exponents: rejected from their digits, never computed
    (F_OF.format("f64") + '(invoke "f" (f64.const 1e999999999))\n', "2:24", "constant out of range"),
    (F_OF.format("f64") + '(invoke "f" (f64.const 0x1p99999999999))\n', "2:24", "rounds to infinity in f64"),
    (F_OF.format("f32") + '(invoke "f" (f32.const 1e39))\n', "2:24", "rounds to infinity in f32"),
    (F_OF.format("i64") + '(invoke "f" (i64.const ' + "9" * 100_000 + '))\n', "2:24", "does not fit i64"),
    # 3. string escapes and names
    ('(register "\\u{zz}")\n', "1:12", "malformed \\u{...} escape"),
    ('(register "\\u{110000}")\n', "1:12", "not a Unicode scalar value"),
    ('(register "\\u{d800}")\n', "1:12", "not a Unicode scalar value"),
    (F_OF.format("i32") + '(invoke "\\ff" (i32.const 0))\n', "2:9", "the export name is not valid UTF-8"),
    ('(module)\n(register "a\\ffb")\n', "2:11", "the registered name is not valid UTF-8"),
    # 4. any depth of parentheses
    ("(" * 100_000, "1:100000", "unclosed '('"),
    (F_OF.format("i32") + '(invoke "f" ' + "(" * 100_000 + ")" * 100_000 + ")\n", "2:13", "expected a constant"),
])
def test_a_hostile_script_is_one_error_line_with_its_position(tmp_path: Path, text: str, position: str,
                                                               message: str) -> None:
    script = tmp_path / "hostile.wast"
    script.write_text(text)
    finished, seconds = run_linmem("run", str(script))
    assert_one_clean_error(finished, f"{script}:{position}", message)
    assert seconds < QUICK


def test_a_module_name_may_hold_any_bytes_but_names_must_be_utf8(tmp_path: Path) -> None:
    script = tmp_path / "bytes.wast"
    script.write_bytes(b'(module $m binary "\\00asm" "\\01\\00\\00\\00")\n(register "\\ff" $m)\n')
    with pytest.raises(InputError, match="the registered name is not valid UTF-8") as caught:
        read_script(script)
    assert (caught.value.line, caught.value.column) == (2, 11)
    script.write_bytes(b'(module $m binary "\\00asm" "\\01\\00\\00\\00")\n')
    [module] = read_script(script)
    assert module.source == b"\x00asm\x01\x00\x00\x00"


def test_a_hundred_thousand_levels_of_parentheses_read_without_recursion() -> None:
    depth = 100_000
    [node] = read_all(b"(" * depth + b")" * depth, "deep.wast")
    for _ in range(depth - 1):
        [node] = node.items
    assert node.items == [] and node.end == depth + 1


def test_a_deeply_nested_module_reaches_wabt_and_its_rejection_is_a_case(tmp_path: Path) -> None:
    depth = 100_000
    script = tmp_path / "deep.wast"
    script.write_text("(module " + "(" * depth + ")" * depth + ")\n")
    finished, seconds = run_linmem("run", "--node", "reference", str(script))
    assert "Traceback" not in finished.stderr and finished.returncode == 1, finished.stderr
    assert "deep.wast:1 ModuleCommand on reference" in finished.stdout and "WatError" in finished.stdout
    assert seconds < QUICK


# -- literals at the edges of their ranges; expected values from Python's own correctly rounded parsers ---

#: 1 + 2^-53, the exact midpoint between 1 and the next double
MIDPOINT = "1.00000000000000011102230246251565404236316680908203125"


@pytest.mark.parametrize("text", [
    MIDPOINT,  # a tie: to even, 1.0
    MIDPOINT + "0" * 900 + "1",  # past the 800 digits kept: the sticky digit breaks the tie upwards
    "0." + "0" * 320 + "247032822920623272088284396434110686182529901307162382212792841250337753" + "0" * 1000 + "1",
    "1" * 2000 + "e-1700",
    "4.9406564584124654e-324", "2.4703282292062328e-324", "1.7976931348623157e308", "1.7976931348623158e308",
])
def test_long_decimal_literals_round_once_like_a_correct_parser(text: str) -> None:
    assert F64.to_float(parse_float(text, F64)) == float(text)


@pytest.mark.parametrize("text", ["0x1.fffffffffffff7ffffffp1023", "0x" + "f" * 400 + "p-1600", "0x1p-1075",
                                  "0x1.0000000000000" + "0" * 500 + "1p-1074", "0x0.0000000000001p-1022"])
def test_long_hex_literals_round_once_like_a_correct_parser(text: str) -> None:
    assert F64.to_float(parse_float(text, F64)) == float.fromhex(text)


@pytest.mark.parametrize("text, fmt", [
    ("1e-999999999", F64), ("-0x1p-99999999999", F32), ("0e999999999", F64), ("0x0p99999999999", F32),
])
def test_literals_below_every_subnormal_are_zero_at_once(text: str, fmt) -> None:
    started = time.monotonic()
    assert parse_float(text, fmt) & ~fmt.sign == 0
    assert time.monotonic() - started < 1


@pytest.mark.parametrize("text, fmt", [
    ("0x1.ffffffp127", F32),  # the spec's const.wast: a tie that rounds to infinity is out of range
    ("1e39", F32), ("0x1p1024", F64), ("1e309", F64), ("-1" + "0" * 5000, F64), ("1e" + "9" * 5000, F64),
])
def test_literals_that_round_to_infinity_are_malformed(text: str, fmt) -> None:
    with pytest.raises(LiteralError, match="constant out of range"):
        parse_float(text, fmt)


@pytest.mark.parametrize("text", ["1__0", "_1", "1_", ".5", "0x.8", "0X1", "1e", "+-1", "١", "1/2", " 1",
                                  "nan:0x0", "nan:0x800000", "nan:0x_1", "infinity"])
def test_malformed_float_literals_are_rejected(text: str) -> None:
    with pytest.raises(LiteralError):
        parse_float(text, F32)


@pytest.mark.parametrize("text, bits, value", [
    ("4294967295", 32, 0xFFFFFFFF), ("-2147483648", 32, 0x80000000), ("+2147483647", 32, 0x7FFFFFFF),
    ("0x7fff_ffff_ffff_ffff", 64, 0x7FFFFFFFFFFFFFFF), ("-0x8000000000000000", 64, 1 << 63),
    ("0" * 1000 + "1", 32, 1),
])
def test_integers_in_range_are_read(text: str, bits: int, value: int) -> None:
    assert parse_integer(text, bits) == value


@pytest.mark.parametrize("text, bits", [
    ("4294967296", 32), ("+2147483648", 32), ("+0xffffffff", 32), ("-2147483649", 32),
    ("18446744073709551616", 64), ("9" * 100_000, 64),
])
def test_integers_out_of_range_are_malformed(text: str, bits: int) -> None:
    with pytest.raises(LiteralError, match="constant out of range"):
        parse_integer(text, bits)


@pytest.mark.parametrize("text", ["1__0", "_1", "0x", "--1", "+-1", "١٢", "1.0", " 1", "0b1"])
def test_malformed_integers_are_rejected(text: str) -> None:
    with pytest.raises(LiteralError, match="malformed integer"):
        parse_integer(text, 32)
