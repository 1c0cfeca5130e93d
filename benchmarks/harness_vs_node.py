"""Harness overhead, side by side in one run: linmem against a bare ``node`` doing the same work.

Three measurements, each the best of ``--repeat`` runs on the same machine in
the same process:

1. the article: ``linmem reproduce`` (warm cache) against bare ``node demo.js``
   plus ``node sum.js`` on the same binaries;
2. the scenario library: ``linmem run tests/scenarios`` on one runtime against
   bare ``node`` running the same scenarios through ``js/driver.js`` in one
   process (no reference model, no comparison);
3. the reference model alone on the library.

    python benchmarks/harness_vs_node.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from timing import best_of  # noqa: E402

from harness.article.examples import DEMO, SUM, wasm_file_for  # noqa: E402
from harness.compiler.wabt import Compiler  # noqa: E402
from harness.pipeline.collect import collect  # noqa: E402
from harness.pipeline.run import load_inputs  # noqa: E402
from harness.runtimes.discovery import find_node  # noqa: E402
from harness.scenarios.on_model import run_reference  # noqa: E402
from harness.scenarios.on_runtime import scenario_request  # noqa: E402
from tests.real_modules import extract_all  # noqa: E402


def run(command: list[str], stdin: bytes | None = None) -> None:
    subprocess.run(command, input=stdin, check=True, capture_output=True, timeout=300)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    repeat = parser.parse_args().repeat
    node = find_node()
    with Compiler(node) as compiler:
        modules = [compiler.compile_file(example.wat_path) for example in (DEMO, SUM)]
        extract_all()  # tests/scenarios/real needs its modules from npm
        prepared = load_inputs(collect([ROOT / "tests" / "scenarios"]), compiler).scenarios
    wasm_paths = [wasm_file_for(module) for module in modules]
    linmem = [sys.executable, "-m", "harness"]

    article_harness = best_of(repeat, lambda: run(linmem + ["reproduce"]))
    article_bare = best_of(repeat, lambda: [run(node.command(example.program, str(path)))
                                            for example, path in zip((DEMO, SUM), wasm_paths)])

    requests = b"".join(json.dumps(dict(scenario_request(item.scenario, item.binaries, item.modules), id=i)).encode() + b"\n"
                        for i, item in enumerate(prepared) if item.module is not None)
    driver = node.command(ROOT / "js" / "worker.js", str(ROOT / "js" / "driver.js"))
    library_harness = best_of(repeat, lambda: run(linmem + ["run", str(ROOT / "tests" / "scenarios")]))
    library_bare = best_of(repeat, lambda: run(driver, stdin=requests))
    model_only = best_of(repeat, lambda: [run_reference(item.scenario, list(item.binaries)) for item in prepared])

    print(f"node {node.version} at {node.path}; best of {repeat}; {len(prepared)} scenarios "
          f"({len([p for p in prepared if p.module is not None])} sent to the bare driver)")
    print(f"{'work':<44}{'harness':>10}{'bare node':>12}{'ratio':>8}")
    for label, harness_seconds, bare_seconds in (
            ("article: reproduce vs node demo.js + sum.js", article_harness, article_bare),
            ("library: linmem run vs one driver process", library_harness, library_bare)):
        print(f"{label:<44}{harness_seconds:>9.3f}s{bare_seconds:>11.3f}s{harness_seconds / bare_seconds:>7.1f}x")
    print(f"{'reference model alone on the library':<44}{model_only:>9.3f}s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
