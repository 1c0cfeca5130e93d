"""Judging one scenario on one runtime: step by step against the reference and ``expect``.

Messages are never compared (engines word them differently); everything else
in an observation is, with JavaScript's value semantics (:mod:`harness.values.compare`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..case import NO_EXPECT, Difference, Status
from ..values.codec import with_special_numbers
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
    return expect is NO_EXPECT or _matches_expect(observed, expect)


@dataclass(frozen=True)
class Reference:
    """The reference model's observations of a scenario, as far as the model could go.

    ``gap`` says why the model stopped (an instruction it does not execute,
    a time limit); ``document`` is ``None`` if it stopped before the
    instantiation was known, else it holds every step before the gap.
    """

    document: dict[str, Any] | None
    gap: str = ""

    @property
    def complete(self) -> bool:
        """True when the model observed everything."""
        return self.document is not None and not self.gap


def _matches_expect(observed: Any, expect: Any) -> bool:
    # an expect's NaN, infinities and -0 are numbers from TOML or JSON: spelled as observations spell them
    return same_value(without_messages(observed), with_special_numbers(without_messages(expect)))


def _span(labels: list[Any]) -> str:
    """``step 4``, ``steps 4 to 9``, ``the instantiation and step 1``."""
    parts = ["the instantiation"] if labels[:1] == ["instantiate"] else []
    steps = [label for label in labels if label != "instantiate"]
    if steps:
        parts.append(f"step {steps[0]}" if len(steps) == 1 else f"steps {steps[0]} to {steps[-1]}")
    return " and ".join(parts)


def _unchecked_for_instantiation(scenario: Scenario, instantiation: Any) -> list[tuple[Any, str]]:
    """The steps whose ``expect`` no run could check because the instantiation failed, each with a note.

    A failure the scenario expects (``expect_instantiate``) leaves nothing unchecked:
    the steps of such a scenario say what would follow a success.
    """
    if instantiation is None or scenario.expect_instantiate is not NO_EXPECT:
        return []
    failure = _describe_error(instantiation)
    return [(step, f"step {step.label}: expect not checked: instantiation failed: {failure}")
            for step in scenario.steps if step.has_expect]


def _describe_error(observation: Any) -> str:
    """``LinkError: import object field 'mem' ...`` (or ``RuntimeError (unreachable)``) for an error observation."""
    if not isinstance(observation, dict):
        return str(observation)
    text = str(observation.get("error", observation.get("exit", "an error")))
    if "trap" in observation:
        text += f" ({observation['trap']})"
    if observation.get("message"):
        text += f": {observation['message']}"
    return text


CALL_STACK_EXHAUSTED = "call stack exhausted"
#: Why a runtime whose call stack ran out where the model's did not is ``unsupported``, not ``fail``.
DEPTH_IS_IMPLEMENTATION_DEFINED = "call stack exhausted (depth is implementation-defined)"


def _exhausted(observation: Any) -> bool:
    """True for the observation of a call stack that ran out (V8's ``RangeError``, the model's trap)."""
    return isinstance(observation, dict) and observation.get("trap") == CALL_STACK_EXHAUSTED


def _one_side_exhausted(scenario: Scenario, observed: dict[str, Any], reference: Reference) -> Verdict | None:
    """The verdict when only one side's call stack ran out somewhere, judged up to there; else ``None``.

    How deep calls may go is left to each implementation (the spec's
    "call stack exhausted" may happen anywhere), so running out where the
    other side did not is no difference: where the runtime ran out, the case
    is ``unsupported`` (if nothing before differs); where the model ran out,
    that is a gap in the model, and the steps from there on are judged by their
    ``expect`` as past any other gap.
    """
    document = reference.document
    if document is None:
        return None
    pairs = [(observed["instantiate"], document["instantiate"], "the instantiation", -1)]
    pairs += [(seen, predicted, f"step {step.label}", position) for position, (step, seen, predicted)
              in enumerate(zip(scenario.steps, observed["steps"], document["steps"]))]
    for seen, predicted, where, position in pairs:
        if _exhausted(seen) == _exhausted(predicted):
            continue
        if _exhausted(predicted):
            gap = f"reference model: {CALL_STACK_EXHAUSTED} at {where} (depth is implementation-defined)"
            truncated = None if position < 0 else {**document, "steps": document["steps"][:position]}
            return judge(scenario, observed, Reference(truncated, gap))
        if position >= 0:
            before = judge(scenario, {**observed, "steps": observed["steps"][:position]},
                           Reference({**document, "steps": document["steps"][:position]}))
            if before.status is Status.FAIL:
                return before
        return Verdict(Status.UNSUPPORTED, reason=f"{where}: {DEPTH_IS_IMPLEMENTATION_DEFINED}")
    return None


def judge(scenario: Scenario, observed: dict[str, Any], reference: Reference) -> Verdict:
    """Compare a runtime's document with the reference's and with every ``expect``.

    Where the model stopped short (``reference.gap``), a step is judged by its
    ``expect`` alone: the case passes, saying so, when those hold; it is an
    ``error`` when no step past the gap has an ``expect`` (nothing was judged).
    Where only one side's call stack ran out, see :func:`_one_side_exhausted`.
    """
    split = _one_side_exhausted(scenario, observed, reference)
    if split is not None:
        return split
    differences: list[Difference] = []
    by_expect: list[Any] = []
    unjudged: list[Any] = []
    document = reference.document
    if document is not None:
        if not _agrees(observed["instantiate"], document["instantiate"], scenario.expect_instantiate):
            differences.append(Difference("instantiate", "instantiate", observed["instantiate"],
                                          document["instantiate"], scenario.expect_instantiate))
    elif scenario.expect_instantiate is not NO_EXPECT:
        by_expect.append("instantiate")
        if not _matches_expect(observed["instantiate"], scenario.expect_instantiate):
            differences.append(Difference("instantiate", "instantiate", observed["instantiate"], None,
                                          scenario.expect_instantiate))
    else:
        unjudged.append("instantiate")
    unchecked = _unchecked_for_instantiation(scenario, observed["instantiate"])
    differences += [Difference(step.label, step.op, None, None, step.expect) for step, _ in unchecked]
    observed_steps = observed["steps"]
    reference_steps = document["steps"] if document is not None else []
    for position, step in enumerate(scenario.steps):
        ran = position < len(observed_steps)
        predicted_known = position < len(reference_steps)
        seen = observed_steps[position] if ran else None
        if not ran and not predicted_known:
            continue  # neither side ran it (an instantiation failed), or the runtime stopped where the model did
        if predicted_known or reference.complete:
            predicted = reference_steps[position] if predicted_known else None
            if not _agrees(seen, predicted, step.expect):
                differences.append(Difference(step.label, step.op, seen, predicted, step.expect))
        elif step.has_expect:
            by_expect.append(step.label)
            if not _matches_expect(seen, step.expect):
                differences.append(Difference(step.label, step.op, seen, None, step.expect))
        else:
            unjudged.append(step.label)
    if differences:
        notes = [note for _, note in unchecked] + ([reference.gap] if reference.gap else [])
        return Verdict(Status.FAIL, differences, "; ".join(notes))
    if unjudged and not by_expect:
        return Verdict(Status.ERROR, reason=f"{reference.gap}; {_span(unjudged)}: no reference and no expect "
                                            f"to judge by")
    if by_expect:
        unchecked = f"; {_span(unjudged)}: not judged (no expect)" if unjudged else ""
        return Verdict(Status.PASS, reason=f"{_span(by_expect)} judged by expect alone ({reference.gap}){unchecked}")
    return Verdict(Status.PASS)


def judge_model_alone(scenario: Scenario, reference: Reference) -> Verdict:
    """The reference model with no runtime: its own observations against ``expect``.

    What the model could not run makes the case ``unsupported`` (naming why),
    unless an ``expect`` it did observe is violated.
    """
    if reference.document is None:
        return Verdict(Status.UNSUPPORTED, reason=reference.gap)
    verdict = judge(scenario, reference.document, Reference(reference.document))
    if reference.gap and verdict.status is Status.PASS:
        return Verdict(Status.UNSUPPORTED, reason=reference.gap)
    return verdict
