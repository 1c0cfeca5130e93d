"""Test helpers that ask a real runtime: the host oracle (fixtures/js/host_oracle.js), and one
scenario judged on one runtime through the whole pipeline."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import tomlkit

from harness.case import Case
from harness.compiler.wabt import Compiler
from harness.pipeline.collect import collect
from harness.pipeline.run import load_inputs, run_inputs
from harness.pipeline.targets import Target
from harness.runtimes.discovery import Runtime
from harness.runtimes.process import run_tool
from harness.scenarios.format import load_scenario
from harness.scenarios.suite import judge_on_reference, prepare, reference_of

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


def on_model_alone(path: Path, compiler: Compiler) -> Case:
    """The scenario judged on the reference model alone (``--node reference``)."""
    prepared = prepare(load_scenario(path), compiler)
    return judge_on_reference(prepared, reference_of(prepared))


def wrong_twin(path: Path, directory: Path) -> tuple[Path, object]:
    """A copy of ``path`` in ``directory`` whose last expectation is deliberately wrong, and where it is.

    The last step with an ``expect`` (its label, as a difference names it), else the
    instantiation (``"instantiate"``). Files beside the scenario (modules it names) are copied too.
    """
    document = tomlkit.parse(path.read_text())
    expecting = [index for index, step in enumerate(document.get("steps", [])) if "expect" in step]
    if expecting:
        document["steps"][expecting[-1]]["expect"] = {"deliberately": "wrong"}
    else:
        document["expect_instantiate"] = {"error": "DeliberatelyWrong"}
    for extra in path.parent.iterdir():
        if not extra.name.endswith(".toml"):
            shutil.copy(extra, directory / extra.name)
    twin = directory / path.name
    twin.write_text(tomlkit.dumps(document))
    if not expecting:
        return twin, "instantiate"
    labels = [step.label for step in load_scenario(twin).steps if step.index == expecting[-1] + 1]
    return twin, labels[-1]


def run_paths(paths: list[Path], compiler: Compiler, runtimes: list[Runtime], *, timeout: float = 30.0,
              reference: bool = False) -> list[Case]:
    """Every case file below ``paths`` through the whole pipeline, as ``linmem run`` runs them."""
    inputs = load_inputs(collect(paths), compiler, scenarios_on_reference=reference)
    return run_inputs(inputs, runtimes, compiler, timeout=timeout)
