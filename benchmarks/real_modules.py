"""The real modules of tests/scenarios/real: each scenario's time on the reference model and on runtimes.

For each scenario: its modules' sizes, its steps (a ``repeat`` expanded), the
best of ``--repeat`` runs of the reference model (decoding included, as
``linmem run`` does it) and of each runtime's driver (one long-lived process
per runtime, as ``linmem run`` keeps it; the first, cold run is not counted).
The modules are extracted first if needed (tests/real_modules.py).

    python benchmarks/real_modules.py [--repeat 3] [--node default --node deno ...]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from timing import best_of  # noqa: E402

from harness.compiler.wabt import Compiler  # noqa: E402
from harness.runtimes.discovery import find_compiler_node, find_node  # noqa: E402
from harness.scenarios.format import load_scenario  # noqa: E402
from harness.scenarios.on_runtime import RuntimeSession  # noqa: E402
from harness.scenarios.suite import prepare, reference_of  # noqa: E402
from tests.real_modules import REAL_DIR, extract_all  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--node", action="append", default=None, help="a runtime spec (repeatable; default: default)")
    options = parser.parse_args()
    extract_all()
    runtimes = [find_node(spec) for spec in options.node or ["default"]]
    sessions = [RuntimeSession(runtime) for runtime in runtimes]
    header = f"{'scenario':<32}{'modules (bytes)':>18}{'steps':>7}{'model':>9}" + "".join(
        f"{runtime.label():>16}" for runtime in runtimes)
    print(header)
    try:
        with Compiler(find_compiler_node(runtimes[0])) as compiler:
            for path in sorted(REAL_DIR.glob("*.scenario.toml")):
                prepared = prepare(load_scenario(path), compiler)
                reference = reference_of(prepared)
                model = best_of(options.repeat, lambda: reference_of(prepared))
                cells = []
                for session in sessions:
                    def on_runtime(session: RuntimeSession = session) -> None:
                        session.run(prepared.scenario, prepared.binaries, prepared.modules, reference.document)
                    on_runtime()  # cold: the module compiled for the first time
                    cells.append(f"{best_of(options.repeat, on_runtime) * 1000:>14.0f}ms")
                sizes = "+".join(f"{len(binary):,}" for binary in prepared.binaries)
                print(f"{path.name.removesuffix('.scenario.toml'):<32}{sizes:>18}{len(prepared.scenario.steps):>7}"
                      f"{model * 1000:>7.0f}ms" + "".join(cells))
    finally:
        for session in sessions:
            session.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
