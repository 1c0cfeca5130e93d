"""Asking the real Node what the host does, in one process per batch (see fixtures/js/host_oracle.js)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from harness.process import run_tool
from harness.runtimes import Runtime

HOST_ORACLE = Path(__file__).parent / "fixtures" / "js" / "host_oracle.js"


def ask_node(runtime: Runtime, directory: Path, **batches: list[Any]) -> dict[str, list[Any]]:
    """Send ``batches`` to ``host_oracle.js`` on ``runtime`` and return its answers."""
    request_file = directory / "oracle-request.json"
    request_file.write_text(json.dumps(batches))
    return json.loads(run_tool(runtime.command(HOST_ORACLE, str(request_file)), timeout=60).stdout)
