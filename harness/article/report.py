"""Presenting a reproduction: the terminal table and the ``--json`` document."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Sequence

from ..compiler.wabt import Compiler
from ..outputs import write_output
from ..runtimes.discovery import Runtime
from ..values.node_inspect import format_value
from .examples import ExampleResult, StepComparison

COLUMN_GAP = "   "


def side_by_side(cells: Sequence[str], widths: Sequence[int]) -> list[str]:
    """Lay multi-line ``cells`` out as columns of the given widths."""
    split = [cell.splitlines() or [""] for cell in cells]
    height = max(len(lines) for lines in split)
    rows = []
    for row in range(height):
        parts = [(lines[row] if row < len(lines) else "").ljust(width) for lines, width in zip(split, widths)]
        rows.append(COLUMN_GAP.join(parts).rstrip())
    return rows


def _step_rows(step: StepComparison, runtime: Runtime) -> list[str]:
    cells = [format_value(step.type, step.observed), format_value(step.type, step.model),
             format_value(step.type, step.article)]
    width = max(24, *(len(line) for cell in cells for line in cell.splitlines()))
    mark = "agree" if step.agree else f"DIFFERENT: {step.where()}"
    header = side_by_side([f"{runtime.name} {runtime.version}", "reference model", "article"], [width] * 3)
    lines = [f"  step {step.step} ({step.type}): {mark}"]
    lines += ["    " + row for row in header + side_by_side(cells, [width] * 3)]
    return lines


def _binary_line(result: ExampleResult) -> str:
    module, example = result.module, result.example
    verdict = "= the article's binary" if result.binary_matches else (
        f"DIFFERENT from the article's {example.wasm_size} bytes, sha256 {example.wasm_sha256}")
    return (f"{example.name}: {module.source_name} -> {len(module.wasm_bytes)} bytes, "
            f"sha256 {module.sha256} {verdict}")


def render_terminal(results: Sequence[ExampleResult], runtime: Runtime, compiler: Compiler) -> str:
    """The report as printed by ``linmem reproduce``."""
    lines = [f"runtime: {runtime.describe()}",
             f"compiler: wabt.js {compiler.wabt_version} on node {compiler.runtime.version}", ""]
    for result in results:
        lines.append(_binary_line(result))
        for error in result.errors:
            lines.append(f"  ERROR: {error.one_line()}")
            lines += ["    " + line for line in error.detail.splitlines()[-8:]]
        for step in result.steps:
            lines += _step_rows(step, runtime)
        lines.append("")
    lines.append(verdict_line(results))
    return "\n".join(lines)


def verdict_line(results: Sequence[ExampleResult]) -> str:
    """One line saying whether Node, the model and the article all agree."""
    if any(result.error for result in results):
        failed = ", ".join(r.example.name for r in results if r.error)
        return f"verdict: ERROR: {failed} could not be compared"
    if all(result.agree for result in results):
        count = sum(len(result.steps) for result in results)
        return (f"verdict: AGREE: the runtime, the reference model and the article agree on all {count} "
                f"values and both binaries")
    return "verdict: DIFFERENT: see the steps marked DIFFERENT above"


def result_document(results: Sequence[ExampleResult], runtime: Runtime, compiler: Compiler) -> dict[str, Any]:
    """The ``--json`` document: binaries, every value from each side, the runtime."""
    return {
        "runtime": {**runtime.as_json(), "engine": runtime.engine, "engine_version": runtime.engine_version},
        "compiler": {"name": "wabt.js", "version": compiler.wabt_version, "node": compiler.runtime.version},
        "verdict": ("error" if any(r.error for r in results)
                    else "agree" if all(r.agree for r in results) else "different"),
        "examples": [_example_document(result) for result in results],
    }


def _example_document(result: ExampleResult) -> dict[str, Any]:
    return {
        "name": result.example.name,
        "module": result.module.source_name,
        "wasm": {"size": len(result.module.wasm_bytes), "sha256": result.module.sha256,
                 "article_size": result.example.wasm_size, "article_sha256": result.example.wasm_sha256,
                 "matches_article": result.binary_matches},
        "errors": [error.one_line() for error in result.errors],
        "steps": [{"step": s.step, "type": s.type, "observed": s.observed, "model": s.model, "article": s.article,
                   "agree": s.agree} for s in result.steps],
        "agree": result.agree,
    }


def write_json(path: Path, document: dict[str, Any]) -> None:
    """Write the ``--json`` report (:func:`harness.outputs.write_output`: never a half-written regular file)."""
    write_output(path, (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8"), "--json")
