"""The fuzzing tools themselves: the oracle tells every ending apart, edits and shrinking do what they say.

A fuzz test that could not fail would be worse than none: these pin that a
wrong exception, a hang (in Python code and in C code), a crash and a runaway
allocation are each reported, and that a failing target fails its test.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
from hypothesis import strategies as st

from harness.errors import HarnessError, InputError
from harness.model.traps import UnsupportedInstruction

from .campaign import FuzzFailure, fuzz, shrink
from .generators import leb_s, leb_u
from .isolation import Ending, run_bounded
from .mutations import Edit, apply_edits
from .targets import (
    DECODER,
    SCENARIOS,
    WAST,
    Target,
    names_file_and_line,
    names_the_file,
)


def spin_forever() -> None:
    while True:
        pass


def spin_where_no_signal_reaches() -> None:
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGPROF})
    spin_forever()


def raise_value_error() -> None:
    raise ValueError("not a linmem error")


def raise_input_error() -> None:
    raise InputError("bad input", path="x.toml", line=3)


def test_a_call_that_returns_is_accepted() -> None:
    assert run_bounded(lambda: 42).ending is Ending.RETURNED


def test_a_harness_error_is_a_clean_rejection() -> None:
    outcome = run_bounded(raise_input_error)
    assert (outcome.ending, outcome.detail) == (Ending.REJECTED, "x.toml:3: bad input")


def test_a_harness_error_that_breaks_the_targets_rule_is_a_bug() -> None:
    outcome = run_bounded(raise_input_error, check=lambda error: "does not name the column")
    assert outcome.ending is Ending.BUG
    assert outcome.origin.startswith("InputError (does not name the column) at ")


def test_any_other_exception_is_a_bug_located_at_its_innermost_frame() -> None:
    outcome = run_bounded(raise_value_error)
    assert outcome.ending is Ending.BUG
    assert outcome.detail == "ValueError: not a linmem error"
    assert outcome.origin == f"ValueError at test_fuzz_tools.py:{raise_value_error.__code__.co_firstlineno + 1}"


def test_an_allowed_exception_is_a_rejection() -> None:
    assert run_bounded(raise_value_error, allowed=(ValueError,)).ending is Ending.REJECTED


def test_a_hang_in_python_code_is_stopped_at_the_bound_and_located() -> None:
    outcome = run_bounded(spin_forever, seconds=0.2)
    assert outcome.ending is Ending.HANG
    assert outcome.origin == "Hang: in test_fuzz_tools.py:spin_forever"
    assert outcome.detail.startswith("took longer than 0.2 s at test_fuzz_tools.py:")


def test_a_hang_no_signal_reaches_is_killed_by_the_cpu_limit() -> None:
    outcome = run_bounded(spin_where_no_signal_reaches, seconds=0.2)
    assert (outcome.ending, outcome.origin) == (Ending.HANG, "Hang: in C code")


def test_a_child_that_dies_is_a_crash_naming_the_signal() -> None:
    outcome = run_bounded(lambda: os.kill(os.getpid(), signal.SIGSEGV))
    assert (outcome.ending, outcome.detail) == (Ending.CRASH, "the child died: signal SIGSEGV")


def test_a_runaway_allocation_is_capped_and_reported() -> None:
    outcome = run_bounded(lambda: bytearray(8 << 30))
    assert (outcome.ending, outcome.origin.split(" at ")[0]) == (Ending.BUG, "MemoryError")


def test_the_loaders_errors_must_name_the_file(tmp_path: Path) -> None:
    path = tmp_path / "a.wast"
    assert names_the_file(HarnessError("bad", path=path), path) is None
    assert names_the_file(HarnessError("bad"), path) == "does not name the file"
    assert names_file_and_line(HarnessError("bad", path=path), path) == "does not name the line"
    assert names_file_and_line(HarnessError("bad", path=path, line=1), path) is None


def test_each_target_reads_a_well_formed_input(tmp_path: Path) -> None:
    scenario = b'wat = "(module)"\n[[steps]]\nop = "size"\n'
    assert SCENARIOS.run((".scenario.toml", scenario), tmp_path).ending is Ending.RETURNED
    assert WAST.run((".wast", b'(module (memory 1))\n(assert_return (invoke "f"))\n'), tmp_path).ending \
        is Ending.RETURNED
    assert DECODER.run((".wasm", b"\x00asm\x01\x00\x00\x00\x05\x03\x01\x00\x01"), tmp_path).ending is Ending.RETURNED


def test_the_decoders_documented_gap_is_not_a_failure() -> None:
    assert DECODER.allowed == (UnsupportedInstruction,)


def test_a_target_that_fails_fails_its_fuzz_test(tmp_path: Path) -> None:
    broken = Target("broken", lambda path: int(path.read_text()), names_the_file)
    with pytest.raises(FuzzFailure, match=r"broken \(\.txt\): bug: ValueError at "):
        fuzz(broken, "generated", st.text("0123456789x", min_size=1).map(lambda text: (".txt", text.encode())),
             tmp_path, examples=20)


def test_edits_apply_at_their_position_modulo_the_length() -> None:
    seed = b"abcdef"
    assert apply_edits(seed, [Edit("flip", 0, 1, b"\x01")]) == b"`bcdef"
    assert apply_edits(seed, [Edit("delete", 8, 2, b"")]) == b"adef"  # 8 % 7 == 1
    assert apply_edits(seed, [Edit("insert", 6, 1, b"XY")]) == b"abcdefXY"
    assert apply_edits(seed, [Edit("duplicate", 2, 2, b"")]) == b"abcdcdef"
    assert apply_edits(seed, [Edit("overwrite", 4, 1, b"XYZ")]) == b"abcdXYZ"
    assert apply_edits(seed, [Edit("truncate", 3, 1, b""), Edit("insert", 0, 1, b"(")]) == b"(abc"


def test_shrinking_keeps_only_the_bytes_the_failure_needs() -> None:
    assert shrink((".wast", b"(module) ; (invoke)"), lambda item: b";" in item[1] and b";;" not in item[1]) \
        == (".wast", b";")


def test_leb128_encodings_match_the_binary_formats_examples() -> None:
    # the examples of the LEB128 article the binary format cites: 624485 and -123456
    assert leb_u(624485) == bytes([0xE5, 0x8E, 0x26])
    assert leb_s(-123456) == bytes([0xC0, 0xBB, 0x78])
    assert (leb_u(0), leb_s(-1), leb_s(64)) == (b"\x00", b"\x7f", b"\xc0\x00")
