"""The update switch pins the reference's observations as expect keys, keeping the file's comments."""

from __future__ import annotations

import json
from pathlib import Path

from harness.scenarios.format import load_scenario
from harness.scenarios.update import update_expectations
from tests.conftest import write_file

TOML = '''# a comment that must survive
title = "rebase me"
wat = "(module (memory (export \\"memory\\") 1))"

[[steps]]
op = "write"
view = "Uint8Array"
offset = 0
values = [300]  # wraps to 44

[[steps]]
op = "read"
view = "Uint8Array"
offset = 0
length = 2
expect = [0, 0]
'''


def test_toml_files_get_expect_keys_and_keep_comments(tmp_path: Path) -> None:
    path = write_file(tmp_path, "r.scenario.toml", TOML)
    reference = {"instantiate": None, "steps": [None, [44, 0]]}
    assert update_expectations(load_scenario(path), reference)
    text = path.read_text()
    assert "# a comment that must survive" in text and "# wraps to 44" in text
    steps = load_scenario(path).steps
    assert not steps[0].has_expect  # TOML has no null
    assert steps[1].expect == [44, 0]
    assert not update_expectations(load_scenario(path), reference)  # nothing left to change


def test_json_files_get_every_expect_including_null(tmp_path: Path) -> None:
    path = write_file(tmp_path, "r.scenario.json", json.dumps(
        {"wat": "(module)", "steps": [{"op": "grow", "delta": 1}]}))
    reference = {"instantiate": {"error": "TypeError"}, "steps": []}
    update_expectations(load_scenario(path), reference)
    document = json.loads(path.read_text())
    assert document["expect_instantiate"] == {"error": "TypeError"}
    assert "expect" not in document["steps"][0]
