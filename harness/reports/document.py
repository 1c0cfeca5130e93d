"""The machine-readable report (``--json``): the scenario contract's shape, for every kind of case.

``{"runtimes": [...], "cases": [...], "summary": {...}}`` with one entry in
``cases`` per case and runtime: ``id``, ``kind``, ``file``, ``line`` (for a
``.wast`` command), ``command``, ``runtime``, ``status``, ``observed``,
``reference``, ``differences`` and, where there is one, ``detail``. A run a
signal cut short says so at the top level: ``"interrupted": "SIGINT"``.
"""

from __future__ import annotations

from typing import Any, Sequence

from ..case import Case, summary
from ..runtimes.discovery import Runtime
from ..values.codec import with_special_numbers
from .grid import display_file


def case_document(case: Case) -> dict[str, Any]:
    """One ``cases`` entry."""
    entry: dict[str, Any] = {"id": case.id, "kind": case.kind.value, "file": display_file(case.file)}
    if case.line is not None:
        entry["line"] = case.line
    if case.command:
        entry["command"] = case.command
    entry.update({
        "runtime": case.runtime.as_json(),
        "status": case.status.value,
        "observed": _steps_only(case.observed),
        "reference": case.reference,
        "differences": [with_special_numbers(difference.as_json()) for difference in case.differences],
    })
    if case.detail:
        entry["detail"] = case.detail
    return entry


def _steps_only(document: dict[str, Any] | None) -> dict[str, Any] | None:
    if document is None:
        return None
    return {"instantiate": document["instantiate"], "steps": document["steps"]}


def json_document(cases: Sequence[Case], runtimes: Sequence[Runtime], *,
                  interrupted: str | None = None) -> dict[str, Any]:
    """The whole report: the runtimes (with their engines), every case, the counts per status.

    ``interrupted`` names the signal that cut the run short (``cases`` are then those that ran).
    """
    document: dict[str, Any] = {} if interrupted is None else {"interrupted": interrupted}
    document.update({
        "runtimes": [{**runtime.as_json(), "engine": runtime.engine, "engine_version": runtime.engine_version}
                     for runtime in runtimes],
        "cases": [case_document(case) for case in cases],
        "summary": summary(cases)})
    return document
