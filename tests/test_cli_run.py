"""``linmem run`` over any mix of case files and directories: one table, one report set, every kind.

Expected values come from the fixture files themselves: ``tests/wast/memory.wast``
has 22 commands (one of them malformed text, judged by wabt), and
``tests/fixtures/wast/wrong.wast`` fails at lines 3, 4, 7, 9 and 10 on every
engine and at line 5 on wabt (its comments say why).
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from harness.runtimes.discovery import Runtime
from tests.conftest import write_file
from tests.test_cli import assert_one_clean_error

TESTS = Path(__file__).parent
SUM_SCENARIO = TESTS / "scenarios" / "article" / "sum.scenario.toml"
GOOD_WAST = TESTS / "wast" / "memory.wast"
WRONG_WAST = TESTS / "fixtures" / "wast" / "wrong.wast"
SIZE_WAT = '(module (memory (export "memory") 2))'


def size_scenario(directory: Path, name: str, pages: int) -> Path:
    """A scenario whose one step expects ``pages`` pages of a 2-page memory."""
    return write_file(directory, name, f"wat = '{SIZE_WAT}'\n[[steps]]\nop = \"size\"\n"
                                       f"expect = {{ pages = {pages}, byte_length = {pages * 65536} }}\n")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A directory with a scenario and a .wast script, one level apart."""
    size_scenario(tmp_path, "size.scenario.toml", 2)
    (tmp_path / "spec").mkdir()
    shutil.copy(GOOD_WAST, tmp_path / "spec" / "memory.wast")
    return tmp_path


def reports(tmp_path: Path) -> list[str]:
    return ["--json", str(tmp_path / "r.json"), "--junit", str(tmp_path / "r.xml"),
            "--html", str(tmp_path / "r.html"), "--markdown", str(tmp_path / "r.md")]


@pytest.mark.needs_feature("bigint_i64")  # the counts are those of a runtime that makes memory.wast's i64 calls
def test_a_directory_of_scenarios_and_scripts_is_one_table_and_one_report_set(
        run_linmem, project: Path, tmp_path_factory: pytest.TempPathFactory, node_runtime: Runtime) -> None:
    out = tmp_path_factory.mktemp("reports")
    completed = run_linmem("run", str(project), *reports(out), cwd=project)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    header, *rows = completed.stdout.split("\n\n")[1].splitlines()
    assert header.split() == ["file", "reference", "wabt", node_runtime.label()]
    assert [row.split() for row in rows] == [["size.scenario.toml", "-", "-", "pass"],
                                             ["spec/memory.wast", "21", "pass", "pass", "21", "pass"]]
    assert "summary: 44 pass, 0 fail, 0 error, 0 unsupported" in completed.stdout
    document = json.loads((out / "r.json").read_text())
    assert {(case["kind"], case["runtime"]["name"]) for case in document["cases"]} == {
        ("scenario", node_runtime.name), ("wast", "reference"), ("wast", "wabt"), ("wast", node_runtime.name)}
    assert document["summary"] == {"pass": 44, "fail": 0, "error": 0, "unsupported": 0}
    markdown = (out / "r.md").read_text()
    assert "| `size.scenario.toml` |" in markdown and "| `spec/memory.wast` | 21 pass | pass | 21 pass |" in markdown
    assert 'data-name="spec/memory.wast"' in (out / "r.html").read_text()
    assert (out / "r.xml").read_text().count("<testcase ") == 44


@pytest.mark.needs_feature("bigint_i64")
@pytest.mark.needs_feature("reference_types")  # wrong.wast passes externref values
def test_a_difference_of_either_kind_fails_the_run_and_is_listed(run_linmem, project: Path) -> None:
    size_scenario(project, "wrong.scenario.toml", 3)
    shutil.copy(WRONG_WAST, project / "spec" / "wrong.wast")
    completed = run_linmem("run", str(project), cwd=project)
    assert completed.returncode == 1
    assert "FAIL: wrong.scenario.toml on " in completed.stdout
    assert 'expect:    {"pages": 3, "byte_length": 196608}' in completed.stdout
    assert "FAIL: spec/wrong.wast:5 assert_malformed on wabt\n  wabt parsed text the script calls malformed" \
        in completed.stdout
    # wrong.wast: its 3 modules pass on the model and the runtime; 5 commands fail on each, 1 on wabt
    assert "summary: 50 pass, 12 fail, 0 error, 0 unsupported" in completed.stdout


def test_files_of_both_kinds_named_together_all_run(run_linmem, project: Path, tmp_path: Path) -> None:
    completed = run_linmem("run", str(project / "spec" / "memory.wast"), str(project / "size.scenario.toml"),
                           "--json", str(tmp_path / "r.json"), cwd=project)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    kinds = [case["kind"] for case in json.loads((tmp_path / "r.json").read_text())["cases"]]
    assert kinds.count("scenario") == 1 and kinds.count("wast") == 43


