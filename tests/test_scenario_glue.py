"""What real JavaScript glue does with a module: the scenario additions of linmem 0.3, end to end.

Each file in ``tests/scenarios/glue/`` uses one addition, with expectations
worked out from the JS API by hand; here each is run on the real runtime and
the model, each has a twin whose last expectation is wrong, and each way to
get the additions wrong is a one-line input error naming file, step and key.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import tomlkit

from harness.case import Status
from harness.compiler.wabt import Compiler
from harness.errors import InputErrors
from harness.pipeline.collect import collect
from harness.pipeline.run import load_inputs
from harness.runtimes.discovery import Runtime
from harness.scenarios.expressions import ExpressionError, evaluate, parse_expression
from harness.scenarios.format import load_scenario
from harness.scenarios.verdict import without_messages
from tests.conftest import write_file
from tests.oracle import judge_scenario, on_model_alone, wrong_twin

GLUE = Path(__file__).parent / "scenarios" / "glue"
GLUE_FILES = sorted(GLUE.glob("*.scenario.toml"))


@pytest.mark.parametrize("path", GLUE_FILES, ids=lambda path: path.name)
def test_each_addition_agrees_on_the_runtime_and_the_model(path: Path, compiler: Compiler,
                                                             node_runtime: Runtime) -> None:
    case = judge_scenario(path, compiler, node_runtime)
    assert case.status is Status.PASS, case.detail or case.differences
    assert without_messages(case.observed["steps"]) == case.reference["steps"]
    assert on_model_alone(path, compiler).status is Status.PASS






@pytest.mark.parametrize("path", GLUE_FILES, ids=lambda path: path.name)
def test_a_wrong_expectation_in_each_fails_at_its_step(path: Path, tmp_path: Path, compiler: Compiler,
                                                       node_runtime: Runtime) -> None:
    twin, label = wrong_twin(path, tmp_path)
    case = judge_scenario(twin, compiler, node_runtime)
    assert case.status is Status.FAIL
    assert [difference.step for difference in case.differences] == [label]
    assert on_model_alone(twin, compiler).status is Status.FAIL


def test_a_repeat_is_expanded_and_labelled_by_iteration() -> None:
    scenario = load_scenario(GLUE / "inputs-at-scale.scenario.toml")
    labels = [step.label for step in scenario.steps]
    assert labels[-7:] == ["11.1.1", "11.1.2", "11.2.1", "11.2.2", "11.3.1", "11.3.2", 12]


def test_a_runtime_follows_its_own_pointers(tmp_path: Path, compiler: Compiler, node_runtime: Runtime) -> None:
    """A named value is each side's own: the model's malloc, made to return another pointer, is followed."""
    text = (GLUE / "named-values.scenario.toml").read_text()
    changed = write_file(tmp_path, "named.scenario.toml", text.replace("(i32.const 1024)", "(i32.const 2048)"))
    case = judge_scenario(changed, compiler, node_runtime)
    assert case.status is Status.FAIL
    # the pointers differ from their expect, and so does what was computed from them; the rest agrees
    assert [d.step for d in case.differences] == [1, 2, 6]
    assert case.observed["steps"][1] == 2056
    assert case.observed["steps"][5] == [8, 2056, 952]


@pytest.mark.parametrize(("source", "values", "expected"), [
    ("$a + 2 * 3", {"a": 1}, 7),
    ("-7 / 2", {}, -4),
    ("-7 % 3", {}, 2),
    ("($p + 7) & ~7", {"p": 9}, 16),
    ("1 << 40 >> 38", {}, 4),
    ("$w.written + $r[1]", {"w": {"written": 3}, "r": [0, "-10"]}, -7),
    ("0x10 ^ 3", {}, 19),
])
def test_expressions_have_integer_semantics(source: str, values: dict, expected: int) -> None:
    assert evaluate(parse_expression(source).program, values) == expected


@pytest.mark.parametrize(("source", "values"), [
    ("$a / 0", {"a": 1}), ("$f + 1", {"f": 1.5}), ("$e + 1", {"e": {"error": "TypeError"}}), ("$r[3]", {"r": [1]}),
    ("1 << 5000", {}),
])
def test_an_expression_on_a_value_that_is_not_an_integer_cannot_be_evaluated(source: str, values: dict) -> None:
    with pytest.raises(ExpressionError):
        evaluate(parse_expression(source).program, values)


WAT = '''wat = """(module (import "env" "f" (func (param i32) (result i32)))
  (memory (export "memory") 1)
  (global (export "g") (mut f64) (f64.const 0))
  (func (export "h") (result f32) (f32.const 1)))"""
'''
FUNC = '[imports."env.f"]\nreturns = [1]\n'


@pytest.mark.parametrize(("body", "expected"), [
    (FUNC + '[[steps]]\nop = "read"\nview = "Uint8Array"\noffset = "$p"\nlength = 1\n',
     "step 1: key 'offset': $p is not the name of an earlier step"),
    (FUNC + '[[steps]]\nop = "call"\nexport = "h"\nas = "x"\n[[steps]]\nop = "grow"\ndelta = "$x"\n',
     "step 2: key 'delta': $x is not an integer: $x is a float"),
    (FUNC + '[[steps]]\nop = "size"\nas = "s"\n[[steps]]\nop = "grow"\ndelta = "$s.bytes"\n',
     "step 2: key 'delta': $s.bytes does not exist: $s is an object"),
    (FUNC + '[[steps]]\nop = "repeat"\ntimes = 0\nsteps = []\n', "step 1: key 'times': expected an integer >= 1, got 0"),
    (FUNC + '[[steps]]\nop = "repeat"\ntimes = 2\n[[steps.steps]]\nop = "size"\nview = 1\n',
     "step 1.1: key 'view': not a key of op 'size'"),
    (FUNC + '[[steps]]\nop = "write_bytes"\noffset = 0\nfile = "missing.bin"\n',
     "step 1: key 'file': cannot read"),
    (FUNC + '[[steps]]\nop = "write_bytes"\noffset = 0\nhex = "abc"\n',
     "step 1: key 'hex': expected an even number of hex digits"),
    (FUNC + '[[steps]]\nop = "write_bytes"\noffset = 0\nhex = "ab"\nfill = 1\n',
     "step 1: op 'write_bytes' needs exactly one of hex, base64, file, fill (got hex, fill)"),
    ('[imports."env.f"]\nkind = "memory"\ninitial = 1\n', "key 'imports.\"env.f\"': declared a memory, but the module imports a func"),
    ('[imports."env.f"]\nparams = ["i64"]\n', "key 'imports.\"env.f\"': key 'params': the module imports it as (i32) -> (i32)"),
    ('[imports."env.f"]\nreturns = [1, 2]\n', "key 'returns': the module imports it with 1 result(s), got 2 value(s)"),
    ('[imports."env.f"]\nthrows = "SyntaxErr"\n', "key 'throws': expected one of Error, TypeError, RangeError, RuntimeError"),
    ('[imports."env.f"]\nfrom = "lib.f"\n', "key 'from': no module is named 'lib'"),
    (FUNC + '[[steps]]\nop = "call"\nexport = "h"\ninstance = "lib"\n', "step 1: key 'instance': no module is named 'lib'"),
    (FUNC + '[[steps]]\nop = "set_global"\nexport = "g"\nvalue = "x1"\n', "step 1: key 'value'[0]: 'x1' is not a number"),
    (FUNC + '[[steps]]\nop = "get_global"\nexport = "h"\n', "step 1: key 'export': 'h' is a func, not a global"),
    (FUNC + '[[steps]]\nop = "calls"\nimport = "env.f"\n', "step 1: key 'import': 'env.f' is not a declared function import with record"),
])
def test_bad_additions_are_one_line_errors_naming_file_step_and_key(body: str, expected: str, tmp_path: Path,
                                                                     compiler: Compiler) -> None:
    path = write_file(tmp_path, "bad.scenario.toml", WAT + body)
    with pytest.raises(InputErrors) as caught:
        load_inputs(collect([path]), compiler)
    [error] = caught.value.errors
    line = error.one_line()
    assert "\n" not in line
    assert line.startswith(f"{path}: ") and expected in line, line


#: the model does not execute relaxed SIMD: "pick" (every byte is byte 6 of splat(7)) is a gap on it
RELAXED_AND_SCALAR = '''features = ["relaxed_simd"]
wat = """(module (memory (export "memory") 1)
  (func (export "scalar") (result i32) (i32.const 42))
  (func (export "pick") (param i32)
    (v128.store (i32.const 0) (i8x16.relaxed_swizzle (i8x16.splat (i32.const 7)) (i8x16.splat (local.get 0))))))"""
[[steps]]
op = "call"
export = "scalar"
expect = 42
[[steps]]
op = "call"
export = "pick"
args = [6]
[[steps]]
op = "read"
view = "Uint8Array"
offset = 0
length = 3
'''


def gap_case(tmp_path: Path, compiler: Compiler, runtime: Runtime, read_expect: str | None):
    body = RELAXED_AND_SCALAR + (f"expect = {read_expect}\n" if read_expect else "")
    path = write_file(tmp_path, "gap.scenario.toml", body)
    return judge_scenario(path, compiler, runtime), on_model_alone(path, compiler)


@pytest.mark.needs_feature("relaxed_simd")
def test_steps_past_a_model_gap_are_judged_by_their_expect(tmp_path: Path, compiler: Compiler,
                                                           node_runtime: Runtime) -> None:
    on_runtime, on_model = gap_case(tmp_path, compiler, node_runtime, "[7, 7, 7]")
    assert on_runtime.status is Status.PASS
    assert on_runtime.detail == ("step 3 judged by expect alone (reference model lacks relaxed SIMD instruction "
                                 "i8x16.relaxed_swizzle at step 2); step 2: not judged (no expect)")
    assert on_runtime.reference["steps"] == [42]  # the model ran the scalar export before the gap
    assert on_model.status is Status.UNSUPPORTED and "lacks relaxed SIMD instruction i8x16.relaxed_swizzle" in on_model.detail


@pytest.mark.needs_feature("relaxed_simd")
def test_a_wrong_expect_past_a_model_gap_fails(tmp_path: Path, compiler: Compiler, node_runtime: Runtime) -> None:
    on_runtime, _ = gap_case(tmp_path, compiler, node_runtime, "[7, 7, 8]")
    assert on_runtime.status is Status.FAIL
    [difference] = on_runtime.differences
    assert (difference.step, difference.observed, difference.reference) == (3, [7, 7, 7], None)


@pytest.mark.needs_feature("relaxed_simd")
def test_a_step_past_a_model_gap_without_expect_is_an_error_saying_so(tmp_path: Path, compiler: Compiler,
                                                                      node_runtime: Runtime) -> None:
    on_runtime, _ = gap_case(tmp_path, compiler, node_runtime, None)
    assert on_runtime.status is Status.ERROR
    assert on_runtime.detail == ("reference model lacks relaxed SIMD instruction i8x16.relaxed_swizzle at step 2; "
                                 "steps 2 to 3: no reference and no expect to judge by")


def test_an_import_module_name_with_dots_is_written_as_a_table_of_tables(tmp_path: Path, compiler: Compiler,
                                                                          node_runtime: Runtime) -> None:
    body = ('wat = """(module (import "./x_bg.js" "f.g" (func $f (result i32)))\n'
            '  (func (export "run") (result i32) (call $f)))"""\n'
            '[imports."./x_bg.js"."f.g"]\nreturns = [7]\n'
            '[[steps]]\nop = "call"\nexport = "run"\nexpect = 7\n')
    case = judge_scenario(write_file(tmp_path, "dots.scenario.toml", body), compiler, node_runtime)
    assert case.status is Status.PASS
    wrong = body.replace("expect = 7", "expect = 8")
    assert judge_scenario(write_file(tmp_path, "dots2.scenario.toml", wrong), compiler, node_runtime).status is Status.FAIL


