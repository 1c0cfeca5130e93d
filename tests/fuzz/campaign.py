"""Running a target on a strategy's inputs: a few deterministic ones in the suite, or a campaign.

In the suite (no ``LINMEM_FUZZ_EXAMPLES``) each test runs a fixed, derandomized
set of examples without Hypothesis's database, and the first failure fails the
test, naming the exception, where it was raised and the input. Hypothesis does
not shrink it there: shrinking a hang costs the time bound per attempt, and the
suite's share must stay a few seconds (a campaign shrinks what it finds). With ``LINMEM_FUZZ_EXAMPLES=N`` the same
tests run ``N`` random inputs each and keep going past failures: each distinct
failure (exception type and innermost linmem frame) is kept with its shortest
input, shrunk further by deleting bytes, and everything is written to
``LINMEM_FUZZ_OUT`` (default ``.linmem-fuzz/``): one JSON summary per test and
one reproducer file per failure.
"""

from __future__ import annotations

import json
import os
import random
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st

from .isolation import Outcome
from .targets import FuzzInput, Target

CAMPAIGN_EXAMPLES = int(os.environ.get("LINMEM_FUZZ_EXAMPLES", "0") or 0)
OUT = Path(os.environ.get("LINMEM_FUZZ_OUT", Path(__file__).resolve().parents[2] / ".linmem-fuzz"))
#: seconds spent shrinking each distinct failure found by a campaign
SHRINK_SECONDS = float(os.environ.get("LINMEM_FUZZ_SHRINK_SECONDS", "20"))
_QUIET = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much,
          HealthCheck.large_base_example]


class FuzzFailure(AssertionError):
    """An input made a reader fail in a way no user should see."""


def describe(target: Target, item: FuzzInput, outcome: Outcome) -> str:
    """The failure in a few lines: the target, how it ended, and the input."""
    suffix, data = item
    return (f"{target.name} ({suffix}): {outcome.ending.value}: {outcome.origin}\n  {outcome.detail}\n"
            f"  input ({len(data)} bytes): {data[:600]!r}")


def fuzz(target: Target, label: str, strategy: st.SearchStrategy[FuzzInput], directory: Path, *,
         examples: int) -> None:
    """Run ``target`` on the strategy's inputs: ``examples`` fixed ones, or a campaign when one is asked for."""
    if CAMPAIGN_EXAMPLES:
        _campaign(target, label, strategy, directory)
        return

    @settings(max_examples=examples, derandomize=True, database=None, deadline=None, print_blob=False,
              suppress_health_check=_QUIET, phases=[Phase.explicit, Phase.generate])
    @given(strategy)
    def check_one(item: FuzzInput) -> None:
        outcome = target.run(item, directory)
        if outcome.failed:
            raise FuzzFailure(describe(target, item, outcome))
    check_one()


@dataclass
class Tally:
    """A campaign's counts and its distinct failures, each with the shortest input that shows it."""

    target: Target
    label: str
    inputs: int = 0
    endings: dict[str, int] = field(default_factory=dict)
    failures: dict[str, tuple[FuzzInput, Outcome, int]] = field(default_factory=dict)  # origin -> (input, outcome, hits)

    def record(self, item: FuzzInput, outcome: Outcome) -> None:
        """Count one input; keep it if it shows a failure more briefly than before."""
        self.inputs += 1
        self.endings[outcome.ending.value] = self.endings.get(outcome.ending.value, 0) + 1
        if outcome.failed:
            known = self.failures.get(outcome.origin)
            hits = known[2] + 1 if known else 1
            shortest = item if not known or len(item[1]) < len(known[0][1]) else known[0]
            self.failures[outcome.origin] = (shortest, outcome if shortest is item else known[1], hits)


def _campaign(target: Target, label: str, strategy: st.SearchStrategy[FuzzInput], directory: Path) -> None:
    tally = Tally(target, label)
    started = time.monotonic()

    @settings(max_examples=CAMPAIGN_EXAMPLES, database=None, deadline=None, print_blob=False,
              suppress_health_check=_QUIET, phases=[Phase.generate])
    @given(strategy)
    def record_one(item: FuzzInput) -> None:
        tally.record(item, target.run(item, directory))
    chosen_seed = int(os.environ.get("LINMEM_FUZZ_SEED") or random.getrandbits(32))
    hypothesis_seed(chosen_seed)(record_one)()
    elapsed = time.monotonic() - started
    for origin, (item, outcome, hits) in list(tally.failures.items()):
        smaller = shrink(item, lambda candidate: target.run(candidate, directory).origin == origin)
        tally.failures[origin] = (smaller, outcome, hits)
    summary = save(tally, elapsed, chosen_seed)
    print(summary)
    if tally.failures:
        raise FuzzFailure(summary)


def shrink(item: FuzzInput, still_fails: Callable[[FuzzInput], bool], seconds: float = SHRINK_SECONDS) -> FuzzInput:
    """Delete ever smaller chunks of the input while it still fails the same way (delta debugging, time-boxed)."""
    suffix, data = item
    deadline = time.monotonic() + seconds
    chunk = max(1, len(data) // 2)
    while chunk >= 1 and time.monotonic() < deadline:
        start, progressed = 0, False
        while start < len(data) and time.monotonic() < deadline:
            candidate = data[:start] + data[start + chunk:]
            if still_fails((suffix, candidate)):
                data, progressed = candidate, True
            else:
                start += chunk
        if not progressed:
            chunk //= 2
    return suffix, data


def save(tally: Tally, elapsed: float, chosen_seed: int) -> str:
    """Write the campaign's summary and reproducers under :data:`OUT`; return the summary as text."""
    OUT.mkdir(parents=True, exist_ok=True)
    stem = f"{tally.target.name}-{tally.label}"
    failures = []
    for number, (origin, ((suffix, data), outcome, hits)) in enumerate(sorted(tally.failures.items()), 1):
        reproducer = OUT / f"{stem}-{number}{suffix}"
        reproducer.write_bytes(data)
        failures.append({"origin": origin, "ending": outcome.ending.value, "detail": outcome.detail, "hits": hits,
                         "input": data.decode("latin-1"), "file": str(reproducer)})
    document = {"target": tally.target.name, "inputs": tally.label, "count": tally.inputs,
                "seconds": round(elapsed, 1), "seed": chosen_seed, "endings": tally.endings, "failures": failures}
    (OUT / f"{stem}.json").write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
    lines = [f"{stem}: {tally.inputs} inputs in {elapsed:.0f} s (seed {chosen_seed}), endings {tally.endings}, "
             f"{len(failures)} distinct failure(s)"]
    lines += [f"  {entry['origin']} x{entry['hits']}: {entry['detail'][:160]}\n    minimal input: "
              f"{entry['input'][:200]!r} ({entry['file']})" for entry in failures]
    return "\n".join(lines)
