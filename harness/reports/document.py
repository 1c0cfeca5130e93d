"""The machine-readable report (``--json``): the scenario contract's shape, for every kind of case.

``{"runtimes": [...], "cases": [...], "summary": {...}}`` with one entry in
``cases`` per case and runtime: ``id``, ``kind``, ``file``, ``line`` (for a
``.wast`` command), ``command``, ``runtime``, ``status``, ``observed``,
``reference``, ``differences`` and, where there is one, ``detail``. A large
read (4,096 values or more) appears as ``{"view", "length", "sha256"}`` (the
SHA-256 of its little-endian bytes), and its difference gains
``first_difference``: the index and a window of values around it, each side. A run a
signal cut short says so at the top level: ``"interrupted": "SIGINT"``.
``spec_version`` names the WebAssembly version whose rules judged (``--spec-version``).
"""

from __future__ import annotations

from typing import Any, Sequence

from ..case import Case, Difference, summary
from ..model.versions import DEFAULT_VERSION
from ..runtimes.discovery import Runtime
from ..values.codec import with_special_numbers
from ..values.elements import Elements
from .grid import difference_window, display_file


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
        "observed": bounded(_steps_only(case.observed)),
        "reference": bounded(case.reference),
        "differences": [difference_document(difference) for difference in case.differences],
    })
    if case.detail:
        entry["detail"] = case.detail
    return entry


def bounded(value: Any) -> Any:
    """An observation with each large read (:class:`Elements`) as its summary: view, length, SHA-256."""
    if isinstance(value, Elements):
        return value.summary()
    if isinstance(value, list):
        return [bounded(item) for item in value]
    if isinstance(value, dict):
        return {key: bounded(item) for key, item in value.items()}
    return value


def difference_document(difference: Difference) -> dict[str, Any]:
    """One ``differences`` entry; a large read's sides as summaries, with where they first differ and around it."""
    entry = with_special_numbers(difference.as_json())
    window = difference_window(difference)
    if window is not None:
        entry["first_difference"] = window
    return bounded(entry)


def _steps_only(document: dict[str, Any] | None) -> dict[str, Any] | None:
    if document is None:
        return None
    return {"instantiate": document["instantiate"], "steps": document["steps"]}


def json_document(cases: Sequence[Case], runtimes: Sequence[Runtime], *,
                  interrupted: str | None = None, spec_version: str = DEFAULT_VERSION.value) -> dict[str, Any]:
    """The whole report: the runtimes (with their engines), every case, the counts per status.

    ``interrupted`` names the signal that cut the run short (``cases`` are then those that ran).
    """
    document: dict[str, Any] = {} if interrupted is None else {"interrupted": interrupted}
    document.update({
        "spec_version": spec_version,
        "runtimes": [{**runtime.as_json(), "engine": runtime.engine, "engine_version": runtime.engine_version}
                     for runtime in runtimes],
        "cases": [case_document(case) for case in cases],
        "summary": summary(cases)})
    return document
