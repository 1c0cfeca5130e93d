"""The one result record: a :class:`Case` is one test of any kind on one runtime, judged.

A scenario file, a ``.wast`` command and a JS API subtest are
all cases of one shape, like pytest's reports or wptrunner's results: an id,
the file and line it comes from, the runtime it ran on, a :class:`Status`, a
one-line detail, and, where they apply, the observed, reference and
``expect`` values with the :class:`Difference` entries between them. One
runner produces them (:mod:`harness.pipeline`) and one set of writers
renders them (:mod:`harness.reports`).

>>> case = Case(CaseKind.WAST, "memory.wast:3", Path("memory.wast"), REFERENCE, Status.PASS, line=3)
>>> case.runtime.label, summary([case])
('reference', {'pass': 1, 'fail': 0, 'error': 0, 'unsupported': 0})
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any, Iterable, Sequence

from .errors import EXIT_AGREE, EXIT_DIFFERENCE


class Status(str, Enum):
    """A case's verdict, in the contract's order."""

    PASS = "pass"  # the runtime agrees with the reference (or the script) and every expect holds
    FAIL = "fail"  # a difference: the report shows where, and every side
    ERROR = "error"  # the runtime crashed, hung or broke the protocol, or the model cannot judge
    UNSUPPORTED = "unsupported"  # the runtime lacks a feature the case needs (found by probing)


class CaseKind(str, Enum):
    """Where a case comes from."""

    SCENARIO = "scenario"  # a scenario file (``*.scenario.toml``, ``*.scenario.json``)
    WAST = "wast"  # one command of a ``.wast`` spec script
    JSAPI = "jsapi"  # one subtest of a JS API test file (``*.any.js``, testharness.js), on a JS runtime only


class _NoExpect:
    """The absence of an ``expect`` key (``None`` is a value an observation can have)."""

    def __repr__(self) -> str:
        return "NO_EXPECT"


NO_EXPECT: Any = _NoExpect()


@dataclass(frozen=True)
class RuntimeId:
    """What a case ran on: a JavaScript runtime, the reference model, or wabt (for malformed text)."""

    name: str
    version: str = ""

    @property
    def label(self) -> str:
        """``node-24.19.0``; ``reference`` and ``wabt`` have no version in their label."""
        return f"{self.name}-{self.version}" if self.version else self.name

    def as_json(self) -> dict[str, str]:
        """The contract's ``runtime`` entry."""
        return {"name": self.name, "version": self.version}

    def __str__(self) -> str:
        return self.label


#: the reference model, judged like any runtime where a script or an ``expect`` is the judge
REFERENCE = RuntimeId("reference")
#: wabt's text parser, the judge of ``assert_malformed`` text modules
WABT = RuntimeId("wabt")


@dataclass(frozen=True)
class Difference:
    """One step where the runtime, the reference and ``expect`` do not all agree."""

    step: int | str  # a step index (from 1), or "instantiate"
    op: str
    observed: Any
    reference: Any
    expect: Any = NO_EXPECT

    def as_json(self) -> dict[str, Any]:
        """The contract's ``differences`` entry."""
        entry = {"step": self.step, "op": self.op, "observed": self.observed, "reference": self.reference}
        if self.expect is not NO_EXPECT:
            entry["expect"] = self.expect
        return entry


@dataclass(frozen=True)
class Case:
    """One test of any kind on one runtime, judged."""

    kind: CaseKind
    id: str  # ``sum.scenario.toml``, ``memory.wast:42``
    file: Path
    runtime: RuntimeId
    status: Status
    line: int | None = None
    command: str = ""  # a .wast command's name (``assert_return``); empty for a scenario
    detail: str = ""  # why it did not pass, in one line (a reason, a message)
    observed: Any = None  # a scenario's observation document on the runtime
    reference: Any = None  # the reference model's document
    differences: tuple[Difference, ...] = ()

    @property
    def passed(self) -> bool:
        """Pass or unsupported: nothing here makes the run fail."""
        return self.status in (Status.PASS, Status.UNSUPPORTED)


def summary(cases: Iterable[Case]) -> dict[str, int]:
    """Counts per status, in the contract's order."""
    counts = {status.value: 0 for status in Status}
    for case in cases:
        counts[case.status.value] += 1
    return counts


def exit_status(cases: Sequence[Case]) -> int:
    """0 when every case passes or is unsupported, else 1."""
    return EXIT_AGREE if all(case.passed for case in cases) else EXIT_DIFFERENCE
