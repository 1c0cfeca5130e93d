"""Test helpers that ask a real runtime: the host oracle (fixtures/js/host_oracle.js), and one
scenario judged on one runtime through the whole pipeline."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from harness.case import Case
from harness.compiler.wabt import Compiler
from harness.pipeline.collect import collect
from harness.pipeline.run import load_inputs, run_inputs
from harness.pipeline.targets import Target
from harness.runtimes.discovery import Runtime
from harness.runtimes.process import run_tool
from harness.scenarios.format import load_scenario
from harness.scenarios.suite import prepare, reference_of

HOST_ORACLE = Path(__file__).parent / "fixtures" / "js" / "host_oracle.js"


def ask_node(runtime: Runtime, directory: Path, **batches: list[Any]) -> dict[str, list[Any]]:
    """Send ``batches`` to ``host_oracle.js`` on ``runtime`` and return its answers."""
    request_file = directory / "oracle-request.json"
    request_file.write_text(json.dumps(batches))
    return json.loads(run_tool(runtime.command(HOST_ORACLE, str(request_file)), timeout=60).stdout)


def judge_scenario(path: Path, compiler: Compiler, runtime: Runtime, *, timeout: float = 30.0) -> Case:
    """Load, compile, run on the reference and on ``runtime``, and judge one scenario file."""
    prepared = prepare(load_scenario(path), compiler)
    target = Target(runtime, compiler, timeout=timeout)
    try:
        return target.scenario_case(prepared, reference_of(prepared))
    finally:
        target.close()


def run_paths(paths: list[Path], compiler: Compiler, runtimes: list[Runtime], *, timeout: float = 30.0,
              reference: bool = False) -> list[Case]:
    """Every case file below ``paths`` through the whole pipeline, as ``linmem run`` runs them."""
    inputs = load_inputs(collect(paths), compiler, scenarios_on_reference=reference)
    return run_inputs(inputs, runtimes, compiler, timeout=timeout)
