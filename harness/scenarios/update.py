"""The update switch (``linmem run --update``): pin the reference's observations as ``expect``.

Like wabt's ``--rebase``: each step's ``expect`` (and ``expect_instantiate``
when instantiation fails) is set to what the reference model observed. TOML
files are edited with tomlkit so that comments and layout survive; TOML has
no null, so a step whose observation is ``null`` keeps no ``expect`` there.
Files are rewritten atomically and keep their mode.
"""

from __future__ import annotations

import json
from typing import Any

import tomlkit

from ..outputs import write_output
from ..values.elements import as_values
from .format import Scenario


def inline(value: Any) -> Any:
    """Objects as inline tables, so an ``expect`` stays on its step's one line."""
    if isinstance(value, dict):
        table = tomlkit.inline_table()
        table.update({key: inline(item) for key, item in value.items()})
        return table
    if isinstance(value, list):
        return [inline(item) for item in value]
    return value


def _by_file_step(scenario: Scenario, tables: list[Any], reference: dict[str, Any]) -> list[tuple[Any, Any]]:
    """Each step table of the file with its observation; a ``repeat``'s steps are left as they are."""
    observed = {step.index: observation for step, observation in zip(scenario.steps, reference["steps"])
                if step.label == step.index}
    return [(table, observed[position]) for position, table in enumerate(tables, start=1) if position in observed]


def update_toml(scenario: Scenario, reference: dict[str, Any]) -> bytes:
    """The TOML file's new text with ``expect`` keys set from ``reference``."""
    document = tomlkit.parse(scenario.path.read_text(encoding="utf-8"))
    if reference["instantiate"] is not None:
        document["expect_instantiate"] = inline(reference["instantiate"])
    elif "expect_instantiate" in document:
        del document["expect_instantiate"]
    steps = document.get("steps", [])
    for table, observation in _by_file_step(scenario, steps, reference):
        if observation is None:
            if "expect" in table:
                del table["expect"]
        else:
            table["expect"] = inline(observation)
    return tomlkit.dumps(document).encode("utf-8")


def update_json(scenario: Scenario, reference: dict[str, Any]) -> bytes:
    """The JSON file's new text with ``expect`` keys set from ``reference``."""
    document = json.loads(scenario.path.read_text(encoding="utf-8"))
    if reference["instantiate"] is not None:
        document["expect_instantiate"] = reference["instantiate"]
    else:
        document.pop("expect_instantiate", None)
    for step, observation in _by_file_step(scenario, document.get("steps", []), reference):
        step["expect"] = observation
    return (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def update_expectations(scenario: Scenario, reference: dict[str, Any]) -> bool:
    """Rewrite the scenario file; return True when its text changed."""
    old = scenario.path.read_bytes()
    reference = as_values(reference)  # a large read is pinned as the list of values it stands for
    new = update_json(scenario, reference) if scenario.path.name.endswith(".json") else update_toml(scenario, reference)
    if new == old:
        return False
    write_output(scenario.path, new, "--update")  # as a report is: through a symlink, the link stays
    return True
