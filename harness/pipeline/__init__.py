"""Running cases of every kind on every runtime: one pipeline for the CLI and the pytest plugin.

- :mod:`.collect`: which files are cases, and of which kind (a directory is searched for every kind)
- :mod:`.targets`: the columns of a run (the reference model, each runtime) with their long-lived processes
- :mod:`.model_pool`: the reference model's worker processes, each case within ``--model-timeout``
- :mod:`.run`: load and check every input first, then run every kind on every target in parallel
- :mod:`.progress`: the live progress line on a terminal
"""
