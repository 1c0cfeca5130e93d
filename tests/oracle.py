"""Test helpers that ask a real runtime: the host oracle (fixtures/js/host_oracle.js), and one
scenario judged on one runtime through the whole pipeline."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from harness.runtimes.process import run_tool
from harness.scenarios.suite import CaseResult, prepare, reference_document, run_case
from harness.runtimes.discovery import Runtime
from harness.scenarios.format import load_scenario
from harness.scenarios.on_runtime import RuntimeSession
from harness.compiler.wabt import Compiler

HOST_ORACLE = Path(__file__).parent / "fixtures" / "js" / "host_oracle.js"


def ask_node(runtime: Runtime, directory: Path, **batches: list[Any]) -> dict[str, list[Any]]:
    """Send ``batches`` to ``host_oracle.js`` on ``runtime`` and return its answers."""
    request_file = directory / "oracle-request.json"
    request_file.write_text(json.dumps(batches))
    return json.loads(run_tool(runtime.command(HOST_ORACLE, str(request_file)), timeout=60).stdout)


def judge_scenario(path: Path, compiler: Compiler, runtime: Runtime, *, timeout: float = 30.0) -> CaseResult:
    """Load, compile, run on the reference and on ``runtime``, and judge one scenario file."""
    prepared = prepare(load_scenario(path), compiler)
    reference, gap = reference_document(prepared)
    session = RuntimeSession(runtime, timeout=timeout)
    try:
        return run_case(prepared, session, reference, gap)
    finally:
        session.close()