def test_strings_of_a_module_without_an_exported_memory_are_read_from_the_memory_it_imports(
        tmp_path: Path, compiler: Compiler, node_runtime: Runtime) -> None:
    body = ('wat = """(module (import "env" "memory" (memory 1)) (import "env" "log" (func $log (param i32)))\n'
            '  (data (i32.const 8) "hi\\\\00")\n'
            '  (func (export "run") (call $log (i32.const 8))))"""\n'
            '[imports."env.memory"]\nkind = "memory"\ninitial = 1\n'
            '[imports."env.log"]\ntext = [{ptr = 0, format = "cstring"}]\n'
            '[[steps]]\nop = "call"\nexport = "run"\n'
            '[[steps]]\nop = "calls"\nexpect = [{import = "env.log", args = [8], text = ["hi"]}]\n')
    assert judge_scenario(write_file(tmp_path, "imported.scenario.toml", body), compiler, node_runtime).status \
        is Status.PASS
    wrong = body.replace('text = ["hi"]', 'text = ["ho"]')
    assert judge_scenario(write_file(tmp_path, "wrong.scenario.toml", wrong), compiler, node_runtime).status \
        is Status.FAIL


# -- the JS API's limits, a failed hold, call-stack depth (issue 11): each agrees on the runtime and the model -----
LIMITS = Path(__file__).parent / "scenarios" / "limits"
LIMITS_FILES = sorted(LIMITS.glob("*.scenario.toml"))


