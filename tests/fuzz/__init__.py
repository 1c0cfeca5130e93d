"""Fuzzing the three readers of user input: scenario files, ``.wast`` scripts, wasm binaries.

Each target gets generated inputs (Hypothesis strategies, :mod:`.generators`) and
mutated ones (our own corpus, byte- and token-level, :mod:`.mutations`). The oracle
(:mod:`.isolation`) runs every input in a forked child under a time bound and a
memory cap: the call must return or raise a ``HarnessError``; anything else, a
hang or a crash is a bug. The suite runs a few deterministic examples per target;
``LINMEM_FUZZ_EXAMPLES=N`` turns the same tests into a campaign (:mod:`.campaign`).
"""
