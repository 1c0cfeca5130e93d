"""Reports of ``.wast`` runs: counts per file and runtime, then every case that did not pass."""

from __future__ import annotations

import collections
from typing import Any, Sequence

from .wast_runner import WastCase

STATUSES = ("pass", "fail", "error", "unsupported")


def render_wast(cases: Sequence[WastCase]) -> str:
    """One line per file and runtime with its counts; then the cases that did not pass."""
    counts: dict[tuple[str, str], collections.Counter[str]] = collections.defaultdict(collections.Counter)
    for case in cases:
        counts[(case.file.name, case.runtime)][case.status] += 1
    width = max([len("file")] + [len(name) for name, _ in counts])
    lines = [f"{'file':<{width}}  {'runtime':<10} " + " ".join(f"{status:>11}" for status in STATUSES)]
    for (name, runtime), counter in counts.items():
        lines.append(f"{name:<{width}}  {runtime:<10} " + " ".join(f"{counter[status]:>11}" for status in STATUSES))
    total = collections.Counter(case.status for case in cases)
    lines += ["", "summary: " + ", ".join(f"{total[status]} {status}" for status in STATUSES)]
    problems = [case for case in cases if case.status not in ("pass", "unsupported")]
    for case in problems[:200]:
        lines.append(f"{case.status.upper()}: {case.id} {case.command} on {case.runtime}: {case.detail}")
    if len(problems) > 200:
        lines.append(f"... and {len(problems) - 200} more")
    return "\n".join(lines)


def wast_document(cases: Sequence[WastCase]) -> dict[str, Any]:
    """The JSON report: one case per command and runtime, ``id`` = ``file.wast:LINE``."""
    return {
        "cases": [{"id": case.id, "file": str(case.file), "command": case.command,
                   "runtime": {"name": case.runtime}, "status": case.status, "detail": case.detail}
                  for case in cases],
        "summary": dict(collections.Counter(case.status for case in cases)),
    }
