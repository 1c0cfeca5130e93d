"""Signals stop a run promptly and leave no process behind: Ctrl-C (SIGINT), SIGTERM and SIGHUP.

The run is real: a script whose commands keep the reference model busy for
seconds on end, on the model and on two runtimes at once, each in its own
thread with its own driver process; or scenarios, one of them minutes of work
for the model's worker processes while Node runs them all. The signal comes
while all of them run.
"""

from __future__ import annotations

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


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time ``pid`` has spent (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def model_workers(pid: int) -> list[int]:
    """The reference model's worker processes below ``pid`` (:mod:`harness.pipeline.model_pool`)."""
    found = []
    for child in descendants(pid):
        try:
            if b"serve_references" in Path(f"/proc/{child}/cmdline").read_bytes():
                found.append(child)
        except OSError:
            continue
    return found


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
    signalled = time.monotonic()
    run.send_signal(signum)
    stdout, stderr = run.communicate(timeout=30)
    took = time.monotonic() - signalled
    assert run.returncode == 128 + signum, stderr
    assert stderr.strip().splitlines()[-1] == f"linmem: interrupted ({signal.Signals(signum).name})"
    assert "Traceback" not in stderr
    assert took < 8, f"stopping took {took:.1f} s"  # the whole run takes over 15 s
    time.sleep(0.2)
    assert [pid for pid in children if alive(pid)] == []


def test_without_a_signal_the_same_run_finishes_and_passes(tmp_path: Path, run_linmem) -> None:
    (tmp_path / "spin.wast").write_text(spin_script(20_000, calls=60))
    completed = run_linmem("run", "spin.wast", cwd=tmp_path)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "summary: 122 pass, 0 fail, 0 error, 0 unsupported" in completed.stdout  # 61 commands x 2 targets


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP], ids=["SIGINT", "SIGTERM", "SIGHUP"])
def test_a_signal_stops_a_run_of_scenarios_and_leaves_no_model_worker_and_no_report(signum: int, tmp_path: Path,
                                                                                    npm_side: Path) -> None:
    (tmp_path / "slow.scenario.toml").write_text(slow_scenario(100))  # minutes of the model
    (tmp_path / "sum.scenario.toml").write_text(INLINE_SUM_SCENARIO)
    run = subprocess.Popen([sys.executable, "-m", "harness", "run", ".", "--node", "default", "--json", "r.json",
                            "--junit", "r.xml"], cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        worker = busy_worker(lambda: model_workers(run.pid))
        children = descendants(run.pid)
        signalled = time.monotonic()
        run.send_signal(signum)
        stdout, stderr = run.communicate(timeout=30)
        took = time.monotonic() - signalled
    finally:
        run.kill()
    assert run.returncode == 128 + signum, stderr
    assert stderr.strip().splitlines()[-1] == f"linmem: interrupted ({signal.Signals(signum).name})"
    assert "Traceback" not in stderr
    assert took < 8, f"stopping took {took:.1f} s"
    time.sleep(0.2)
    assert worker in children and [pid for pid in children if alive(pid)] == []
    assert sorted(path.name for path in tmp_path.iterdir()) == ["slow.scenario.toml", "sum.scenario.toml"]


def test_without_a_signal_a_run_of_scenarios_finishes_and_writes_its_reports(tmp_path: Path, run_linmem) -> None:
    (tmp_path / "slow.scenario.toml").write_text(slow_scenario(1))
    (tmp_path / "sum.scenario.toml").write_text(INLINE_SUM_SCENARIO)
    completed = run_linmem("run", ".", "--node", "default", "--json", "r.json", "--junit", "r.xml", cwd=tmp_path)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "summary: 2 pass, 0 fail, 0 error, 0 unsupported" in completed.stdout
    assert sorted(path.name for path in tmp_path.iterdir()) == ["r.json", "r.xml", "slow.scenario.toml",
                                                                 "sum.scenario.toml"]
