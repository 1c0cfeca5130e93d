"""Every speed goal of linmem, measured side by side in one run and printed as one table.

    python -m pip install -e '.[bench]'      # pywasm, for the last comparison
    python benchmarks/speed.py [--repeat 5] [--only NAME ...]

Each module below measures its comparisons (see :mod:`comparisons`) in this
same process, one after the other, on the same machine:

- ``per_scenario``: one small scenario through ``linmem run`` (the marginal
  cost over many) against the same work inside one warm V8, and against one
  ``node`` process per case;
- ``wast_vs_wabt``: the 18 memory ``.wast`` scripts of the 2.0 core through
  ``linmem run`` against wabt's native ``wast2json`` + ``spectest-interp``;
- ``model_on_real_code``: hash-wasm's md5 over 1 MiB on the reference model
  against the same module in-process on Node, and a 1 MiB host write;
- ``model_vs_pywasm``: the model's interpreter against pywasm on a loop.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from comparisons import Comparison, render  # noqa: E402

BENCHMARKS = ("per_scenario", "wast_vs_wabt", "model_on_real_code", "model_vs_pywasm")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs per figure; the best is kept")
    parser.add_argument("--only", action="append", choices=BENCHMARKS, help="run only this benchmark (repeatable)")
    options = parser.parse_args()
    comparisons: list[Comparison] = []
    for name in options.only or BENCHMARKS:
        print(f"measuring {name} ...", file=sys.stderr, flush=True)
        comparisons.extend(importlib.import_module(name).measure(options.repeat))
    print(render(comparisons))
    return 0 if all(item.holds is not False for item in comparisons) else 1


if __name__ == "__main__":
    raise SystemExit(main())
