"""docs/differences.md's checked differences still hold: each listed script line, rerun on its runtime."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from itertools import groupby
from pathlib import Path
from typing import Callable

import pytest

from harness.case import Case
from harness.compiler.wabt import Compiler
from harness.model.versions import SpecVersion
from harness.runtimes.discovery import Runtime
from harness.wast.on_runtime import run_on_runtime
from tests.conftest import ROOT

DOC = ROOT / "docs" / "differences.md"
MARKER = "<!-- checked by tests/test_differences_doc.py -->"
_ROW = re.compile(r"^\| (?P<runtime>[a-z]+-[\d.]+) \| `(?P<script>[^`]+):(?P<line>\d+)` \| (?P<status>[a-z]+) \| "
                  r"`(?P<message>[^`]+)` \|$")


@dataclass(frozen=True)
class Row:
    """One checked difference: on ``runtime``, ``script:line`` has ``status`` and the engine said ``message``."""

    runtime: str
    script: str
    line: int
    status: str
    message: str


def checked_rows(text: str) -> list[Row]:
    """The rows of the table after the marker, in order; a line of it that is not a row is an error."""
    table = text.split(MARKER, 1)[1].strip().splitlines()
    rows = []
    for line in table[2:]:  # after the header and its rule
        if not line.startswith("|"):
            break
        match = _ROW.match(line)
        if match is None:
            raise ValueError(f"{DOC.name}: not a checked-difference row: {line}")
        rows.append(Row(match["runtime"], match["script"], int(match["line"]), match["status"], match["message"]))
    return rows


ROWS = checked_rows(DOC.read_text(encoding="utf-8"))
GROUPS = [(runtime, script, list(rows)) for (runtime, script), rows in
          groupby(sorted(ROWS, key=lambda row: (row.runtime, row.script)), key=lambda row: (row.runtime, row.script))]


def test_the_doc_lists_checked_differences() -> None:
    assert len(ROWS) >= 10
    assert {row.status for row in ROWS} == {"fail", "unsupported"}


def _script(relative: str) -> Path:
    if relative.startswith("tests/"):
        return ROOT / relative
    core = os.environ.get("LINMEM_SPEC_CORE_3")
    if not core:
        pytest.skip("LINMEM_SPEC_CORE_3 is not set: point it at test/core of WebAssembly/spec at commit 285a9032 "
                    f"to check the documented differences of {relative}")
    return Path(core) / relative


def _runtime(label: str, provisioned: "Callable[[str], Runtime]") -> Runtime:
    name, version = label.split("-", 1)
    runtime = provisioned(name if name in ("deno", "bun") else version.split(".")[0])
    if runtime.label() != label:
        pytest.skip(f"{DOC.name} lists {label}, linmem provisions {runtime.label()}: rerun its scripts there "
                    "and update the document")
    return runtime


def _problems(cases: list[Case], rows: list[Row]) -> list[str]:
    """The rows that the cases of a rerun contradict, each with what the rerun says."""
    by_line = {case.line: case for case in cases}
    return [f"{row.script}:{row.line} on {row.runtime}: {by_line[row.line].status.value}: {by_line[row.line].detail}"
            for row in rows if by_line[row.line].status != row.status or row.message not in by_line[row.line].detail]


@pytest.mark.parametrize("label, relative, rows", GROUPS, ids=[f"{label}:{script}" for label, script, _ in GROUPS])
def test_a_documented_difference_still_holds(label: str, relative: str, rows: list[Row], compiler: Compiler,
                                             provisioned: "Callable[[str], Runtime]") -> None:
    cases = run_on_runtime(_script(relative), _runtime(label, provisioned), compiler, version=SpecVersion.V3)
    assert _problems(cases, rows) == []


@pytest.mark.needs_feature("memory64")
def test_a_row_that_no_longer_holds_is_reported(compiler: Compiler, node_runtime: Runtime) -> None:
    # the twin: a maximum of 262,144 pages (line 5) compiles on every runtime with 64-bit memories
    script = "tests/fixtures/wast/memory64-limits.wast"
    cases = run_on_runtime(ROOT / script, node_runtime, compiler, version=SpecVersion.V3)
    wrong = Row(node_runtime.label(), script, 5, "fail", "is larger than implementation limit")
    assert _problems(cases, [wrong]) == [f"{script}:5 on {node_runtime.label()}: pass: "]