def test_node_reference_judges_scenarios_by_their_expect_on_the_model_alone(run_linmem, project: Path,
                                                                             tmp_path: Path) -> None:
    completed = run_linmem("run", str(project), "--node", "reference", "--json", str(tmp_path / "r.json"),
                           cwd=project)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert not completed.stdout.startswith("runtime:")  # no JavaScript runtime ran
    cases = json.loads((tmp_path / "r.json").read_text())["cases"]
    assert {case["runtime"]["name"] for case in cases} == {"reference", "wabt"}
    assert [case["status"] for case in cases if case["kind"] == "scenario"] == ["pass"]


def test_node_reference_fails_a_scenario_whose_expect_the_model_contradicts(run_linmem, project: Path) -> None:
    wrong = size_scenario(project, "wrong.scenario.toml", 3)
    completed = run_linmem("run", str(wrong), "--node", "reference", cwd=project)
    assert completed.returncode == 1
    assert "FAIL: wrong.scenario.toml on reference" in completed.stdout


def test_node_reference_beside_a_runtime_gives_both_columns(run_linmem, project: Path, node_runtime: Runtime) -> None:
    completed = run_linmem("run", str(project / "size.scenario.toml"), "--node", "reference",
                           "--node", node_runtime.path, cwd=project)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert completed.stdout.split("\n\n")[1].splitlines()[1].split() == ["size.scenario.toml", "pass", "pass"]


def test_a_named_file_of_no_kind_is_one_line_not_silently_dropped(run_linmem, project: Path) -> None:
    notes = write_file(project, "notes.toml", "x = 1\n")
    assert_one_clean_error(run_linmem("run", str(project / "size.scenario.toml"), str(notes)),
                           f"{notes}: not one of the scenario files")


def test_a_bad_script_is_found_before_anything_runs(run_linmem, project: Path) -> None:
    bad = write_file(project / "spec", "bad.wast", "(module)\n(frobnicate)\n")
    assert_one_clean_error(run_linmem("run", str(project)), f"{bad}:2")


@pytest.mark.parametrize("name, body, fragment", [
    ("long.scenario.toml", "wat = '(module)'\n[[steps]]\nop = \"grow\"\ndelta = " + "9" * 4301 + "\n",
     "long.scenario.toml:4:9: an integer literal of 4,301 digits is too long (at most 4,300)"),
    ("deep.scenario.json", '{"wat": "(module)", "x": ' + "[" * 50_000 + "]" * 50_000 + "}",
     "deep.scenario.json:1:125: values nest more than 100 levels deep"),  # 25 characters, then the 100th "["
    ("wrong.scenario.toml", "wat = '(module (memory 1))'\n[[steps]]\nop = \"read\"\nview = [1, 2]\noffset = 0\n",
     "wrong.scenario.toml: step 1: key 'view': unknown view [1, 2]"),
])
def test_unreadable_scenarios_are_one_clean_line_and_exit_2(run_linmem, tmp_path: Path, name: str, body: str,
                                                            fragment: str) -> None:
    write_file(tmp_path, name, body)
    assert_one_clean_error(run_linmem("run", name, cwd=tmp_path), fragment)


