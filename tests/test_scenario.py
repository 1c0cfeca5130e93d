"""Loading scenario files: the schema of the public contract, and an error for every way to break it."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from harness.case import CaseKind
from harness.compiler.wabt import Compiler
from harness.model import decode_module
from harness.pipeline.collect import collect
from harness.scenarios.format import (
    NO_EXPECT,
    MemorySpec,
    ScenarioError,
    load_scenario,
)
from harness.scenarios.linking import check_against_modules
from tests.conftest import write_file

SCENARIOS = Path(__file__).parent / "scenarios"
MINIMAL = 'wat = "(module (memory (export \\"memory\\") 1))"\n'


def scenario_file(tmp_path: Path, body: str, name: str = "case.scenario.toml") -> Path:
    return write_file(tmp_path, name, body)


def load_error(tmp_path: Path, body: str, name: str = "case.scenario.toml") -> str:
    with pytest.raises(ScenarioError) as caught:
        load_scenario(scenario_file(tmp_path, body, name))
    return caught.value.one_line()


def test_the_contracts_example_loads_with_defaults_filled_in() -> None:
    scenario = load_scenario(SCENARIOS / "article" / "sum.scenario.toml")
    assert scenario.memory == MemorySpec("js", "mem", 1)
    assert scenario.module_path == (SCENARIOS.parent.parent / "wat" / "sum.wat").resolve()
    write, read, call, read_after = scenario.steps
    assert (write.index, write.op, write.fields) == (1, "write", {"view": "Uint32Array", "offset": 0, "values": [7, 4]})
    assert call.fields == {"export": "sum", "args": []} and call.expect is NO_EXPECT
    assert read_after.expect == [7, 4, 11]


def test_json_scenarios_share_the_schema() -> None:
    scenario = load_scenario(SCENARIOS / "article" / "demo-named-memory.scenario.json")
    assert scenario.memory_export == "memory" and scenario.memory is None
    assert scenario.steps[0].fields == {"offset": 0, "length": 9, "label": "utf-8", "fatal": False, "ignore_bom": False}


def test_toml_syntax_errors_name_line_and_column(tmp_path: Path) -> None:
    message = load_error(tmp_path, MINIMAL + "[[steps]]\nop = \n")
    assert message.startswith(f"{tmp_path / 'case.scenario.toml'}:3:")
    assert "invalid TOML" in message


def test_json_syntax_errors_name_line_and_column(tmp_path: Path) -> None:
    message = load_error(tmp_path, '{"wat": "(module)",\n "steps": [}', name="case.scenario.json")
    assert message.startswith(f"{tmp_path / 'case.scenario.json'}:2:12: invalid JSON")


@pytest.mark.parametrize("steps, expected", [
    ('[[steps]]\nop = "read"\nview = "Uint33Array"\noffset = 0\n',
     "step 1: key 'view': unknown view 'Uint33Array'; expected one of Int8Array, Uint8Array,"),
    ('[[steps]]\nop = "size"\n[[steps]]\nop = "shrink"\n',
     "step 2: key 'op': unknown op 'shrink'; expected one of write, read,"),
    ('[[steps]]\nop = "grow"\ndelta = "1"\n', "step 1: key 'delta': expected an integer or a $name expression, got '1'"),
    ('[[steps]]\nop = "read"\nview = "Uint8Array"\n', "step 1: missing key 'offset' (op 'read' needs it)"),
    ('[[steps]]\nview = "Uint8Array"\n', "step 1: missing key 'op'"),
    ('[[steps]]\nop = "size"\nofset = 3\n', "step 1: key 'ofset': not a key of op 'size'; expected one of as, expect, instance, memory, note, op"),
    ('[[steps]]\nop = "held"\nname = "v"\n', "step 1: key 'name': no earlier 'hold' step is named 'v'"),
    ('[[steps]]\nop = "decode"\noffset = 0\nlength = 1\nfatal = "yes"\n', "step 1: key 'fatal': expected true or false"),
    ('[[steps]]\nop = "write"\nview = "Uint8Array"\noffset = -4\nvalues = [1]\n',
     "step 1: key 'offset': expected an integer >= 0, got -4"),
    ('[[steps]]\nop = "write"\nview = "Float32Array"\noffset = 0\nvalues = [1, "nan"]\n',
     "step 1: key 'values'[1]: 'nan' is not a number (special values: NaN, Infinity, -Infinity, -0)"),
    ('[[steps]]\nop = "write"\nview = "BigInt64Array"\noffset = 0\nvalues = ["12x"]\n',
     "step 1: key 'values'[0]: '12x' is not an integer or a decimal string"),
])
def test_step_errors_name_the_file_the_step_and_the_key(tmp_path: Path, steps: str, expected: str) -> None:
    message = load_error(tmp_path, MINIMAL + steps)
    assert message.startswith(f"{tmp_path / 'case.scenario.toml'}: {expected}"), message


def test_exactly_one_of_module_and_wat(tmp_path: Path) -> None:
    assert "keys 'module' and 'wat': exactly one is needed" in load_error(tmp_path, "title = 'x'\n")
    both = 'module = "m.wat"\nwat = "(module)"\n'
    assert "keys 'module' and 'wat': give one of them, not both" in load_error(tmp_path, both)


def test_a_module_path_resolves_against_the_scenario_and_must_exist(tmp_path: Path) -> None:
    message = load_error(tmp_path, 'module = "../nowhere/m.wat"\n')
    assert f"key 'module': no such file: {(tmp_path.parent / 'nowhere' / 'm.wat').resolve()}" in message


def test_unknown_top_level_keys_are_rejected(tmp_path: Path) -> None:
    assert "key 'stpes': not a scenario key" in load_error(tmp_path, MINIMAL + "stpes = []\n")


def test_the_memory_table_is_checked(tmp_path: Path) -> None:
    assert "key 'memory': key 'import': expected \"module.field\", got 'mem'" in load_error(
        tmp_path, MINIMAL + '[memory]\nimport = "mem"\ninitial = 1\n')
    assert "a shared memory needs a 'maximum'" in load_error(
        tmp_path, MINIMAL + '[memory]\nimport = "js.mem"\ninitial = 1\nshared = true\n')
    assert "key 'memory': missing key 'initial' (pages)" in load_error(
        tmp_path, MINIMAL + '[memory]\nimport = "js.mem"\n')


def test_exports_are_checked_against_the_module(tmp_path: Path, compiler: Compiler) -> None:
    wat = '(module (memory (export "memory") 1) (func (export "add") (param i32 i32) (result i32) (local.get 0)))'
    module = decode_module(compiler.compile_text(wat.encode(), filename="m.wat").wasm_bytes)
    missing = load_scenario(scenario_file(tmp_path, MINIMAL + '[[steps]]\nop = "call"\nexport = "sub"\n'))
    with pytest.raises(ScenarioError, match=r"step 1: key 'export': the module exports no function 'sub' \(function exports: add\)"):
        check_against_modules(missing, [module])
    fewer_arguments = load_scenario(scenario_file(tmp_path, MINIMAL + '[[steps]]\nop = "call"\nexport = "add"\nargs = [1]\n'))
    check_against_modules(fewer_arguments, [module])  # JS passes undefined for the missing one
    not_a_function = load_scenario(scenario_file(tmp_path, MINIMAL + '[[steps]]\nop = "call"\nexport = "memory"\n'))
    with pytest.raises(ScenarioError, match="'memory' is a memory, not a function"):
        check_against_modules(not_a_function, [module])


def test_steps_on_memory_need_a_memory(tmp_path: Path, compiler: Compiler) -> None:
    module = decode_module(compiler.compile_text(b"(module)", filename="m.wat").wasm_bytes)
    scenario = load_scenario(scenario_file(tmp_path, 'wat = "(module)"\n[[steps]]\nop = "size"\n'))
    with pytest.raises(ScenarioError, match="no \\[memory\\] table and the module exports no memory"):
        check_against_modules(scenario, [module])


def test_the_library_has_at_least_forty_scenarios_each_with_an_expectation(real_modules) -> None:
    files = collect([SCENARIOS]).of(CaseKind.SCENARIO)
    assert len(files) >= 40
    for path in files:
        scenario = load_scenario(path)
        pinned = [step for step in scenario.steps if step.has_expect]
        assert pinned or scenario.expect_instantiate is not NO_EXPECT, f"{path.name} pins nothing"


# -- inputs Python's decoders choke on: long integers, deep nesting, wrong types (issue 11) ------------------------
LONG_INTEGER = "7" * 5000  # Python's int() refuses more than 4,300 decimal digits


@pytest.mark.parametrize("name, body, line, column", [
    ("case.scenario.toml", MINIMAL + "[[steps]]\nop = \"grow\"\ndelta = " + LONG_INTEGER + "\n", 4, 9),
    ("case.scenario.toml", MINIMAL + "x = 1.5\n[[steps]]\nop = \"grow\"\ndelta = -" + "1_0" * 2500 + "\n", 5, 10),
    ("case.scenario.json", '{"wat": "(module)",\n "steps": [{"op": "grow", "delta": ' + LONG_INTEGER + "}]}", 2, 36),
])
def test_an_integer_literal_too_long_to_read_is_an_error_at_its_line_and_column(
        tmp_path: Path, name: str, body: str, line: int, column: int) -> None:
    message = load_error(tmp_path, body, name)
    assert message.startswith(f"{tmp_path / name}:{line}:{column}: an integer literal of 5,000 digits is too long")


def test_long_digit_runs_in_strings_floats_and_hex_are_not_integer_literals(tmp_path: Path) -> None:
    body = (MINIMAL + f'note = "{LONG_INTEGER}"\n'.replace("note", "title")
            + f"[[steps]]\nop = \"write\"\nview = \"Float64Array\"\noffset = 0\nvalues = [0.{LONG_INTEGER}, 0x1F]\n")
    assert load_scenario(scenario_file(tmp_path, body)).title == LONG_INTEGER


def nested(depth: int, opener: str = "[", closer: str = "]") -> str:
    return opener * depth + closer * depth


@pytest.mark.parametrize("name, body, line, column", [
    ("case.scenario.toml", MINIMAL + "[[steps]]\nop = \"size\"\nexpect = " + nested(1000) + "\n", 4, 110),
    ("case.scenario.toml", MINIMAL + "[[steps]]\nop = \"size\"\nexpect = " + "{a = " * 300 + "1" + "}" * 300 + "\n",
     4, 10 + 5 * 100),
    # in JSON the document's own braces count: the 100th "[" is the 101st level
    ("case.scenario.json", '{"wat": "(module)",\n "x": ' + nested(100_000) + "}", 2, 6 + 100),
    # three levels ({, [, {) before the expect: its 98th "{" (after 55 characters and 97 six-character '{"a": ')
    ("case.scenario.json", '{"wat": "(module)", "steps": [{"op": "size", "expect": ' + nested(200, '{"a": ', "}")
     + "}]}", 1, 55 + 6 * 97 + 1),
])
def test_nesting_deeper_than_a_hundred_levels_is_an_error_at_the_bracket(
        tmp_path: Path, name: str, body: str, line: int, column: int) -> None:
    message = load_error(tmp_path, body, name)
    assert message == f"{tmp_path / name}:{line}:{column}: values nest more than 100 levels deep"


def test_nesting_a_hundred_levels_deep_loads(tmp_path: Path) -> None:
    body = MINIMAL + "[[steps]]\nop = \"size\"\nexpect = " + nested(99) + "  # [[[ not counted\n"
    assert load_scenario(scenario_file(tmp_path, body)).steps[0].expect == eval(nested(99))


def test_dotted_keys_nesting_too_deep_name_the_step_and_key(tmp_path: Path) -> None:
    body = MINIMAL + "[[steps]]\nop = \"size\"\nexpect." + ".".join(["a"] * 150) + " = 1\n"
    assert load_error(tmp_path, body).endswith(": step 1: key 'expect'" + ".a" * 100
                                               + ": values nest more than 100 levels deep")


def test_a_date_anywhere_is_an_error_naming_the_step_and_key(tmp_path: Path) -> None:
    body = MINIMAL + "[[steps]]\nop = \"write\"\nview = \"Uint8Array\"\noffset = 0\nvalues = [1, 1979-05-27]\n"
    assert load_error(tmp_path, body).endswith(": step 1: key 'values'[1]: a date or time is not a value any "
                                               "scenario key takes")


#: one value of each type a TOML or JSON document can hold (the loader's schema says which each key takes)
TYPE_SAMPLES = {"string": "x", "integer": 5, "float": 1.5, "boolean": True, "list": [1, 2], "table": {"a": 1},
                "list of tables": [{"a": 1}], "null": None}
#: every op with the keys it needs: each key of each op is given each type in turn
MINIMAL_STEPS = {
    "write": {"view": "Uint8Array", "offset": 0, "values": [1]}, "read": {"view": "Uint8Array", "offset": 0},
    "write_string": {"offset": 0, "text": "a"}, "decode": {"offset": 0, "length": 1}, "call": {"export": "f"},
    "grow": {"delta": 1}, "size": {}, "hold": {"name": "h", "view": "Uint8Array", "offset": 0, "length": 1},
    "held": {"name": "h"}, "get_global": {"export": "g"}, "set_global": {"export": "g", "value": 1},
    "write_bytes": {"offset": 0, "hex": "00"}, "read_bytes": {"offset": 0, "length": 1}, "calls": {}, "output": {},
    "repeat": {"times": 1, "steps": [{"op": "size"}]},
}


def _step_key_cases() -> list[tuple[str, str, str]]:
    from harness.scenarios.format import _OPS
    return [(op, key, type_name) for op in MINIMAL_STEPS for key in [*_OPS[op], "op", "note", "as", "instance"]
            for type_name in TYPE_SAMPLES]


@pytest.mark.parametrize("op, key, type_name", _step_key_cases())
def test_any_type_for_any_step_key_loads_or_is_an_error_naming_step_and_key(
        tmp_path: Path, op: str, key: str, type_name: str) -> None:
    step = {**MINIMAL_STEPS[op], "op": op, key: TYPE_SAMPLES[type_name]}
    steps = [{"op": "hold", "name": "h", "view": "Uint8Array", "offset": 0, "length": 1}] if op == "held" else []
    path = write_file(tmp_path, "case.scenario.json", json.dumps({"wat": "(module)", "steps": [*steps, step]}))
    try:
        load_scenario(path)
    except ScenarioError as error:
        assert error.one_line().startswith(f"{path}: step {len(steps) + 1}")
        assert f"key '{key}'" in error.one_line() or "needs exactly one of" in error.one_line() \
            or (key == "steps" and "step 1.1" in error.one_line())


@pytest.mark.parametrize("where, table", [
    ("key 'memory'", {"memory": {"import": "js.mem", "initial": 1, "{key}": "{value}"}}),
    ("key 'imports.\"env.f\"'", {"imports": {"env.f": {"kind": "func", "{key}": "{value}"}}}),
    ("key 'imports.\"env.m\"'", {"imports": {"env.m": {"kind": "memory", "initial": 1, "{key}": "{value}"}}}),
    ("key 'imports.\"env.g\"'", {"imports": {"env.g": {"kind": "global", "type": "i32", "value": 1, "{key}": "{value}"}}}),
    ("key 'imports.\"env.t\"'", {"imports": {"env.t": {"kind": "table", "initial": 1, "{key}": "{value}"}}}),
    ("key 'wasi'", {"wasi": {"{key}": "{value}"}}),
])
@pytest.mark.parametrize("type_name", TYPE_SAMPLES)
def test_any_type_for_any_table_key_loads_or_is_an_error_naming_the_key(
        tmp_path: Path, where: str, table: dict, type_name: str) -> None:
    keys = {"key 'memory'": ["import", "initial", "maximum", "shared", "address"],
            "key 'wasi'": ["args", "env", "seed", "clock_ns"]}
    name = next(iter(table))
    inner = table[name] if name != "imports" else next(iter(table[name].values()))
    kind = inner.get("kind")
    candidates = keys.get(where) or {"func": ["params", "results", "returns", "throws", "record", "text"],
                                     "memory": ["initial", "maximum", "shared", "address"],
                                     "global": ["type", "value", "mutable"],
                                     "table": ["element", "initial", "maximum"]}[kind] + ["kind", "from"]
    for key in candidates:
        document = json.loads(json.dumps({"wat": "(module)", **table}).replace('"{key}"', json.dumps(key))
                              .replace('"{value}"', json.dumps(TYPE_SAMPLES[type_name])))
        path = write_file(tmp_path, "case.scenario.json", json.dumps(document))
        try:
            load_scenario(path)
        except ScenarioError as error:  # a value found in the text again is named by its line and column too
            assert re.match(rf"{re.escape(str(path))}(:\d+:\d+)?: {re.escape(where)}", error.one_line()), \
                (key, error.one_line())


@pytest.mark.parametrize("body, expected", [
    ("wat = 5\n", "key 'wat': expected a non-empty string, got 5"),
    (MINIMAL + "[[steps]]\nop = []\n", "step 1: key 'op': unknown op []"),
    (MINIMAL + "[[steps]]\nop = {a = 1}\n", "step 1: key 'op': unknown op {\"a\": 1}"),
    (MINIMAL + "[[steps]]\nop = \"read\"\nview = [1, 2]\noffset = 0\n", "step 1: key 'view': unknown view [1, 2]"),
    (MINIMAL + "[imports.\"env.f\"]\nkind = [\"func\"]\n", "key 'imports.\"env.f\"': key 'kind': expected func"),
    (MINIMAL + "[imports.\"env.f\"]\nfrom = \"a.b\"\nkind = {}\n", "key 'imports.\"env.f\"': key 'kind': expected"),
])
def test_the_issues_wrong_types_are_one_line_errors(tmp_path: Path, body: str, expected: str) -> None:
    assert load_error(tmp_path, body).startswith(f"{tmp_path / 'case.scenario.toml'}: {expected}")
