"""The pytest plugin, run through pytester: scenario files become items per runtime."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Callable

import pytest

from harness.runtimes.discovery import Runtime
from tests.conftest import INLINE_SUM_SCENARIO, slow_scenario

ROOT = Path(__file__).resolve().parent.parent
SUM_WAT = ROOT / "wat" / "sum.wat"

PASSING = INLINE_SUM_SCENARIO


def test_scenario_files_are_collected_as_one_item_per_runtime(pytester: pytest.Pytester, node_runtime: Runtime) -> None:
    pytester.makefile(".scenario.toml", sum=PASSING)
    result = pytester.runpytest("-v", "-p", "no:cacheprovider")
    result.stdout.fnmatch_lines([f"*sum.scenario.toml::sum.scenario.toml[[]{node_runtime.label()}[]] PASSED*"])
    result.assert_outcomes(passed=1)


def test_a_failing_scenario_shows_the_short_diff_and_no_traceback(pytester: pytest.Pytester, node_runtime: Runtime) -> None:
    pytester.makefile(".scenario.toml", wrong=PASSING.replace("[7, 4, 11]", "[7, 4, 12]"))
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([f"fail: wrong.scenario.toml on {node_runtime.label()}", "  step 3 (read):",
                                 "    observed:  [7, 4, 11]", "    reference: [7, 4, 11]", "    expect:    [7, 4, 12]"])
    assert "Traceback" not in result.stdout.str() and "harness/plugin.py" not in result.stdout.str()


def test_a_broken_scenario_file_is_one_collection_error_line(pytester: pytest.Pytester) -> None:
    pytester.makefile(".scenario.toml", broken='wat = "(module)"\n[[steps]]\nop = "jump"\n')
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*broken.scenario.toml: step 1: key 'op': unknown op 'jump'*"])


def test_node_is_repeatable_and_gives_an_item_per_runtime(pytester: pytest.Pytester, node_runtime: Runtime) -> None:
    other = shutil.which("node")
    if other is None or Path(other).resolve() == Path(node_runtime.path).resolve():
        pytest.skip("needs a second Node on PATH (CI has the machine's Node 20) to tell two runtimes apart")
    pytester.makefile(".scenario.toml", sum=PASSING)
    result = pytester.runpytest("-v", "-p", "no:cacheprovider", "--node", node_runtime.path, "--node", other)
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines([f"*sum.scenario.toml[[]{node_runtime.label()}[]] PASSED*",
                                 "*sum.scenario.toml[[]node-*[]] PASSED*"])


JSAPI_PASSING = """test(() => {
  assert_equals(new WebAssembly.Memory({ initial: 1 }).buffer.byteLength, 65536);
}, "one page");
"""


def test_a_js_api_file_is_one_item_per_runtime_through_the_npm_harness(pytester: pytest.Pytester,
                                                                        node_runtime: Runtime) -> None:
    pytester.makefile(".any.js", page=JSAPI_PASSING)
    result = pytester.runpytest("-v", "-p", "no:cacheprovider")
    result.stdout.fnmatch_lines([f"*page.any.js::page.any.js[[]{node_runtime.label()}[]] PASSED*"])
    result.assert_outcomes(passed=1)


def test_a_failing_js_api_subtest_is_its_message_and_no_traceback(pytester: pytest.Pytester,
                                                                  node_runtime: Runtime) -> None:
    pytester.makefile(".any.js", page=JSAPI_PASSING.replace("65536", "1"))
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([f"fail: page.any.js: one page on {node_runtime.label()}: "
                                 "assert_equals: expected 1 but got 65536"])
    assert "Traceback" not in result.stdout.str()


def test_a_js_api_file_with_node_reference_alone_is_skipped_saying_why(pytester: pytest.Pytester) -> None:
    pytester.makefile(".any.js", page=JSAPI_PASSING)
    result = pytester.runpytest("-rs", "-p", "no:cacheprovider", "--node", "reference")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(["*JS API test files run on JavaScript runtimes only*"])


def test_runs_under_xdist(pytester: pytest.Pytester) -> None:
    for index in range(4):
        pytester.makefile(".scenario.toml", **{f"s{index}": PASSING})
    result = pytester.runpytest_subprocess("-n", "2", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=4)


def test_a_scenario_past_linmem_model_timeout_fails_with_the_gap_and_the_others_pass(pytester: pytest.Pytester,
                                                                                     node_runtime: Runtime) -> None:
    pytester.makefile(".scenario.toml", slow=slow_scenario(100), sum=PASSING)  # minutes of the model
    result = pytester.runpytest("-p", "no:cacheprovider", "--linmem-model-timeout", "2")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines([f"error: slow.scenario.toml on {node_runtime.label()}: "
                                 "reference model: no result within 2 s (--linmem-model-timeout); "
                                 "the instantiation and steps 1 to 100: no reference and no expect to judge by"])


def test_within_linmem_model_timeout_a_slow_scenario_passes(pytester: pytest.Pytester) -> None:
    pytester.makefile(".scenario.toml", slow=slow_scenario(1), sum=PASSING)
    pytester.runpytest("-p", "no:cacheprovider", "--linmem-model-timeout", "60").assert_outcomes(passed=2)


def test_each_xdist_worker_keeps_the_time_limit(pytester: pytest.Pytester) -> None:
    for index in range(4):
        pytester.makefile(".scenario.toml", **{f"s{index}": PASSING})
    pytester.makefile(".scenario.toml", slow=slow_scenario(100))
    result = pytester.runpytest_subprocess("-n", "2", "-p", "no:cacheprovider", "--linmem-model-timeout", "2")
    result.assert_outcomes(passed=4, failed=1)
    result.stdout.fnmatch_lines(["*reference model: no result within 2 s (--linmem-model-timeout)*"])


def test_the_plugins_fixtures_give_the_compiler_the_runtimes_and_the_model(pytester: pytest.Pytester,
                                                                          node_runtime: Runtime) -> None:
    pytester.makepyfile(f'''
        def test_fixtures(linmem_compiler, linmem_runtimes, linmem_model):
            wasm = linmem_compiler.compile_text(b"(module (memory 1))", filename="m.wat").wasm_bytes
            assert linmem_model.decode_module(wasm).memories == [linmem_model.Limits(1)]
            assert linmem_runtimes[0].label() == "{node_runtime.label()}"
    ''')
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)


WAST = Path(__file__).parent / "wast"
BAD_WAST = Path(__file__).parent / "fixtures" / "wast"  # scripts that must fail or cannot run


def test_wast_scripts_are_collected_like_scenarios(pytester: pytest.Pytester, node_runtime: Runtime) -> None:
    pytester.makefile(".wast", good=(WAST / "memory.wast").read_text(), bad=(BAD_WAST / "wrong.wast").read_text())
    result = pytester.runpytest("-v", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2, failed=2)
    pytester.runpytest("--wast", "-p", "no:cacheprovider", "-k", "good").assert_outcomes(passed=2)  # older spelling
    result.stdout.fnmatch_lines(["*good.wast::good.wast[[]reference[]] PASSED*",
                                 f"*good.wast::good.wast[[]{node_runtime.label()}[]] PASSED*",
                                 "fail: bad.wast:3 assert_return on reference: results [0x2] do not match the expectation"])


def test_commands_a_runtime_could_not_run_are_listed_after_the_run(pytester: pytest.Pytester,
                                                                   provisioned: "Callable[[str], Runtime]") -> None:
    node14 = provisioned("14")
    pytester.makefile(".wast", calls='(module (func (export "big") (param i64) (result i64) (local.get 0)))\n'
                                     '(assert_return (invoke "big" (i64.const 1)) (i64.const 1))\n')
    result = pytester.runpytest("-p", "no:cacheprovider", "--node", node14.path)
    result.assert_outcomes(passed=2)  # nothing failed: the model passes, Node 14 cannot make the call
    result.stdout.fnmatch_lines(["*linmem: commands a runtime could not run*",
                                 f"*calls.wast::calls.wast[[]{node14.label()}[]]: 1 unsupported: *lacks i64 <-> BigInt*"])


def test_node_reference_runs_every_kind_on_the_model_alone(pytester: pytest.Pytester) -> None:
    pytester.makefile(".scenario.toml", sum=PASSING)
    pytester.makefile(".wast", good=(WAST / "memory.wast").read_text())
    result = pytester.runpytest("-v", "-p", "no:cacheprovider", "--node", "reference")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["*good.wast::good.wast[[]reference[]] PASSED*",
                                 "*sum.scenario.toml::sum.scenario.toml[[]reference[]] PASSED*"])


def test_node_reference_fails_a_scenario_whose_expect_the_model_contradicts(pytester: pytest.Pytester) -> None:
    pytester.makefile(".scenario.toml", wrong=PASSING.replace("[7, 4, 11]", "[7, 4, 12]"))
    result = pytester.runpytest("-p", "no:cacheprovider", "--node", "reference")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["fail: wrong.scenario.toml on reference", "  step 3 (read):",
                                 "    observed:  [7, 4, 11]", "    reference: [7, 4, 11]", "    expect:    [7, 4, 12]"])


@pytest.mark.parametrize("option, value", [
    *[("--linmem-model-timeout", value) for value in ("0", "nan", "soon")],
    *[("--linmem-timeout", value) for value in ("0", "-1", "nan", "inf", "soon")],
])
def test_a_time_limit_that_is_not_a_positive_finite_number_is_a_one_line_usage_error(
        pytester: pytest.Pytester, option: str, value: str) -> None:
    pytester.makefile(".scenario.toml", sum=PASSING)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", f"{option}={value}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    expected = f"ERROR: {option}: expected a positive, finite number of seconds, got {value!r}"
    assert [line for line in result.stderr.lines if line] == [expected]


def test_an_unknown_spec_version_is_a_one_line_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makefile(".scenario.toml", sum=PASSING)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--linmem-spec-version=1.0")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    expected = "ERROR: --linmem-spec-version: unknown WebAssembly version '1.0'; expected one of 2.0, 3.0"
    assert [line for line in result.stderr.lines if line] == [expected]


def test_a_scenario_past_linmem_timeout_on_the_runtime_fails_and_the_others_pass(pytester: pytest.Pytester) -> None:
    pytester.makefile(".scenario.toml", sum=PASSING,
                      hang="wat = '(module (func (export \"hang\") (loop (br 0))))'\n"
                           "[[steps]]\nop = \"call\"\nexport = \"hang\"\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--linmem-timeout", "1.25",
                                           "--linmem-model-timeout", "3")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["error: hang.scenario.toml on *: * did not answer within 1.25 s; it was killed*"])


@pytest.mark.parametrize("spec", ["", "  "])
def test_an_empty_node_spec_is_a_one_line_usage_error(pytester: pytest.Pytester, spec: str) -> None:
    pytester.makefile(".scenario.toml", sum=PASSING)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", f"--node={spec}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert [line for line in result.stderr.lines if line] == [
        "ERROR: --node: an empty runtime spec; expected a path, a Node major or version, system, deno, bun or default"]
