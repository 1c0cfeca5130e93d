"""What every speed benchmark reports: a comparison of linmem against a baseline, and its goal.

Each benchmark module of this directory exposes ``measure(repeat) ->
list[Comparison]``; :mod:`benchmarks.speed` runs them all in one process and
prints one table, so every ratio is taken in the same run on the same machine.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from typing import Callable


@dataclass(frozen=True)
class Comparison:
    """One figure: linmem's time for some work against a baseline's, and the goal the ratio must meet.

    ``goal`` is ``("at most", 4.0)`` (linmem / baseline must not exceed it) or
    ``("at least", 250.0)`` (baseline / linmem must reach it: linmem that many
    times faster). With ``baseline_seconds`` None the figure is an absolute
    time and ``goal`` is ``("under", seconds)``. ``missing`` says why the
    baseline could not be measured (a tool not installed).
    """

    work: str
    linmem_seconds: float
    baseline: str
    baseline_seconds: float | None
    goal: tuple[str, float]
    missing: str | None = None

    @property
    def ratio(self) -> float | None:
        """linmem's time over the baseline's (or the baseline's over linmem's for an "at least" goal)."""
        if self.baseline_seconds is None:
            return None
        if self.goal[0] == "at least":
            return self.baseline_seconds / self.linmem_seconds
        return self.linmem_seconds / self.baseline_seconds

    @property
    def holds(self) -> bool | None:
        """Whether the goal is met; None when the baseline is missing."""
        kind, bound = self.goal
        if kind == "under":
            return self.linmem_seconds < bound
        if self.ratio is None:
            return None
        return self.ratio <= bound if kind == "at most" else self.ratio >= bound

    def goal_text(self) -> str:
        kind, bound = self.goal
        if kind == "under":
            return f"under {_duration(bound)}"
        return f"{'<=' if kind == 'at most' else '>='} {bound:g}x" + (" faster" if kind == "at least" else "")


def _duration(seconds: float) -> str:
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds * 1e6:.1f} us"


def render(comparisons: list[Comparison]) -> str:
    """The side-by-side table: work, linmem, baseline, ratio, goal, and whether it holds."""
    rows = [("work", "linmem", "baseline", "", "ratio", "goal", "")]
    for item in comparisons:
        ratio = "" if item.ratio is None else f"{item.ratio:.1f}x"
        baseline = "" if item.baseline_seconds is None else _duration(item.baseline_seconds)
        verdict = {True: "holds", False: "MISSED", None: "no baseline"}[item.holds]
        rows.append((item.work, _duration(item.linmem_seconds), item.baseline, baseline, ratio,
                     item.goal_text(), verdict))
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(width) if column in (0, 2, 5, 6) else cell.rjust(width)
                       for column, (cell, width) in enumerate(zip(row, widths))).rstrip() for row in rows]
    lines.extend(f"  note: {item.work}: {item.missing}" for item in comparisons if item.missing)
    return "\n".join(lines)


def main_of(measure: Callable[[int], list[Comparison]], description: str, *, repeat: int = 3) -> int:
    """What a benchmark module does when it runs alone: ``--repeat N``, then its comparisons as a table."""
    parser = argparse.ArgumentParser(description=description.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=repeat, help="runs per figure; the best is kept")
    comparisons = measure(parser.parse_args().repeat)
    print(render(comparisons))
    return 0 if all(item.holds is not False for item in comparisons) else 1
