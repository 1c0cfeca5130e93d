"""Every input to the three readers ends in a result or a linmem error, within the time bound.

Generated and mutated inputs for the scenario loader, the ``.wast`` reader and
the model's decoder and validator. In the suite each test runs a fixed set of
examples (a second or so); ``LINMEM_FUZZ_EXAMPLES=10000`` makes a campaign of
the same tests (see ``tests/fuzz/campaign.py`` and README's Testing section).
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import pytest
from hypothesis import strategies as st

from harness.compiler.wabt import Compiler

from . import corpus, generators
from .campaign import CAMPAIGN_EXAMPLES, fuzz
from .mutations import TOML_TOKENS, WASM_TOKENS, WAST_TOKENS, apply_edits, edits
from .targets import DECODER, SCENARIOS, WAST, FuzzInput


@pytest.fixture(scope="module")
def fuzz_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where each input is written before its reader opens it."""
    return tmp_path_factory.mktemp("fuzz")


def mutated(seeds: Sequence[FuzzInput], tokens: Sequence[bytes]) -> st.SearchStrategy[FuzzInput]:
    """A seed with a few edits."""
    return st.tuples(st.sampled_from(seeds), edits(tokens)).map(
        lambda pair: (pair[0][0], apply_edits(pair[0][1], pair[1])))


def test_generated_scenario_files_load_or_raise_a_scenario_error(fuzz_dir: Path) -> None:
    fuzz(SCENARIOS, "generated", generators.scenario_files(), fuzz_dir, examples=50)


def test_mutated_scenario_files_load_or_raise_a_scenario_error(fuzz_dir: Path) -> None:
    fuzz(SCENARIOS, "mutated", mutated(corpus.scenario_seeds(), TOML_TOKENS), fuzz_dir, examples=50)


def test_generated_wast_scripts_read_or_raise_a_wast_error(fuzz_dir: Path) -> None:
    fuzz(WAST, "generated", generators.wast_scripts().map(lambda data: (".wast", data)), fuzz_dir, examples=50)


def test_mutated_wast_scripts_read_or_raise_a_wast_error(fuzz_dir: Path) -> None:
    fuzz(WAST, "mutated", mutated(corpus.wast_seeds(), WAST_TOKENS), fuzz_dir, examples=50)


def test_generated_binaries_decode_or_raise_a_decode_error(fuzz_dir: Path) -> None:
    fuzz(DECODER, "generated", generators.wasm_modules().map(lambda data: (".wasm", data)), fuzz_dir, examples=50)


def test_mutated_binaries_decode_or_raise_a_decode_error(fuzz_dir: Path, compiler: Compiler) -> None:
    seeds = corpus.wasm_seeds(compiler, everything=bool(CAMPAIGN_EXAMPLES))
    fuzz(DECODER, "mutated", mutated(seeds, WASM_TOKENS), fuzz_dir, examples=50)
