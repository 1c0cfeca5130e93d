"""Running .wast scripts on the reference model: our own scripts here, the official ones when present."""

from __future__ import annotations

import collections
import os
import shutil
import signal
from pathlib import Path

import pytest

from harness.cli import main
from harness.compiler.wabt import Compiler
from harness.errors import EXIT_BAD_INPUT, RuntimeFailure
from harness.model.versions import SpecVersion
from harness.pipeline.targets import Target
from harness.runtimes.discovery import Runtime, find_compiler_node
from harness.wast import model_process
from harness.wast.on_model import run_on_model
from harness.wast.script import WastError
from harness.wast.signatures import read_checked
from tests.conftest import MEMORY64_FILES, MEMORY_FILES

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


# -- WebAssembly 3.0: 64-bit and several memories ---------------------------------------------------

def _problems(cases: list) -> list[tuple[str, str, str]]:
    return [(case.id, case.status, case.detail) for case in cases if case.status != "pass"]


@pytest.mark.parametrize("name, commands", [("memory64.wast", 44), ("multi_memory.wast", 38), ("v3_only.wast", 5)])
def test_every_assertion_of_our_3_0_memory_scripts_holds_on_the_model(name: str, commands: int,
                                                                      compiler: Compiler) -> None:
    cases = run_on_model(WAST / name, compiler, version=SpecVersion.V3)
    assert _problems(cases) == []
    assert len(cases) == commands  # one case per top-level command


def test_wrong_3_0_expectations_are_reported_as_failures(compiler: Compiler) -> None:
    cases = run_on_model(BAD_WAST / "wrong-3.0.wast", compiler, version=SpecVersion.V3)
    assert [(case.line, case.status, case.detail) for case in cases] == [
        (2, "pass", ""),
        (6, "fail", "Trap: out of bounds memory access"),  # 4 GiB is past a 64-bit memory of one page
        (7, "fail", "results [0xffffffffffffffff] do not match the expectation"),  # -1 is 64 bits wide
        (8, "fail", "results [0x2a] do not match the expectation"),  # the second memory has its own bytes
        (9, "fail", "expected WasmDecodeError, but it succeeded"),  # i64 to i32 memory: an i32 length is right
        (11, "pass", ""),
        (12, "fail", "expected JsException, but it succeeded"),  # same address type, limits within: it links
    ]


def test_modules_valid_by_3_0_rules_are_rejected_by_2_0_rules(compiler: Compiler) -> None:
    by_3_0 = run_on_model(WAST / "v3_only.wast", compiler, version=SpecVersion.V3)
    by_2_0 = {case.line: case for case in run_on_model(WAST / "v3_only.wast", compiler, version=SpecVersion.V2)}
    assert [case.status for case in by_3_0] == ["pass"] * 5
    assert {line: case.status for line, case in by_2_0.items()} == dict.fromkeys((3, 4, 5, 11, 12), "fail")
    # wabt judges text by 2.0's features, the model the binaries
    assert "only one memory block allowed" in by_2_0[3].detail
    assert by_2_0[4].detail.startswith("malformed limits flags 0x04")
    assert "unknown global 0" in by_2_0[5].detail
    assert "not valid in initializer expression: i32.add" in by_2_0[11].detail
    assert by_2_0[12].detail.startswith("zero byte expected")


@pytest.mark.parametrize("version, status", [(SpecVersion.V2, "fail"), (SpecVersion.V3, "pass")])
def test_the_reference_target_judges_by_the_version_of_the_run(compiler: Compiler, version: SpecVersion,
                                                               status: str) -> None:
    target = Target(None, compiler, version=version)  # what linmem run --spec-version builds
    assert {case.status for case in target.wast_cases(WAST / "v3_only.wast")} == {status}


@pytest.mark.parametrize("name", MEMORY64_FILES)
def test_official_memory64_scripts_all_pass_on_the_model(name: str, spec_core_3: Path, compiler: Compiler) -> None:
    cases = run_on_model(spec_core_3 / "memory64" / f"{name}.wast", compiler, version=SpecVersion.V3)
    assert _problems(cases)[:5] == []
    assert cases


def test_official_multi_memory_scripts_all_pass_on_the_model(spec_core_3: Path, compiler: Compiler) -> None:
    scripts = sorted((spec_core_3 / "multi-memory").glob("*.wast"))
    assert len(scripts) == 41, f"{spec_core_3}/multi-memory holds {len(scripts)} scripts; 285a9032 has 41"
    cases = [case for script in scripts for case in run_on_model(script, compiler, version=SpecVersion.V3)]
    assert _problems(cases)[:5] == []
    assert len(cases) == 912


def test_our_v128_values_script_holds_on_the_model_as_on_the_runtimes(compiler: Compiler) -> None:
    # tests/test_wast_js.py runs the same script on the runtime; the twin's failures are the same there
    assert _problems(run_on_model(WAST / "simd_values.wast", compiler)) == []
    wrong = run_on_model(BAD_WAST / "wrong-simd.wast", compiler)
    assert [case.line for case in wrong if case.status == "fail"] == [7, 8, 9, 10, 11, 13]


