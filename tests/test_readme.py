"""README's two commands are the ones CI runs and the ones that exist."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def readme_commands() -> list[str]:
    blocks = re.findall(r"```sh\n(.*?)```", (ROOT / "README.md").read_text(encoding="utf-8"), re.S)
    return [block.strip() for block in blocks[:2]]


def test_readme_opens_with_the_reproduce_and_test_commands() -> None:
    assert readme_commands() == ["python -m pip install -e '.[test]' && linmem reproduce",
                                 "python -m pip install -e '.[test]' && pytest -n auto"]


def test_ci_runs_readmes_test_command_verbatim() -> None:
    ci_lines = [line for line in (ROOT / ".ci" / "run").read_text().splitlines() if line and not line.startswith("#")]
    assert ci_lines[-1] == readme_commands()[1]
