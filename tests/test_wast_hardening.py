"""Hostile .wast scripts (issue 11): each is one clean error line naming file, line and column, exit 2,
at once; never a hang, a traceback or a bug report."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from harness.case import Case
from harness.compiler.wabt import Compiler
from harness.errors import InputError
from harness.model.floats import F32, F64
from harness.runtimes.discovery import Runtime
from harness.wast.literals import LiteralError, parse_float, parse_integer
from harness.wast.on_model import run_on_model
from harness.wast.on_runtime import WastDriver, run_on_runtime
from harness.wast.script import WastError, read_script
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
    assert "deep.wast:1 ModuleCommand on reference" in finished.stdout and "malformed module: " in finished.stdout
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


# -- 5. actions checked against the exports they call, before anything runs ----------------------------

ID_I32 = ('(module $m (func (export "f") (param i32) (result i32) (local.get 0))'
          ' (global (export "g") i32 (i32.const 0)))\n')


@pytest.mark.parametrize("command, position, message", [
    ('(invoke "f" (ref.null extern))', "2:1", "argument 1 is externref (ref.null), the function takes (param i32)"),
    ('(assert_return (invoke "f" (f64.const 1)) (i32.const 1))', "2:16", "argument 1 is f64, the function takes"),
    ('(invoke "f")', "2:1", "0 arguments given, the function takes (param i32)"),
    ('(invoke $m "f" (i32.const 1) (i32.const 2))', "2:1", "2 arguments given"),
    ('(assert_return (invoke "f" (i32.const 1)) (i32.const 1) (i32.const 1))', "2:16",
     "2 results expected, it returns (result i32)"),
    ('(assert_return (invoke "f" (i32.const 1)) (f32.const nan:canonical))', "2:16", "expected result 1 is f32"),
    ('(assert_return (invoke "f" (i32.const 1)) (either (i32.const 1) (i64.const 1)))', "2:16",
     "expected result 1 is i64"),
    ('(assert_return (get "g") (i64.const 0))', "2:16", "expected result 1 is i64"),
    ('(invoke "h")', "2:1", "it is not exported"),
    ('(get "f")', "2:1", "it is a func export; get needs an exported global"),
    ('(invoke $other "f" (i32.const 1))', "2:1", "there is no module named $other before this line"),
])
def test_an_action_that_does_not_fit_its_export_is_bad_input(tmp_path: Path, command: str, position: str,
                                                              message: str) -> None:
    script = tmp_path / "mismatch.wast"
    script.write_text(ID_I32 + command + "\n")
    finished, seconds = run_linmem("run", str(script))
    assert_one_clean_error(finished, f"{script}:{position}", message)


def test_the_plugin_path_checks_a_script_it_reads_itself(tmp_path: Path, compiler: Compiler) -> None:
    script = tmp_path / "mismatch.wast"
    script.write_text(ID_I32 + '(assert_return (invoke "f" (ref.null func)) (i32.const 0))\n')
    with pytest.raises(WastError, match="argument 1 is funcref") as caught:
        run_on_model(script, compiler)
    assert (caught.value.line, caught.value.column) == (2, 16)


def test_actions_that_fit_and_modules_that_do_not_compile_pass_the_check(tmp_path: Path, compiler: Compiler) -> None:
    script = tmp_path / "fits.wast"
    script.write_text(ID_I32 + '(assert_return (invoke "f" (i32.const 7)) (either (i32.const 7) (i32.const 8)))\n'
                      '(module $broken (func (export "f") (result i32) (i64.const 0)))\n'
                      '(invoke $broken "f" (f64.const 1))\n')  # not checked: running it says why it fails
    assert [c.status for c in run_on_model(script, compiler)] == ["pass", "pass", "fail", "fail"]



def test_an_action_after_a_module_that_failed_says_why_in_a_sentence(tmp_path: Path, compiler: Compiler) -> None:
    script = tmp_path / "after-failure.wast"
    script.write_text('(module (func $s unreachable) (start $s) (func (export "f") (result i32) (i32.const 1)))\n'
                      '(assert_return (invoke "f") (i32.const 1))\n')
    cases = run_on_model(script, compiler)
    assert [(c.status, c.detail) for c in cases] == [
        ("fail", "Trap: unreachable"), ("fail", "no module to run 'f' on: none was instantiated")]


# -- 6 and 7. a hung or killed driver is restarted with the script's modules; --timeout bounds each command --

HANG_SCRIPT = """(module $shared (memory (export "mem") 1)
  (func (export "poke") (i32.store (i32.const 0) (i32.const 42)))
  (func (export "peek") (result i32) (i32.load (i32.const 0))))
