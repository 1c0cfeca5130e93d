"""The article's two examples on real Node and on the model, and their deliberate-difference twins."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.article.examples import (
    DEMO,
    SUM,
    compare_example,
    run_on_model,
    wasm_file_for,
)
from harness.compiler.wabt import Compiler
from harness.errors import RuntimeFailure
from harness.model import codegen
from harness.model.opcodes import BY_NAME
from harness.runtimes.discovery import Runtime

FIXTURES = Path(__file__).parent / "fixtures"


def test_demo_agrees_on_node_the_model_and_the_article(compiler: Compiler, node_runtime: Runtime) -> None:
    result = compare_example(DEMO, compiler.compile_file(DEMO.wat_path), node_runtime)
    assert result.error is None and result.binary_matches
    assert [(s.step, s.observed) for s in result.steps] == [
        ("bytes", [120, 225, 187, 139, 110, 32, 120, 195, 178]), ("text", "xịn xò")]
    assert result.agree


def test_sum_agrees_on_node_the_model_and_the_article(compiler: Compiler, node_runtime: Runtime) -> None:
    result = compare_example(SUM, compiler.compile_file(SUM.wat_path), node_runtime)
    assert [(s.step, s.observed, s.model) for s in result.steps] == [
        ("before_sum", [7, 4, 0], [7, 4, 0]), ("after_sum", [7, 4, 11], [7, 4, 11])]
    assert result.agree


def test_a_changed_byte_is_reported_against_the_article(compiler: Compiler, node_runtime: Runtime) -> None:
    result = compare_example(DEMO, compiler.compile_file(FIXTURES / "changed_byte_demo.wat"), node_runtime)
    assert not result.binary_matches and not result.agree
    bytes_step, text_step = result.steps
    assert bytes_step.observed == bytes_step.model != bytes_step.article
    assert bytes_step.where() == "runtime and model differ from the article at [8]"
    assert text_step.observed == "xịn xó" and not text_step.agree


def test_a_wrong_sum_is_reported_against_the_article(compiler: Compiler, node_runtime: Runtime) -> None:
    result = compare_example(SUM, compiler.compile_file(FIXTURES / "wrong_sum.wat"), node_runtime)
    after = result.steps[1]
    assert after.observed == after.model == [7, 4, 3]
    assert not after.agree and after.where() == "runtime and model differ from the article at [2]"


def test_a_model_that_disagrees_with_node_is_reported(compiler: Compiler, node_runtime: Runtime,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(codegen.LOOSE_BINARY, BY_NAME["i32.add"], ("{a} - {b}", 0xFFFFFFFF, False))
    result = compare_example(SUM, compiler.compile_file(SUM.wat_path), node_runtime)
    after = result.steps[1]
    assert (after.observed, after.model) == ([7, 4, 11], [7, 4, 3])
    assert after.where() == "runtime and model differ at [2]"
    assert not result.agree


def test_the_model_computes_sum_by_executing_the_binary(compiler: Compiler) -> None:
    wasm = compiler.compile_file(FIXTURES / "wrong_sum.wat").wasm_bytes
    assert run_on_model(SUM, wasm)["after_sum"] == ("Uint32Array", [7, 4, 3])


def test_a_program_that_fails_on_node_is_an_error_with_its_stderr(compiler: Compiler, node_runtime: Runtime) -> None:
    result = compare_example(SUM, compiler.compile_file(FIXTURES / "trapping_sum.wat"), node_runtime)
    node_error, model_error = result.errors
    assert isinstance(node_error, RuntimeFailure) and "failed with exit code 1" in node_error.message
    assert "RuntimeError" in node_error.detail
    assert model_error.message == "the reference model could not run the sum example: unreachable"
    assert result.steps == [] and not result.agree


def test_a_damaged_binary_file_for_node_is_rewritten_before_node_reads_it(compiler: Compiler, node_runtime: Runtime,
                                                                           tmp_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LINMEM_CACHE_DIR", str(tmp_path))
    module = compiler.compile_file(DEMO.wat_path)
    path = wasm_file_for(module)
    path.write_bytes(module.wasm_bytes[:-1] + b"\x00")
    assert compare_example(DEMO, module, node_runtime).agree
    assert path.read_bytes() == module.wasm_bytes
