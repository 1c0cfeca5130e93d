"""Running .wast scripts on the reference model: our own scripts here, the official ones when present."""

from __future__ import annotations

import collections
from pathlib import Path

import pytest

from harness.compiler.wabt import Compiler
from harness.model.versions import SpecVersion
from harness.wast.on_model import run_on_model
from tests.conftest import MEMORY_FILES

WAST = Path(__file__).parent / "wast"
BAD_WAST = Path(__file__).parent / "fixtures" / "wast"  # scripts that must fail or cannot run


def test_every_assertion_of_our_memory_script_holds_on_the_model(compiler: Compiler) -> None:
    cases = run_on_model(WAST / "memory.wast", compiler)
    assert [(c.line, c.status, c.detail) for c in cases if c.status != "pass"] == []
    assert len(cases) == 22
    assert {c.runtime.label for c in cases if c.command == "assert_malformed"} == {"wabt", "reference"}


def test_wrong_expectations_are_reported_as_failures(compiler: Compiler) -> None:
    cases = run_on_model(BAD_WAST / "wrong.wast", compiler)
    assert [(c.id, c.runtime.label, c.status) for c in cases] == [
        ("wrong.wast:2", "reference", "pass"), ("wrong.wast:3", "reference", "fail"),
        ("wrong.wast:4", "reference", "fail"), ("wrong.wast:5", "wabt", "fail"),
        ("wrong.wast:6", "reference", "pass"), ("wrong.wast:7", "reference", "fail"),
        ("wrong.wast:8", "reference", "pass"), ("wrong.wast:9", "reference", "fail"),
        ("wrong.wast:10", "reference", "fail")]
    assert cases[1].detail == "results [0x2] do not match the expectation"
    assert cases[2].detail == "expected Trap, but it succeeded"
    assert cases[5].detail == "results [0x5] do not match the expectation"
    assert cases[7].detail == cases[8].detail == "results [ref.extern 1] do not match the expectation"


def test_our_command_script_passes_on_the_model(compiler: Compiler) -> None:
    cases = {c.line: c for c in run_on_model(WAST / "commands.wast", compiler)}
    assert cases[14].status == "pass" and cases[21].status == "pass"  # add wraps; recursion exhausts the stack
    assert cases[16].status == "pass"  # a signalling NaN passes through local.get bit for bit
    assert cases[22].status == "pass"  # the validator rejects (func (result i32) (i64.const 0))
    # references: identity of (ref.extern N), any (ref.extern), null, any (ref.func), a null table slot
    assert [(line, cases[line].status) for line in range(30, 39) if cases[line].status != "pass"] == []


@pytest.mark.parametrize("name", MEMORY_FILES)
def test_official_memory_scripts_have_no_failure_on_the_model(name: str, spec_core: Path, compiler: Compiler) -> None:
    cases = run_on_model(spec_core / f"{name}.wast", compiler, version=SpecVersion.V2)  # the 2.0 checkout's rules
    counts = collections.Counter(case.status for case in cases)
    assert counts["fail"] == 0, [(c.id, c.detail) for c in cases if c.status == "fail"][:5]
    assert counts["error"] == 0, [(c.id, c.detail) for c in cases if c.status == "error"][:5]
