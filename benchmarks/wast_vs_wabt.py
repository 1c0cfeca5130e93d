"""The 18 memory ``.wast`` scripts of the 2.0 core through ``linmem run`` against wabt's native runner.

linmem runs them as a user does: ``linmem run FILES... --spec-version 2.0`` in
a subprocess (the reference model and the default Node), the whole command
timed, with a warm cache (one untimed run first). wabt runs each script with
``wast2json F -o tmp.json && spectest-interp tmp.json`` (Debian's wabt
package); the whole set is timed. Each side's best of ``repeat`` runs is kept.
The scripts' directory comes from ``LINMEM_SPEC_CORE`` (test/core of
WebAssembly/spec at fffc6e12)::

    LINMEM_SPEC_CORE=/path/to/spec/test/core python benchmarks/wast_vs_wabt.py [--repeat 3]

The reference model alone (``--node reference``) is printed too, for
information: it is not a goal.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

from comparisons import Comparison, main_of  # noqa: E402
from timing import best_of, compile_linmem_bytecode  # noqa: E402

#: the memory scripts of the 2.0 core (tests/conftest.py's MEMORY_FILES)
MEMORY_FILES = ("address", "align", "endianness", "load", "store", "memory", "memory_grow", "memory_size",
                "memory_trap", "data", "bulk", "memory_copy", "memory_fill", "memory_init", "i32", "i64",
                "float_memory", "memory_redundancy")
WORK = "18 memory .wast scripts (2.0) through linmem run"
BASELINE = "wabt wast2json + spectest-interp"
GOAL = ("at most", 3.0)


def script_paths() -> list[Path] | str:
    """The 18 scripts, or why they cannot be found."""
    directory = os.environ.get("LINMEM_SPEC_CORE")
    if not directory:
        return "LINMEM_SPEC_CORE is not set: point it at test/core of WebAssembly/spec (fffc6e12)"
    paths = [Path(directory) / f"{name}.wast" for name in MEMORY_FILES]
    absent = [str(path) for path in paths if not path.is_file()]
    return f"not found: {', '.join(absent)}" if absent else paths


def linmem_run(paths: list[Path], *nodes: str) -> None:
    """``linmem run`` on the scripts, as a user runs it; a failing run stops the benchmark."""
    node_options = [option for node in nodes for option in ("--node", node)]
    command = [sys.executable, "-m", "harness", "run", *map(str, paths), "--spec-version", "2.0", *node_options]
    finished = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    if finished.returncode != 0:
        raise SystemExit(f"linmem run failed ({finished.returncode}):\n{finished.stdout[-2000:]}{finished.stderr[-2000:]}")


def wabt_run(paths: list[Path], wast2json: str, interpreter: str) -> None:
    """wabt's own runner on every script: wast2json, then spectest-interp on its JSON."""
    with tempfile.TemporaryDirectory(prefix="linmem-wabt-") as scratch:
        for path in paths:
            converted = Path(scratch) / f"{path.stem}.json"
            subprocess.run([wast2json, str(path), "-o", str(converted)], cwd=scratch, check=True,
                           capture_output=True)
            subprocess.run([interpreter, str(converted)], cwd=scratch, check=True, capture_output=True)


def measure(repeat: int) -> list[Comparison]:
    """linmem against wabt on the 18 scripts (the baseline ``missing`` when wabt or the scripts are not there)."""
    paths = script_paths()
    if isinstance(paths, str):
        return [Comparison(WORK, 0.0, BASELINE, None, GOAL, missing=paths)]
    compile_linmem_bytecode()
    linmem_run(paths)  # warm: the npm packages, the compile cache
    linmem_seconds = best_of(repeat, lambda: linmem_run(paths))
    reference_seconds = best_of(repeat, lambda: linmem_run(paths, "reference"))
    print(f"(for information) the same through linmem run --node reference: {reference_seconds:.2f} s",
          file=sys.stderr)
    wast2json, interpreter = shutil.which("wast2json"), shutil.which("spectest-interp")
    if not (wast2json and interpreter):
        return [Comparison(WORK, linmem_seconds, BASELINE, None, GOAL,
                           missing="wabt's wast2json and spectest-interp are not installed (apt install wabt)")]
    wabt_seconds = best_of(repeat, lambda: wabt_run(paths, wast2json, interpreter))
    return [Comparison(WORK, linmem_seconds, BASELINE, wabt_seconds, GOAL)]


def main() -> int:
    return main_of(measure, __doc__, repeat=3)


if __name__ == "__main__":
    raise SystemExit(main())