@pytest.mark.parametrize("path", LIMITS_FILES, ids=lambda path: path.name)
def test_each_limit_agrees_on_the_runtime_and_the_model(path: Path, compiler: Compiler,
                                                        node_runtime: Runtime) -> None:
    case = judge_scenario(path, compiler, node_runtime)
    assert (case.status, case.detail) == (Status.PASS, ""), case.differences
    assert without_messages(case.observed["instantiate"]) == case.reference["instantiate"]
    assert without_messages(case.observed["steps"]) == case.reference["steps"]
    assert on_model_alone(path, compiler).status is Status.PASS


@pytest.mark.parametrize("path", LIMITS_FILES, ids=lambda path: path.name)
def test_a_wrong_expectation_in_each_limit_fails_there(path: Path, tmp_path: Path, compiler: Compiler,
                                                       node_runtime: Runtime) -> None:
    document = tomlkit.parse(path.read_text())
    if "expect_instantiate" in document:
        document["expect_instantiate"] = {"error": "DeliberatelyWrong"}
        label: object = "instantiate"
    else:
        document["steps"][-1]["expect"] = {"deliberately": "wrong"}
        label = len(document["steps"])
    twin = write_file(tmp_path, path.name, tomlkit.dumps(document))
    case = judge_scenario(twin, compiler, node_runtime)
    assert case.status is Status.FAIL
    assert [difference.step for difference in case.differences] == [label]
    assert on_model_alone(twin, compiler).status is Status.FAIL


