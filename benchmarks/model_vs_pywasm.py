"""The reference model's interpreter against pywasm 2.2.3, side by side in one run.

The same loop-heavy module (store then sum n bytes with i32.store8 /
i32.load8_u) runs on both; results must agree, and the script prints each
one's best time and the ratio. pywasm is not a dependency of linmem:

    python -m pip install -e '.[bench]'
    python benchmarks/model_vs_pywasm.py [--bytes 20000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import io
import sys
import time
from importlib import metadata
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from comparisons import Comparison, render  # noqa: E402

from harness.compiler.wabt import Compiler  # noqa: E402
from harness.model import call_export, decode_module, instantiate  # noqa: E402
from harness.runtimes.discovery import find_node  # noqa: E402

LOOP = """
(module
  (memory (export "memory") 1)
  (func (export "run") (param $n i32) (result i32) (local $i i32) (local $sum i32)
    (block $stored (loop $store
      (br_if $stored (i32.ge_u (local.get $i) (local.get $n)))
      (i32.store8 (i32.and (local.get $i) (i32.const 0xffff)) (local.get $i))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $store)))
    (local.set $i (i32.const 0))
    (block $summed (loop $sum
      (br_if $summed (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $sum (i32.add (local.get $sum) (i32.load8_u (i32.and (local.get $i) (i32.const 0xffff)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $sum)))
    (local.get $sum)))
"""


def best_of(repeat: int, action: Callable[[], int]) -> tuple[float, int]:
    """The fastest of ``repeat`` runs, and the result of the last one."""
    timings, result = [], 0
    for _ in range(repeat):
        started = time.perf_counter()
        result = action()
        timings.append(time.perf_counter() - started)
    return min(timings), result


def measure(repeat: int, byte_count: int = 20000) -> list[Comparison]:
    """The model against pywasm on the loop (both must agree on the result)."""
    try:
        import pywasm
    except ImportError:
        return [Comparison("store-then-sum loop: model", 0.0, "pywasm", None, ("at least", 100.0),
                           missing="pywasm is not installed: python -m pip install -e '.[bench]'")]
    with Compiler(find_node()) as compiler:
        wasm = compiler.compile_text(LOOP.encode(), filename="loop.wat").wasm_bytes

    def on_model() -> int:
        return call_export(instantiate(decode_module(wasm)), "run", [byte_count])[0]

    def on_pywasm() -> int:
        runtime = pywasm.core.Runtime()
        instance = runtime.instance(pywasm.core.ModuleDesc.from_reader(io.BytesIO(wasm)))
        return runtime.invocate(instance, "run", [byte_count])[0] & 0xFFFFFFFF

    model_seconds, model_result = best_of(repeat, on_model)
    pywasm_seconds, pywasm_result = best_of(max(1, repeat // 2), on_pywasm)
    if model_result != pywasm_result:
        raise SystemExit(f"results differ: model {model_result}, pywasm {pywasm_result}")
    return [Comparison(f"store-then-sum {byte_count:,} bytes on the model", model_seconds,
                       f"pywasm {metadata.version('pywasm')}", pywasm_seconds, ("at least", 100.0))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bytes", type=int, default=20000)
    parser.add_argument("--repeat", type=int, default=3)
    arguments = parser.parse_args()
    print(render(measure(arguments.repeat, arguments.bytes)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
