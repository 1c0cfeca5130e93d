"""NaN, the infinities, -0 and numbers too large for a double, as users write them in TOML and JSON.

Every expected value is JavaScript's own rule, written out by hand: a number
literal past the double range is Infinity; 2**53 + 1 rounds to 2**53 (ties to
even); a BigInt view keeps every digit of 2**64 - 1.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from harness.values.codec import encode_input, with_special_numbers
from tests.conftest import write_file

MODULE = """wat = '''(module (memory (export "memory") 1)
  (func (export "id") (param f64) (result f64) (local.get 0))
  (func (export "id64") (param i64) (result i64) (local.get 0)))'''
"""
TEN_TO_400 = "1" + "0" * 400

TOML_SCENARIO = MODULE + f"""
[[steps]]
op = "write"
view = "Float64Array"
offset = 0
values = [nan, inf, -inf, -0.0, 1e400, {TEN_TO_400}, -{TEN_TO_400}, 9007199254740993]

[[steps]]
op = "read"
view = "Float64Array"
offset = 0
length = 8
expect = [nan, inf, -inf, -0.0, inf, inf, -inf, 9007199254740992]

[[steps]]
op = "write"
view = "BigUint64Array"
offset = 0
values = [18446744073709551615, 9007199254740993]

[[steps]]
op = "read"
view = "BigUint64Array"
offset = 0
length = 2
expect = ["18446744073709551615", "9007199254740993"]

[[steps]]
op = "call"
export = "id"
args = [-inf]
expect = -inf

[[steps]]
op = "call"
export = "id64"
args = [9223372036854775807]
expect = "9223372036854775807"
"""

JSON_SCENARIO = """{"title": "non-finite numbers in JSON", "wat": "(module (memory (export \\"memory\\") 1))",
 "steps": [{"op": "write", "view": "Float32Array", "offset": 0, "values": [NaN, Infinity, -Infinity, -0.0, 1e400]},
           {"op": "read", "view": "Float32Array", "offset": 0, "length": 5,
            "expect": [NaN, Infinity, -Infinity, -0.0, Infinity]}]}
"""


def test_non_finite_and_too_large_numbers_run_and_agree_with_javascript(tmp_path: Path, run_linmem) -> None:
    write_file(tmp_path, "numbers.scenario.toml", TOML_SCENARIO)
    write_file(tmp_path, "numbers.scenario.json", JSON_SCENARIO)
    completed = run_linmem("run", ".", "--json", "r.json", cwd=tmp_path)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    cases = {case["id"]: case for case in json.loads((tmp_path / "r.json").read_text())["cases"]}
    assert cases["numbers.scenario.toml"]["observed"]["steps"][1] == [
        "NaN", "Infinity", "-Infinity", "-0", "Infinity", "Infinity", "-Infinity", 9007199254740992]
    assert cases["numbers.scenario.toml"]["observed"]["steps"][3] == ["18446744073709551615", "9007199254740993"]
    assert cases["numbers.scenario.json"]["observed"]["steps"][1] == ["NaN", "Infinity", "-Infinity", "-0",
                                                                      "Infinity"]


def test_a_failing_nan_expect_keeps_the_report_valid_json(tmp_path: Path, run_linmem) -> None:
    write_file(tmp_path, "nan.scenario.toml", MODULE + '[[steps]]\nop = "call"\nexport = "id"\nargs = [1.5]\n'
                                                     "expect = nan\n")
    completed = run_linmem("run", ".", "--json", "r.json", cwd=tmp_path)
    assert completed.returncode == 1, completed.stdout + completed.stderr
    report = json.loads((tmp_path / "r.json").read_text(), parse_constant=lambda name: math.nan / 0)
    assert report["cases"][0]["differences"][0]["expect"] == "NaN"


def test_values_travel_to_the_driver_losslessly() -> None:
    assert encode_input([math.nan, math.inf, -math.inf, -0.0, 0.0, 2.5]) == ["NaN", "Infinity", "-Infinity", "-0",
                                                                              0.0, 2.5]
    assert encode_input([2**53, 2**53 + 1, -(2**64)]) == [2**53, "9007199254740993", "-18446744073709551616"]
    assert with_special_numbers({"a": [-0.0, math.nan], "b": "NaN", "c": 7}) == {"a": ["-0", "NaN"], "b": "NaN",
                                                                               "c": 7}
