"""The ``linmem`` command as a user runs it: output, exit status, and every bad input."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

try:
    import tomllib
except ModuleNotFoundError:  # Python < 3.11
    import tomli as tomllib

from harness.runtimes.discovery import Runtime
from tests.conftest import write_file

FIXTURES = Path(__file__).parent / "fixtures"
DEMO_SHA256 = "658020eeee7442e4a93ef56df5946eef14df96544191fc0d391bf130575e1647"
SUM_SHA256 = "ee4dd87b72e05bfaea8b5cf45047fd5b83c74465cf02cb078476b2a5ffbdec09"


def assert_one_clean_error(completed: subprocess.CompletedProcess[str], *fragments: str) -> str:
    assert completed.returncode == 2, completed.stderr + completed.stdout
    assert "Traceback" not in completed.stderr + completed.stdout
    first = completed.stderr.splitlines()[0]
    assert first.startswith("linmem: error: ")
    for fragment in fragments:
        assert fragment in first
    return first


def test_reproduce_prints_node_and_model_values_and_agrees(run_linmem) -> None:
    completed = run_linmem("reproduce")
    assert completed.returncode == 0, completed.stderr
    out = completed.stdout
    assert "Uint32Array(3) [ 7, 4, 11 ]   Uint32Array(3) [ 7, 4, 11 ]   Uint32Array(3) [ 7, 4, 11 ]" in out
    assert out.count("xịn xò") == 3
    assert f"42 bytes, sha256 {DEMO_SHA256} = the article's binary" in out
    assert f"62 bytes, sha256 {SUM_SHA256} = the article's binary" in out
    assert out.rstrip().endswith("verdict: AGREE: the runtime, the reference model and the article agree on all 4 "
                                 "values and both binaries")


def test_reproduce_json_has_both_binaries_every_value_and_the_runtime(run_linmem, tmp_path: Path,
                                                                      node_runtime: Runtime) -> None:
    report = tmp_path / "result.json"
    assert run_linmem("reproduce", "--json", str(report)).returncode == 0
    document = json.loads(report.read_text(encoding="utf-8"))
    assert document["runtime"]["name"] == node_runtime.name and document["runtime"]["version"] == node_runtime.version
    assert document["verdict"] == "agree"
    assert [e["wasm"]["sha256"] for e in document["examples"]] == [DEMO_SHA256, SUM_SHA256]
    after_sum = document["examples"][1]["steps"][1]
    assert {k: after_sum[k] for k in ("observed", "model", "article")} == {
        "observed": [7, 4, 11], "model": [7, 4, 11], "article": [7, 4, 11]}
    assert not list(tmp_path.glob("*.part"))


def test_python_dash_m_and_the_console_script_are_the_same_program() -> None:
    script = Path(sys.executable).parent / "linmem"
    assert script.exists() or shutil.which("linmem"), "pip install -e . installs the linmem console script"
    completed = subprocess.run([str(script) if script.exists() else "linmem", "--version"],
                               capture_output=True, text=True, timeout=60)
    declared = tomllib.loads((Path(__file__).resolve().parent.parent / "pyproject.toml").read_text())
    assert completed.stdout.strip() == f"linmem {declared['project']['version']}"


def test_a_wrong_sum_exits_with_one_and_shows_the_step(run_linmem) -> None:
    completed = run_linmem("reproduce", "--sum", str(FIXTURES / "wrong_sum.wat"))
    assert completed.returncode == 1
    assert "step after_sum (Uint32Array): DIFFERENT: runtime and model differ from the article at [2]" in completed.stdout
    assert "Uint32Array(3) [ 7, 4, 3 ]" in completed.stdout
    assert "DIFFERENT from the article's 62 bytes" in completed.stdout


def test_a_changed_byte_exits_with_one(run_linmem) -> None:
    completed = run_linmem("reproduce", "--demo", str(FIXTURES / "changed_byte_demo.wat"))
    assert completed.returncode == 1
    assert "step bytes (Uint8Array): DIFFERENT" in completed.stdout


def test_compile_writes_the_binary(run_linmem, tmp_path: Path) -> None:
    output = tmp_path / "demo.wasm"
    completed = run_linmem("compile", "wat/demo.wat", "-o", str(output))
    assert completed.returncode == 0, completed.stderr
    assert hashlib.sha256(output.read_bytes()).hexdigest() == DEMO_SHA256
    assert completed.stdout.strip() == f"{output}: 42 bytes, sha256 {DEMO_SHA256}"


def test_malformed_wat_names_file_line_column_and_shows_the_caret(run_linmem, tmp_path: Path) -> None:
    source = write_file(tmp_path, "bad.wat", "(module\n  (func (i32.ad (i32.const 1))))\n")
    completed = run_linmem("compile", str(source), "-o", str(tmp_path / "out.wasm"))
    assert_one_clean_error(completed, f"{source}:2:10: malformed module: unexpected token \"i32.ad\"")
    assert completed.stderr.splitlines()[1:] == ["    (func (i32.ad (i32.const 1))))", "           ^^^^^^"]
    assert not (tmp_path / "out.wasm").exists()


def test_wat_that_does_not_validate_is_an_invalid_module(run_linmem, tmp_path: Path) -> None:
    source = write_file(tmp_path, "invalid.wat", "(module (func (result i32)))")
    assert_one_clean_error(run_linmem("compile", str(source), "-o", str(tmp_path / "o.wasm")),
                           f"{source}:1:", "invalid module: type mismatch")


def test_a_missing_file_is_one_line(run_linmem, tmp_path: Path) -> None:
    assert_one_clean_error(run_linmem("reproduce", "--sum", str(tmp_path / "nope.wat")),
                           f"{tmp_path / 'nope.wat'}: no such file")


def test_a_wasm_file_that_is_not_wasm_is_one_line(run_linmem, tmp_path: Path) -> None:
    fake = tmp_path / "fake.wasm"
    fake.write_text("(module)")
    assert_one_clean_error(run_linmem("reproduce", "--demo", str(fake)), f"{fake}: not a WebAssembly binary")


def test_a_truncated_wasm_file_names_the_byte_offset(run_linmem, tmp_path: Path) -> None:
    truncated = tmp_path / "truncated.wasm"
    truncated.write_bytes(bytes.fromhex("0061736d01000000050301"))
    assert_one_clean_error(run_linmem("reproduce", "--demo", str(truncated)), f"{truncated}: ", "byte offset")


def test_node_option_naming_something_that_is_not_node(run_linmem, tmp_path: Path) -> None:
    impostor = tmp_path / "node"
    impostor.write_text("#!/bin/sh\necho not node\n")
    impostor.chmod(0o755)
    assert_one_clean_error(run_linmem("reproduce", "--node", str(impostor)),
                           f"--node names {impostor}, which is not a working Node")
    assert_one_clean_error(run_linmem("reproduce", "--node", str(tmp_path / "absent")), "which does not exist")


def test_linmem_node_is_honoured_and_reported(run_linmem, node_runtime: Runtime) -> None:
    completed = run_linmem("reproduce", env={"LINMEM_NODE": node_runtime.path})
    assert completed.returncode == 0
    assert completed.stdout.splitlines()[0].endswith(f"at {node_runtime.path}, from LINMEM_NODE")


def test_a_node_program_that_exits_non_zero_shows_its_stderr_tail(run_linmem) -> None:
    completed = run_linmem("reproduce", "--sum", str(FIXTURES / "trapping_sum.wat"))
    assert completed.returncode == 2
    assert "Traceback" not in completed.stdout + completed.stderr
    assert "ERROR: " in completed.stdout and "failed with exit code 1" in completed.stdout
    assert "RuntimeError" in completed.stdout
    assert "verdict: ERROR: sum could not be compared" in completed.stdout


@pytest.mark.needs_node("the noise comes from a NODE_OPTIONS preload")
def test_a_node_that_prints_something_other_than_json_is_an_error(run_linmem) -> None:
    noise = FIXTURES / "js" / "stdout_noise.js"
    completed = run_linmem("reproduce", env={"NODE_OPTIONS": f"--require {noise}"})
    assert completed.returncode == 2
    assert "printed something that is not the expected JSON" in completed.stdout
    assert "Debugger listening on nothing in particular" in completed.stdout


def test_unknown_feature_and_bad_arguments_exit_two(run_linmem, tmp_path: Path) -> None:
    assert_one_clean_error(run_linmem("compile", "wat/demo.wat", "-o", str(tmp_path / "x.wasm"), "--enable", "magic"),
                           "unknown wabt feature 'magic'")
    assert run_linmem("frobnicate").returncode == 2


def test_output_into_a_missing_directory_is_one_line(run_linmem, tmp_path: Path) -> None:
    assert_one_clean_error(run_linmem("compile", "wat/demo.wat", "-o", str(tmp_path / "no" / "x.wasm")),
                           f"cannot write -o here: the directory {tmp_path / 'no'} does not exist")


def unwritable(tmp_path: Path) -> list[tuple[Path, str]]:
    """Output paths that cannot be written, each with what the error must say about it."""
    regular = write_file(tmp_path, "regular.txt", "x\n")
    return [(Path("/proc/linmem-out"), "the directory /proc does not accept new files"),
            (tmp_path, "it is a directory"), (regular / "x", f"{regular} is not a directory")]


@pytest.mark.parametrize("command", [["compile", "wat/demo.wat", "-o"], ["reproduce", "--json"]])
def test_an_output_path_that_cannot_be_written_is_one_line_before_any_work(run_linmem, tmp_path: Path,
                                                                         command: list[str]) -> None:
    for path, why in unwritable(tmp_path):
        completed = run_linmem(*command, str(path))
        assert_one_clean_error(completed, f"{path}: cannot write {command[-1]} here: {why}")
        assert completed.stderr.count("\n") == 1 and completed.stdout == "", "nothing ran"


@pytest.mark.parametrize("command", [["compile", "wat/demo.wat", "-o"], ["reproduce", "--json"]])
def test_an_output_to_dev_full_is_one_line_and_the_device_stays(run_linmem, command: list[str]) -> None:
    completed = run_linmem(*command, "/dev/full")
    assert_one_clean_error(completed, f"/dev/full: cannot write {command[-1]} here: No space left on device")
    assert stat.S_ISCHR(os.lstat("/dev/full").st_mode), "the device was replaced"


def test_reproduce_json_to_dev_stdout_is_written_there(run_linmem) -> None:
    completed = run_linmem("reproduce", "--json", "/dev/stdout")
    assert completed.returncode == 0, completed.stderr
    assert json.loads("{" + completed.stdout.split("\n{", 1)[1])["verdict"] == "agree"


SCENARIOS = Path(__file__).parent / "scenarios"


def test_run_over_the_library_passes_and_writes_every_report(run_linmem, real_modules, tmp_path: Path) -> None:
    completed = run_linmem("run", "tests/scenarios", "--json", str(tmp_path / "r.json"), "--junit", str(tmp_path / "r.xml"))
    assert completed.returncode == 0, completed.stdout[-2000:]
    document = json.loads((tmp_path / "r.json").read_text())
    assert len(document["cases"]) >= 40
    assert {case["status"] for case in document["cases"]} <= {"pass", "unsupported"}
    assert document["summary"]["pass"] >= 40
    assert (tmp_path / "r.xml").read_text().startswith("<?xml")


def test_run_exits_one_on_a_difference(run_linmem, tmp_path: Path) -> None:
    wat = '(module (memory (export "memory") 1))'
    scenario = write_file(tmp_path, "x.scenario.toml", f"wat = '{wat}'\n[[steps]]\nop = \"size\"\nexpect = {{ pages = 2, byte_length = 131072 }}\n")
    completed = run_linmem("run", str(scenario))
    assert completed.returncode == 1
    assert "FAIL: " in completed.stdout and 'expect:    {"pages": 2, "byte_length": 131072}' in completed.stdout


def test_run_rejects_a_bad_scenario_with_one_line_naming_file_step_and_key(run_linmem, tmp_path: Path) -> None:
    scenario = write_file(tmp_path, "bad.scenario.toml",
                          'wat = "(module)"\n[[steps]]\nop = "read"\nview = "Uint33Array"\noffset = 0\n')
    assert_one_clean_error(run_linmem("run", str(scenario)),
                           f"{scenario}: step 1: key 'view': unknown view 'Uint33Array'; expected one of")


def test_run_rejects_a_call_to_a_missing_export(run_linmem, tmp_path: Path) -> None:
    scenario = write_file(tmp_path, "bad.scenario.toml", 'wat = "(module)"\n[[steps]]\nop = "call"\nexport = "nope"\n')
    assert_one_clean_error(run_linmem("run", str(scenario)),
                           f"{scenario}: step 1: key 'export': the module exports no function 'nope'")


def test_run_reports_wat_errors_in_inline_modules(run_linmem, tmp_path: Path) -> None:
    scenario = write_file(tmp_path, "bad.scenario.toml", 'wat = "(module (func (i32.ad)))"\n')
    assert_one_clean_error(run_linmem("run", str(scenario)), f"{scenario} (wat):1:16: malformed module")


def test_run_update_pins_the_references_observations(run_linmem, tmp_path: Path) -> None:
    scenario = write_file(tmp_path, "u.scenario.toml",
                          'wat = \'(module (memory (export "memory") 2))\'\n[[steps]]\nop = "size"\n')
    completed = run_linmem("run", "--update", str(scenario))
    assert completed.returncode == 0 and "1 of 1 scenario file updated" in completed.stdout
    assert "expect = {pages = 2, byte_length = 131072}" in scenario.read_text()
    assert run_linmem("run", str(scenario)).returncode == 0


def test_run_update_through_a_symlink_rewrites_its_target_and_keeps_the_link(run_linmem, tmp_path: Path) -> None:
    target = write_file(tmp_path, "real.scenario.json",
                        '{"wat": "(module (memory (export \\"memory\\") 3))", "steps": [{"op": "size"}]}\n')
    link = tmp_path / "linked" / "u.scenario.json"
    link.parent.mkdir()
    link.symlink_to(target)
    completed = run_linmem("run", "--update", str(link))
    assert completed.returncode == 0 and "1 of 1 scenario file updated" in completed.stdout, completed.stderr
    assert link.is_symlink() and link.resolve() == target
    assert json.loads(target.read_text())["steps"][0]["expect"] == {"pages": 3, "byte_length": 196608}


def test_the_articles_programs_reproduce_on_node_14(run_linmem, provisioned) -> None:
    provisioned("14")
    completed = run_linmem("reproduce", "--node", "14")
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert completed.stdout.startswith("runtime: node 14.19.3 (V8 8.4")
    assert "compiler: wabt.js 1.0.39 on node " in completed.stdout  # compiled by a newer Node


def test_the_articles_programs_reproduce_on_deno_and_bun(run_linmem, provisioned) -> None:
    for spec in ("deno", "bun"):
        provisioned(spec)
        completed = run_linmem("reproduce", "--node", spec)
        assert completed.returncode == 0, completed.stdout + completed.stderr
        assert completed.stdout.startswith(f"runtime: {spec} ")


#: the scenarios of tests/scenarios/differences/ that fail on Deno or Bun, each where it parts from the spec text
KNOWN_ENGINE_DIFFERENCES = {
    ("deno", "shared-grow-zero.scenario.toml"), ("bun", "shared-grow-zero.scenario.toml"),
    ("deno", "text-decoder-resizable.scenario.toml"), ("bun", "text-decoder-resizable.scenario.toml"),
    ("bun", "resizable-without-maximum.scenario.toml"),
}


def test_the_library_is_pass_or_unsupported_on_node_14_deno_and_bun_but_for_known_engine_differences(run_linmem, provisioned, real_modules,
                                                                    tmp_path: Path) -> None:
    for spec in ("14", "deno", "bun"):
        provisioned(spec)
    completed = run_linmem("run", "tests/scenarios", "--node", "14", "--node", "deno", "--node", "bun",
                           "--json", str(tmp_path / "m.json"))
    assert completed.returncode == 1, completed.stdout[-3000:]  # the engine differences below
    cases = json.loads((tmp_path / "m.json").read_text())["cases"]
    failures = {(case["runtime"]["name"], Path(case["file"]).name) for case in cases if case["status"] == "fail"}
    assert failures == KNOWN_ENGINE_DIFFERENCES  # docs/differences.md: where Deno and Bun part from the spec text
    cases = [case for case in cases if (case["runtime"]["name"], Path(case["file"]).name) not in failures]
    statuses = {(case["runtime"]["name"], case["status"]) for case in cases}
    assert statuses <= {("node", "pass"), ("node", "unsupported"), ("deno", "pass"), ("bun", "pass"),
                        ("bun", "unsupported")}
    # Bun (JavaScriptCore) lacks only memory64: its JS API refuses {address: "i64"}
    assert all("lacks 64-bit memories" in case["detail"] for case in cases
               if (case["runtime"]["name"], case["status"]) == ("bun", "unsupported"))


def test_runtimes_lists_installed_and_installable(run_linmem) -> None:
    completed = run_linmem("runtimes")
    assert completed.returncode == 0
    assert completed.stdout.startswith("installed:\n  node ")
    assert "  bun      npm package @oven/bun-linux-x64" in completed.stdout


def test_an_unknown_runtime_spec_is_one_line(run_linmem) -> None:
    assert_one_clean_error(run_linmem("run", "tests/scenarios", "--node", "13"), "unknown runtime spec '13'")
