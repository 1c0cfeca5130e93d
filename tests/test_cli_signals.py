"""Signals stop a run promptly and leave no process behind: Ctrl-C (SIGINT), SIGTERM and SIGHUP.

The run is real: a script whose commands keep the reference model busy for
seconds on end, on the model and on two runtimes at once, each in its own
thread with its own driver process; or scenarios, one of them minutes of work
for the model's worker processes while Node runs them all. The signal comes
while all of them run.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

import pytest

from tests.conftest import INLINE_SUM_SCENARIO, slow_scenario, spin_script

ROOT = Path(__file__).resolve().parent.parent
#: each call spins 2 million loop turns on the model: 60 of them keep a run busy for many seconds
SPIN = spin_script(2_000_000, calls=60)


def descendants(pid: int) -> set[int]:
    """Every living process below ``pid`` (children started in new sessions included)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            parents[int(entry.name)] = int(fields[1])
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def survivors(pids: set[int], *, within: float = 1.0) -> list[int]:
    """Those of ``pids`` still alive after ``within`` seconds (the reaper takes a few milliseconds to go)."""
    deadline = time.monotonic() + within
    while True:
        living = sorted(pid for pid in pids if alive(pid))
        if not living or time.monotonic() > deadline:
            return living
        time.sleep(0.02)