MALFORMED_SCRIPT = b"""(assert_malformed (module quote "(func (i32.const 1) (i32.ad))") "unknown operator")
(assert_malformed (module quote "(func (result i32) (i32.const 1))") "a module wabt parses")
"""


def test_wabt_rejecting_malformed_text_is_remembered_and_asks_no_wabt_process_next_time(
        tmp_path: Path, node_runtime: Runtime) -> None:
    script = tmp_path / "malformed.wast"
    script.write_bytes(MALFORMED_SCRIPT)
    statuses = []
    for run in range(2):
        with Compiler(find_compiler_node(node_runtime), cache_dir=tmp_path / "cache") as compiler:
            cases = run_on_model(script, compiler)
            statuses.append({case.line: case.status for case in cases if case.runtime.label == "wabt"})
            if run == 1:  # both texts answered from the cache: the rejection, and the module wabt accepted
                assert compiler.compilations == 0 and compiler._worker is None
    # wabt rejects the unknown operator (pass); it parses the second text, which the script calls malformed (fail)
    assert statuses == [{1: "pass", 2: "fail"}] * 2


CHECKED_SCRIPT = b"""(module (func (export "f") (param i32) (result i32) (local.get 0)))
(assert_return (invoke "f" (i32.const 7)) (i32.const 7))
"""


def test_a_script_read_once_is_loaded_from_the_cache_until_its_bytes_change(tmp_path: Path,
                                                                            node_runtime: Runtime) -> None:
    script = tmp_path / "checked.wast"
    script.write_bytes(CHECKED_SCRIPT)
    runtime = find_compiler_node(node_runtime)
    with Compiler(runtime, cache_dir=tmp_path / "cache") as first:
        commands = read_checked(script, first)
        assert first.compilations == 1  # the module, compiled to check the action against its export
    assert len(list((tmp_path / "cache" / "scripts").rglob("*.pickle"))) == 1
    with Compiler(runtime, cache_dir=tmp_path / "cache") as second:
        shutil.rmtree(tmp_path / "cache" / next(iter(
            path.name for path in (tmp_path / "cache").iterdir() if path.name != "scripts")))  # no compiled module left
        assert read_checked(script, second) == commands
        assert second.compilations == 0 and second._worker is None
        # one argument too many: the edited script is read (and checked) again, and its error said again
        script.write_bytes(CHECKED_SCRIPT.replace(b"(i32.const 7)) (i32", b"(i32.const 7) (i32.const 8)) (i32"))
        for _ in range(2):
            with pytest.raises(WastError, match="2 arguments given, the function takes"):
                read_checked(script, second)


APART_SCRIPT = b"""(module (memory 1) (func (export "load") (param i32) (result i32) (i32.load8_u (local.get 0)))
  (data (i32.const 3) "\\2a"))
(assert_return (invoke "load" (i32.const 3)) (i32.const 42))
(assert_return (invoke "load" (i32.const 4)) (i32.const 42))
(assert_trap (invoke "load" (i32.const 65536)) "out of bounds memory access")
"""


def test_the_model_in_a_process_of_its_own_judges_a_script_as_in_this_one(tmp_path: Path, compiler: Compiler) -> None:
    script = tmp_path / "apart.wast"
    script.write_bytes(APART_SCRIPT)
    seen: list[int] = []
    target = Target(None, compiler, model_apart=True)
    try:
        apart = target.wast_cases(script, lambda case: seen.append(case.line))
        pid = target._model_process._process.pid  # type: ignore[union-attr]
    finally:
        target.close()
    here = run_on_model(script, compiler)
    # line 4 expects 42 where the data segment left 0: a failure, on both sides
    assert [(case.line, case.status, case.detail) for case in apart] == \
        [(case.line, case.status, case.detail) for case in here]
    assert [case.status for case in apart] == ["pass", "pass", "fail", "pass"] and seen == [1, 3, 4, 5]
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)  # closed with its target


def test_a_model_process_that_dies_is_a_runtime_failure(tmp_path: Path, compiler: Compiler) -> None:
    script = tmp_path / "apart.wast"
    script.write_bytes(APART_SCRIPT)
    target = Target(None, compiler, model_apart=True)
    try:
        target.wast_cases(script)
        os.kill(target._model_process._process.pid, signal.SIGKILL)  # type: ignore[union-attr]
        with pytest.raises(RuntimeFailure, match="reference model's process ended .*SIGKILL"):
            target.wast_cases(script)
    finally:
        target.close()


def test_a_run_that_stops_at_bad_input_leaves_no_model_process_behind(tmp_path: Path, capsys,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "bad.wast").write_text('(module (func (export "f")))\n(assert_return (invoke "g"))\n')
    started = []
    spawn = model_process._spawn
    monkeypatch.setattr(model_process, "_spawn", lambda: started.append(spawn()) or started[-1])
    assert main(["run", str(tmp_path / "bad.wast")]) == EXIT_BAD_INPUT
    assert "bad.wast:2:" in capsys.readouterr().err
    [(process, connection)] = started  # started ahead, while the script was read
    assert process.returncode is not None and connection.closed and model_process._spare is None
