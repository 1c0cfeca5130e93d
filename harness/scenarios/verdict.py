"""Judging one scenario on one runtime: step by step against the reference and ``expect``.

Messages are never compared (engines word them differently); everything else
in an observation is, with JavaScript's value semantics (:mod:`harness.values.compare`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..case import NO_EXPECT, Difference, Status
from ..values.compare import same_value
from .format import Scenario


@dataclass
class Verdict:
    """The status and the differences behind it."""

    status: Status
    differences: list[Difference] = field(default_factory=list)
    reason: str = ""


def without_messages(value: Any) -> Any:
    """An observation with every ``message`` key removed (messages are never compared)."""
    if isinstance(value, dict):
        return {key: without_messages(item) for key, item in value.items() if key != "message"}
    if isinstance(value, list):
        return [without_messages(item) for item in value]
    return value


def _agrees(observed: Any, reference: Any, expect: Any) -> bool:
    observed, reference = without_messages(observed), without_messages(reference)
    if not same_value(observed, reference):
        return False
    return expect is NO_EXPECT or same_value(observed, without_messages(expect))


def judge(scenario: Scenario, observed: dict[str, Any], reference: dict[str, Any]) -> Verdict:
    """Compare a runtime's document with the reference's and with every ``expect``."""
    differences = []
    if not _agrees(observed["instantiate"], reference["instantiate"], scenario.expect_instantiate):
        differences.append(Difference("instantiate", "instantiate", observed["instantiate"],
                                      reference["instantiate"], scenario.expect_instantiate))
    observed_steps, reference_steps = observed["steps"], reference["steps"]
    for position, step in enumerate(scenario.steps):
        seen = observed_steps[position] if position < len(observed_steps) else None
        predicted = reference_steps[position] if position < len(reference_steps) else None
        if position >= len(observed_steps) and position >= len(reference_steps):
            continue  # neither ran it: instantiation failed on both sides
        if not _agrees(seen, predicted, step.expect):
            differences.append(Difference(step.index, step.op, seen, predicted, step.expect))
    return Verdict(Status.FAIL if differences else Status.PASS, differences)