def unwritable_paths(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    """Report paths that cannot be written, each with what the error must say about it."""
    regular = write_file(tmp_path, "regular.txt", "x\n")
    return {"proc": (Path("/proc/linmem-report"), "the directory /proc does not accept new files"),
            "directory": (tmp_path, "it is a directory"),
            "under a regular file": (regular / "r.json", f"{regular} is not a directory"),
            "missing directory": (tmp_path / "absent" / "r.json", f"the directory {tmp_path / 'absent'} does not exist")}


@pytest.mark.parametrize("option", ["--json", "--junit", "--html", "--markdown"])
@pytest.mark.parametrize("kind", ["proc", "directory", "under a regular file", "missing directory"])
def test_a_report_path_that_cannot_be_written_is_one_line_before_the_run(run_linmem, project: Path, tmp_path: Path,
                                                                         option: str, kind: str) -> None:
    path, why = unwritable_paths(tmp_path)[kind]
    completed = run_linmem("run", str(project / "size.scenario.toml"), option, str(path), cwd=project)
    assert_one_clean_error(completed, f"{path}: cannot write {option} here: {why}")
    assert completed.stderr.count("\n") == 1 and completed.stdout == "", "nothing ran"
    assert not list(tmp_path.rglob("*.probe")) and not list(tmp_path.rglob("*.part"))


@pytest.mark.parametrize("option", ["--json", "--junit", "--html", "--markdown"])
def test_a_report_to_dev_full_is_one_line_and_the_device_stays(run_linmem, project: Path, option: str) -> None:
    completed = run_linmem("run", str(project / "size.scenario.toml"), option, "/dev/full", cwd=project)
    assert_one_clean_error(completed, f"/dev/full: cannot write {option} here: No space left on device")
    assert stat.S_ISCHR(os.lstat("/dev/full").st_mode), "the device was replaced"


def test_a_report_to_a_fifo_is_written_into_it_and_the_fifo_stays(run_linmem, project: Path, tmp_path: Path) -> None:
    fifo = tmp_path / "report.fifo"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()
    completed = run_linmem("run", str(project / "size.scenario.toml"), "--json", str(fifo), cwd=project)
    reader.join(timeout=60)
    assert completed.returncode == 0, completed.stderr
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert json.loads(received[0])["summary"]["pass"] == 1


def test_a_report_to_dev_stdout_follows_the_table(run_linmem, project: Path) -> None:
    completed = run_linmem("run", str(project / "size.scenario.toml"), "--json", "/dev/stdout", cwd=project)
    assert completed.returncode == 0, completed.stderr
    table, report = completed.stdout.split("\n{\n", 1)
    assert "summary: 1 pass" in table
    assert json.loads("{\n" + report)["summary"]["pass"] == 1


def test_a_report_to_dev_stdout_redirected_to_a_file_is_appended_to_it(project: Path, tmp_path: Path,
                                                                        npm_side: Path) -> None:
    out = tmp_path / "out.txt"
    with out.open("wb") as stdout:
        code = subprocess.run([sys.executable, "-m", "harness", "run", "size.scenario.toml", "--json", "/dev/stdout"],
                              stdout=stdout, stderr=subprocess.PIPE, cwd=project, timeout=180).returncode
    assert code == 0
    table, report = out.read_text().split("\n{\n", 1)
    assert table.startswith("runtime: ") and "summary: 1 pass" in table
    assert json.loads("{\n" + report)["summary"]["pass"] == 1


def test_a_report_through_a_symlink_replaces_its_target_and_keeps_the_link(run_linmem, project: Path,
                                                                          tmp_path: Path) -> None:
    target = write_file(tmp_path, "target.json", "old\n")
    link = tmp_path / "link.json"
    link.symlink_to(target)
    assert run_linmem("run", str(project / "size.scenario.toml"), "--json", str(link), cwd=project).returncode == 0
    assert link.is_symlink() and json.loads(target.read_text())["summary"]["pass"] == 1


@pytest.mark.parametrize("value", ["0", "-1", "nan", "inf", "-inf", "soon"])
def test_a_timeout_that_is_not_a_positive_finite_number_is_one_line_and_exit_2(run_linmem, project: Path,
                                                                               value: str) -> None:
    completed = run_linmem("run", "size.scenario.toml", f"--timeout={value}", cwd=project)
    first = assert_one_clean_error(completed)
    assert first == f"linmem: error: --timeout: expected a positive, finite number of seconds, got {value!r}"
    assert completed.stderr.count("\n") == 1 and completed.stdout == ""


def test_a_scenario_past_the_timeout_is_an_error_and_the_run_goes_on(run_linmem, project: Path) -> None:
    write_file(project, "hang.scenario.toml", "wat = '(module (func (export \"hang\") (loop (br 0))))'\n"
                                              "[[steps]]\nop = \"call\"\nexport = \"hang\"\n")
    completed = run_linmem("run", "hang.scenario.toml", "size.scenario.toml", "--timeout=1.25",
                           "--model-timeout=3", cwd=project)
    assert completed.returncode == 1, completed.stderr
    assert "did not answer within 1.25 s; it was killed" in completed.stdout
    assert "summary: 1 pass, 0 fail, 1 error" in completed.stdout


@pytest.mark.parametrize("command", [["run", "size.scenario.toml"], ["reproduce"],
                                     ["compile", "x.wat", "-o", "x.wasm"]])
@pytest.mark.parametrize("spec", ["", " "])
def test_an_empty_node_spec_is_one_line_not_the_default_runtime(run_linmem, project: Path, command: list[str],
                                                                spec: str) -> None:
    write_file(project, "x.wat", "(module)")
    completed = run_linmem(*command, f"--node={spec}", cwd=project)
    assert assert_one_clean_error(completed) == ("linmem: error: --node: an empty runtime spec; expected a path, a "
                                                 "Node major or version, system, deno, bun or default")
    assert completed.stdout == "" and not (project / "x.wasm").exists()


def test_a_blank_linmem_node_is_one_line(run_linmem, project: Path) -> None:
    completed = run_linmem("run", "size.scenario.toml", cwd=project, env={"LINMEM_NODE": "  "})
    assert_one_clean_error(completed, "LINMEM_NODE: an empty runtime spec")


@pytest.mark.parametrize("spelled", ["4.0", "", "3.1", "latest"])
def test_an_unknown_spec_version_is_one_line_before_the_run(run_linmem, project: Path, spelled: str) -> None:
    completed = run_linmem("run", "size.scenario.toml", f"--spec-version={spelled}", cwd=project)
    assert assert_one_clean_error(completed) == (f"linmem: error: --spec-version: unknown WebAssembly version "
                                                 f"{spelled!r}; expected one of 2.0, 3.0")
    assert completed.stdout == ""