def signal_and_wait(run: subprocess.Popen[str], signum: int) -> tuple[str, str, float]:
    """Send ``signum`` to the run; its output and how many seconds it took to end."""
    signalled = time.monotonic()
    run.send_signal(signum)
    stdout, stderr = run.communicate(timeout=30)
    return stdout, stderr, time.monotonic() - signalled


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time ``pid`` has spent (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def running_below(pid: int, marker: bytes) -> list[int]:
    """The processes below ``pid`` whose command line holds ``marker``."""
    found = []
    for child in descendants(pid):
        try:
            if marker in Path(f"/proc/{child}/cmdline").read_bytes():
                found.append(child)
        except OSError:
            continue
    return found


def model_workers(pid: int) -> list[int]:
    """The reference model's worker processes below ``pid`` (:mod:`harness.pipeline.model_pool`)."""
    return running_below(pid, b"serve_references")


def busy_worker(pids: Callable[[], list[int]], *, cpu: float = 0.6, within: float = 60) -> int:
    """The first of the worker ``pids()`` to spend ``cpu`` seconds: the one on a slow case (starting takes less)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        for pid in pids():
            if cpu_seconds(pid) >= cpu:
                return pid
        time.sleep(0.05)
    raise AssertionError(f"no model worker spent {cpu} s of CPU within {within} s")


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP], ids=["SIGINT", "SIGTERM", "SIGHUP"])
def test_a_signal_stops_the_run_promptly_and_kills_every_child(signum: int, tmp_path: Path, npm_side: Path,
                                                              node_runtime) -> None:
    (tmp_path / "spin.wast").write_text(SPIN)
    run = subprocess.Popen([sys.executable, "-m", "harness", "run", "spin.wast", "--node", "default",
                            "--node", node_runtime.path], cwd=tmp_path, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
    children: set[int] = set()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(children) < 3 and run.poll() is None:  # wabt + two drivers
        children |= descendants(run.pid)
        time.sleep(0.05)
    assert run.poll() is None, "the run ended before the signal: make the script slower"
    assert len(children) >= 3, children
    time.sleep(0.5)
    children |= descendants(run.pid)
    stdout, stderr, took = signal_and_wait(run, signum)
    assert run.returncode == 128 + signum, stderr
    assert stderr.strip().splitlines()[-1] == f"linmem: interrupted ({signal.Signals(signum).name})"
    assert "Traceback" not in stderr
    assert took < 8, f"stopping took {took:.1f} s"  # the whole run takes over 15 s
    time.sleep(0.2)
    assert survivors(children) == []


def test_without_a_signal_the_same_run_finishes_and_passes(tmp_path: Path, run_linmem) -> None:
    (tmp_path / "spin.wast").write_text(spin_script(20_000, calls=60))
    completed = run_linmem("run", "spin.wast", cwd=tmp_path)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "summary: 122 pass, 0 fail, 0 error, 0 unsupported" in completed.stdout  # 61 commands x 2 targets


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP], ids=["SIGINT", "SIGTERM", "SIGHUP"])
def test_a_signal_stops_a_run_of_scenarios_and_leaves_no_model_worker(signum: int, tmp_path: Path,
                                                                     npm_side: Path) -> None:
    (tmp_path / "slow.scenario.toml").write_text(slow_scenario(100))  # minutes of the model
    (tmp_path / "sum.scenario.toml").write_text(INLINE_SUM_SCENARIO)
    run = subprocess.Popen([sys.executable, "-m", "harness", "run", ".", "--node", "default", "--json", "r.json",
                            "--junit", "r.xml"], cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        worker = busy_worker(lambda: model_workers(run.pid))
        children = descendants(run.pid)
        stdout, stderr, took = signal_and_wait(run, signum)
    finally:
        run.kill()
    assert run.returncode == 128 + signum, stderr
    assert stderr.strip().splitlines()[-1] == f"linmem: interrupted ({signal.Signals(signum).name})"
    assert "Traceback" not in stderr
    assert took < 8, f"stopping took {took:.1f} s"
    time.sleep(0.2)
    assert worker in children and survivors(children) == []
    # node waits for the slow scenario's reference before it judges anything: the reports say nothing ran
    assert sorted(path.name for path in tmp_path.iterdir()) == ["r.json", "r.xml", "slow.scenario.toml",
                                                                 "sum.scenario.toml"]
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["interrupted"] == signal.Signals(signum).name and report["cases"] == []


def test_without_a_signal_a_run_of_scenarios_finishes_and_writes_its_reports(tmp_path: Path, run_linmem) -> None:
    (tmp_path / "slow.scenario.toml").write_text(slow_scenario(1))
    (tmp_path / "sum.scenario.toml").write_text(INLINE_SUM_SCENARIO)
    completed = run_linmem("run", ".", "--node", "default", "--json", "r.json", "--junit", "r.xml", cwd=tmp_path)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "summary: 2 pass, 0 fail, 0 error, 0 unsupported" in completed.stdout
    assert sorted(path.name for path in tmp_path.iterdir()) == ["r.json", "r.xml", "slow.scenario.toml",
                                                                 "sum.scenario.toml"]


#: a module whose export never returns, on any runtime
HANG_SCENARIO = """title = "an export that loops forever"
wat = '''(module (memory (export "memory") 1) (func (export "spin") (loop (br 0))))'''

[[steps]]
op = "call"
export = "spin"
"""
REPORTS = ["r.json", "r.xml", "r.html", "r.md"]
REPORT_OPTIONS = ["--json", "r.json", "--junit", "r.xml", "--html", "r.html", "--markdown", "r.md"]


def drivers(pid: int) -> list[int]:
    """The scenario driver processes (``js/driver.js``) below ``pid``."""
    return running_below(pid, b"driver.js")


def start_hanging_run(tmp_path: Path, *extra: str) -> tuple[subprocess.Popen[str], set[int]]:
    """``linmem run`` on a passing scenario, then one that loops forever, once the driver spins in the loop.

    Returns the run and every process below it (the driver, the wabt service, the model's workers).
    """
    (tmp_path / "a_sum.scenario.toml").write_text(INLINE_SUM_SCENARIO)
    (tmp_path / "b_hang.scenario.toml").write_text(HANG_SCENARIO)
    run = subprocess.Popen([sys.executable, "-m", "harness", "run", ".", "--timeout", "600", *extra], cwd=tmp_path,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    busy_worker(lambda: drivers(run.pid), cpu=1.0)  # node is deep in the infinite loop
    return run, descendants(run.pid)


def report_names(directory: Path) -> list[str]:
    """The report files in ``directory`` (and any temporary file a report was written through)."""
    return sorted(path.name for path in directory.iterdir() if ".scenario." not in path.name)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP], ids=["SIGINT", "SIGTERM", "SIGHUP"])
def test_a_signal_stops_a_runtime_in_an_infinite_loop_within_two_seconds_and_reports_what_ran(
        signum: int, tmp_path: Path, npm_side: Path) -> None:
    run, children = start_hanging_run(tmp_path, *REPORT_OPTIONS)
    try:
        stdout, stderr, took = signal_and_wait(run, signum)
    finally:
        run.kill()
    name = signal.Signals(signum).name
    assert (run.returncode, took < 2) == (128 + signum, True), stderr
    assert stderr.strip().splitlines()[-1] == f"linmem: interrupted ({name})" and "Traceback" not in stderr
    assert survivors(children) == []
    assert report_names(tmp_path) == sorted(REPORTS)
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["interrupted"] == name
    assert [(case["id"], case["status"]) for case in report["cases"]] == [("a_sum.scenario.toml", "pass")]
    line = f"interrupted by {name}: only the cases that finished before it are reported"
    assert f'interrupted="{name}"' in (tmp_path / "r.xml").read_text() and line in (tmp_path / "r.xml").read_text()
    assert line in (tmp_path / "r.html").read_text() and line in (tmp_path / "r.md").read_text()
    assert line in stdout and "a_sum.scenario.toml" in stdout


def test_a_second_ctrl_c_during_cleanup_leaves_no_process_and_no_half_set_of_reports(tmp_path: Path,
                                                                                    npm_side: Path) -> None:
    for name in REPORTS:
        (tmp_path / name).write_text("an older report\n")
    run, children = start_hanging_run(tmp_path, *REPORT_OPTIONS)
    try:
        run.send_signal(signal.SIGINT)
        time.sleep(0.02)  # inside the cleanup
        run.send_signal(signal.SIGINT)
        _, stderr = run.communicate(timeout=30)
    finally:
        run.kill()
    assert run.returncode == 128 + signal.SIGINT and "Traceback" not in stderr, stderr
    time.sleep(0.2)
    assert survivors(children) == []
    assert report_names(tmp_path) == sorted(REPORTS)  # no temporary file left over
    contents = {(tmp_path / name).read_text() == "an older report\n" for name in REPORTS}
    assert len(contents) == 1, "some reports were replaced and others not"


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_to_pytest_kills_the_runtime_in_an_infinite_loop(signum: int, tmp_path: Path,
                                                                  npm_side: Path) -> None:
    (tmp_path / "hang.scenario.toml").write_text(HANG_SCENARIO)
    run = subprocess.Popen([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:hypothesispytest",
                            "-q", "hang.scenario.toml"], cwd=tmp_path, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
    try:
        driver = busy_worker(lambda: drivers(run.pid), cpu=1.0)
        children = descendants(run.pid)
        run.send_signal(signum)
        deadline = time.monotonic() + 2
        while alive(driver) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not alive(driver), "the driver outlived pytest's interruption by 2 s"
        run.communicate(timeout=60)
    finally:
        run.kill()
    time.sleep(0.2)
    assert driver in children and survivors(children) == []


def test_main_called_in_process_leaves_the_callers_own_children_alone(tmp_path: Path, npm_side: Path) -> None:
    from harness.cli import main
    from harness.runtimes.process import kill_group, start_child

    mine = start_child(["sleep", "60"])
    try:
        (tmp_path / "sum.scenario.toml").write_text(INLINE_SUM_SCENARIO)
        assert main(["run", str(tmp_path / "sum.scenario.toml")]) == 0
        assert alive(mine.pid), "linmem's main killed a process its caller had started"
    finally:
        kill_group(mine)


def test_a_run_killed_with_sigkill_leaves_no_runtime_spinning(tmp_path: Path, npm_side: Path) -> None:
    run, children = start_hanging_run(tmp_path)
    spinning = drivers(run.pid)
    run.kill()  # SIGKILL: linmem runs no cleanup of its own; its reaper sees the pipe end
    run.communicate(timeout=30)
    assert spinning and survivors(children, within=2.0) == []