FAILING_START = """wat = '(module (memory (export "memory") 1) (func $start unreachable) (start $start))'
[[steps]]
op = "size"
[[steps]]
op = "size"
expect = { pages = 1, byte_length = 65536 }
"""


def test_a_step_expect_no_run_could_check_after_a_failed_instantiation_fails_saying_so(
        tmp_path: Path, compiler: Compiler, node_runtime: Runtime) -> None:
    path = write_file(tmp_path, "start-traps.scenario.toml", FAILING_START)
    case = judge_scenario(path, compiler, node_runtime)
    assert case.status is Status.FAIL
    assert case.detail.startswith("step 2: expect not checked: instantiation failed: RuntimeError (unreachable)")
    assert [(d.step, d.observed, d.expect) for d in case.differences] == [
        (2, None, {"pages": 1, "byte_length": 65536})]
    on_model = on_model_alone(path, compiler)
    assert (on_model.status, on_model.detail) == (
        Status.FAIL, "step 2: expect not checked: instantiation failed: RuntimeError (unreachable)")


def test_a_failed_instantiation_the_scenario_expects_passes_with_its_steps_unrun(
        tmp_path: Path, compiler: Compiler, node_runtime: Runtime) -> None:
    body = 'expect_instantiate = { error = "RuntimeError", trap = "unreachable" }\n' + FAILING_START
    path = write_file(tmp_path, "start-traps.scenario.toml", body)
    case = judge_scenario(path, compiler, node_runtime)
    assert (case.status, case.differences, case.observed["steps"]) == (Status.PASS, (), [])
    assert on_model_alone(path, compiler).status is Status.PASS
