"""Collecting tests/scenarios/real extracts the real modules first (tests/real_modules.py).

The scenarios name ``wasm/NAME.wasm``, which no commit holds: the npm
packages pinned as devDependencies are installed (once, shared by pytest-xdist
workers) and their modules written there before pytest collects a scenario.
Tests elsewhere get them from the ``real_modules`` fixture of tests/conftest.py.
"""

from __future__ import annotations

from tests.real_modules import extract_all

extract_all()
