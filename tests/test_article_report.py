"""The terminal report lays values out side by side; the JSON report carries every side."""

from __future__ import annotations

from harness.article.examples import SUM, ExampleResult, StepComparison
from harness.article.report import result_document, side_by_side, verdict_line
from harness.compiler.wabt import CompiledModule, Compiler
from harness.errors import RuntimeFailure
from harness.runtimes.discovery import Runtime

RUNTIME = Runtime("node", "20.20.2", "/usr/bin/node", "V8", "11.3", "PATH")


def sum_result(after: list[int]) -> ExampleResult:
    result = ExampleResult(SUM, CompiledModule(b"\0asm\x01\0\0\0", "sum.wat", from_cache=False))
    result.steps.append(StepComparison("after_sum", "Uint32Array", after, after, [7, 4, 11]))
    return result


def test_multi_line_cells_are_padded_into_columns() -> None:
    assert side_by_side(["a\nbb", "c"], [3, 3]) == ["a     c", "bb"]


def test_the_verdict_names_differences_and_errors() -> None:
    assert verdict_line([sum_result([7, 4, 3])]).startswith("verdict: DIFFERENT")
    failed = sum_result([7, 4, 11])
    failed.errors.append(RuntimeFailure("boom"))
    assert verdict_line([failed]) == "verdict: ERROR: sum could not be compared"


def test_the_json_document_has_each_side_and_the_binary_against_the_article() -> None:
    document = result_document([sum_result([7, 4, 3])], RUNTIME, Compiler(RUNTIME))
    example = document["examples"][0]
    assert document["verdict"] == "different"
    assert document["runtime"] == {"name": "node", "version": "20.20.2", "path": "/usr/bin/node",
                                   "engine": "V8", "engine_version": "11.3"}
    assert document["compiler"] == {"name": "wabt.js", "version": "1.0.39", "node": "20.20.2"}
    assert example["wasm"]["matches_article"] is False and example["wasm"]["article_size"] == 62
    assert example["steps"][0] == {"step": "after_sum", "type": "Uint32Array", "observed": [7, 4, 3],
                                   "model": [7, 4, 3], "article": [7, 4, 11], "agree": False}