(register "shared" $shared)
(module $pure (func (export "one") (result i32) (i32.const 1)))
(module $loop (func (export "spin") (loop (br 0))))
(invoke $shared "poke")
(assert_return (invoke $shared "peek") (i32.const 42))
(invoke $loop "spin")
(assert_return (invoke $pure "one") (i32.const 1))
(assert_return (invoke $shared "peek") (i32.const 42))
(module $user (import "shared" "mem" (memory 1)) (func (export "two") (result i32) (i32.const 2)))
(assert_return (invoke $user "two") (i32.const 2))
(module $fresh (func (export "three") (result i32) (i32.const 3)))
(assert_return (invoke $fresh "three") (i32.const 3))
(assert_return (invoke $loop "spin"))
(assert_return (invoke $fresh "three") (i32.const 3))
(assert_return (invoke $pure "one") (i32.const 1))
"""


def test_after_a_hang_the_rebuilt_modules_run_on_and_lost_state_is_an_error_not_a_failure(
        tmp_path: Path, compiler: Compiler, node_runtime: Runtime) -> None:
    script = tmp_path / "hang.wast"
    script.write_text(HANG_SCRIPT)
    cases = {c.line: c for c in run_on_runtime(script, node_runtime, compiler, timeout=2)}
    assert {line: c.status for line, c in cases.items() if c.status != "pass"} == {
        9: "error", 11: "error", 12: "error", 13: "error", 16: "error"}
    assert "did not answer within 2 s" in cases[9].detail
    lost = "runtime restarted after a timeout at line 9; state of module $shared (line 1) lost"
    assert cases[11].detail == cases[12].detail == lost  # poked before the hang: its memory is gone
    assert cases[13].detail == f"it imports from a module whose state was lost ({lost})"
    assert cases[10].status == cases[15].status == cases[17].status == cases[18].status == "pass"


def test_the_run_timeout_bounds_each_wast_command(tmp_path: Path) -> None:
    script = tmp_path / "hang.wast"
    script.write_text(HANG_SCRIPT)
    finished, seconds = run_linmem("run", "--timeout", "2", str(script))
    assert finished.returncode == 1 and "Traceback" not in finished.stderr, finished.stderr
    assert "did not answer within 2 s" in finished.stdout
    assert "hang.wast:18 assert_return" not in finished.stdout  # ran, and passed, after two restarts


KILL_SCRIPT = """(module $counter (global $n (mut i32) (i32.const 0))
  (func (export "bump") (result i32) (global.set $n (i32.add (global.get $n) (i32.const 1))) (global.get $n)))
(module $pure (func (export "one") (result i32) (i32.const 1)) (func (export "spin") (loop (br 0))))
(register "pure" $pure)
(assert_return (invoke $counter "bump") (i32.const 1))
(assert_return (invoke $pure "one") (i32.const 1))
(register "pure again" $pure)
(assert_return (invoke $counter "bump") (i32.const 2))
(module (import "pure" "one" (func (result i32))) (func (export "two") (result i32) (i32.const 2)))
(assert_return (invoke "two") (i32.const 2))
(invoke $pure "spin")
(assert_return (invoke $pure "one") (i32.const 1))
(assert_return (invoke "two") (i32.const 2))
"""


def test_a_driver_killed_between_and_during_commands_is_rebuilt(tmp_path: Path, compiler: Compiler,
                                                                 node_runtime: Runtime) -> None:
    script = tmp_path / "kill.wast"
    script.write_text(KILL_SCRIPT)
    with WastDriver(node_runtime, compiler, timeout=20) as driver:
        def kill_driver() -> None:
            pid = driver.worker.pid
            assert pid is not None
            os.kill(pid, signal.SIGKILL)
            deadline = time.monotonic() + 10
            while driver.worker.running() and time.monotonic() < deadline:
                time.sleep(0.01)

        def on_case(case: Case) -> None:
            # a run of actions is sent at once (pipelined): the register of line 7 is asked alone, after it
            if case.line == 6:  # between two commands
                kill_driver()
            if case.line == 10:  # during the next one, which spins until then
                threading.Timer(1.0, kill_driver).start()
        cases = {c.line: c for c in driver.run(script, on_case)}
        assert driver.worker.starts == 3
    # $pure and the module of line 9 have no state: rebuilt, they run on; $counter's count is gone
    assert {line: c.status for line, c in cases.items() if c.status != "pass"} == {8: "error", 11: "error"}
    assert cases[8].detail == ("runtime restarted after its process ended before line 7; "
                               "state of module $counter (line 1) lost")
    assert "exited with signal SIGKILL" in cases[11].detail
