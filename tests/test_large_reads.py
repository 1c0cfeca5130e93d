"""Large reads travel, compare and show as bytes: a failing 4 MiB read is a short report, fast.

Expected values are computed here from the bytes the module puts in memory
(zeros, and "hello" at 1000), with hashlib and struct, not by linmem.
"""

from __future__ import annotations

import hashlib
import json
import struct
import time
from pathlib import Path

from harness.case import Difference, Status
from harness.reports.grid import difference_lines
from harness.scenarios.suite import within_engine_limits
from harness.scenarios.verdict import Verdict
from harness.values.compare import same_value
from harness.values.elements import Elements, first_difference_index
from tests.conftest import write_file

MIB = 1 << 20


def big_read_scenario(pages: int, expect: str) -> str:
    return f"""title = "a read of {pages} pages"
wat = '''(module (memory (export "memory") {pages}) (data (i32.const 1000) "hello"))'''

[[steps]]
op = "read"
view = "Uint8Array"
offset = 0
expect = {expect}
"""


def test_a_failing_4_mib_read_gives_short_reports_quickly(tmp_path: Path, run_linmem) -> None:
    write_file(tmp_path, "big.scenario.toml", big_read_scenario(64, "[0]"))
    started = time.monotonic()
    completed = run_linmem("run", ".", "--json", "r.json", "--markdown", "r.md", cwd=tmp_path)
    took = time.monotonic() - started
    assert completed.returncode == 1, completed.stderr
    assert took < 20, f"{took:.1f} s"  # 44 s before the bytes travelled as bytes
    memory = bytearray(4 * MIB)
    memory[1000:1005] = b"hello"
    digest = hashlib.sha256(memory).hexdigest()
    assert len(completed.stdout) < 3000 and digest in completed.stdout
    assert (tmp_path / "r.json").stat().st_size < 5000 and (tmp_path / "r.md").stat().st_size < 5000
    difference = json.loads((tmp_path / "r.json").read_text())["cases"][0]["differences"][0]
    assert difference["observed"] == {"view": "Uint8Array", "length": 4 * MIB, "sha256": digest}
    assert difference["first_difference"] == {"index": 1, "start": 0, "observed": [0] * 10, "reference": [0] * 10,
                                              "expect": [0]}  # expect is one value long: the rest differs


def test_a_large_read_that_agrees_passes_and_a_window_shows_where_one_differs(tmp_path: Path, run_linmem) -> None:
    write_file(tmp_path, "big.scenario.toml", big_read_scenario(1, "[]").replace("expect = []\n", ""))
    completed = run_linmem("run", ".", "--json", "r.json", cwd=tmp_path)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    observed = json.loads((tmp_path / "r.json").read_text())["cases"][0]["observed"]["steps"][0]
    page = bytearray(65536)
    page[1000:1005] = b"hello"
    assert observed == {"view": "Uint8Array", "length": 65536, "sha256": hashlib.sha256(page).hexdigest()}


def test_elements_compare_by_bytes_and_float_nans_are_equal() -> None:
    zeros = Elements("Uint8Array", bytes(10_000))
    changed = Elements("Uint8Array", bytes(5000) + b"\x01" + bytes(4999))
    assert first_difference_index(zeros, changed) == 5000 and not same_value(zeros, changed)
    assert first_difference_index(zeros, Elements("Uint8Array", bytes(9_999))) == 9_999
    quiet, payload = struct.pack("<d", float("nan")), b"\x01\x00\x00\x00\x00\x00\xf8\x7f"
    assert same_value(Elements("Float64Array", quiet * 5000), Elements("Float64Array", payload * 5000))
    assert not same_value(Elements("Float64Array", struct.pack("<d", -0.0) * 5000),
                          Elements("Float64Array", bytes(8) * 5000))
    assert same_value(Elements("Int16Array", b"\xff\xff" * 5000), [-1] * 5000)


def test_a_difference_in_a_large_read_shows_the_first_index_and_a_window() -> None:
    observed = Elements("Uint8Array", bytes(5000) + b"\x07" + bytes(4999))
    lines = difference_lines(Difference(1, "read", observed, Elements("Uint8Array", bytes(10_000))))
    assert lines[-3:] == ["    first difference at [5,000]; values from [4,992]:",
                          "      observed:  [0, 0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0, 0]",
                          "      reference: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]"]
    assert max(len(line) for line in lines) < 200


def test_an_engine_limit_the_model_does_not_have_is_unsupported_not_a_failure() -> None:
    limit = {"error": "RangeError", "message": "Invalid array length"}
    verdict = within_engine_limits(Verdict(Status.FAIL, [Difference(1, "read", limit, [0, 0])]), "node-24")
    assert verdict.status is Status.UNSUPPORTED and "RangeError: Invalid array length" in verdict.reason
    bounds = {"error": "RangeError", "message": "Invalid typed array length: 70000"}  # past the buffer: semantics
    assert within_engine_limits(Verdict(Status.FAIL, [Difference(1, "read", bounds, [0])]), "n").status is Status.FAIL
    agreed = Verdict(Status.FAIL, [Difference(1, "read", limit, {"error": "RangeError"})])
    assert within_engine_limits(agreed, "n").status is Status.FAIL
