"""Loading scenario files: the schema of the public contract, and an error for every way to break it."""

from __future__ import annotations

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
