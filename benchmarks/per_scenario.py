"""One small scenario through ``linmem run``, the marginal cost over many, against V8's floor and a process per case.

The scenarios are copies of small ones from ``tests/scenarios``, written to a
temporary directory: most are the same file under other names (the issue's
profile: many identical scenarios), one in ten is ``code/loop-sums-bytes``
with only its data changed (how many bytes the loop fills and sums, and so the
read's length and the expected values, worked out here by hand), and one in
ten ``memory/grow-returns-old-size`` (no function at all). Three timings:

- linmem: ``linmem run DIR`` as a user runs it (the default runtime, each
  scenario judged against the reference model), for :data:`MANY` and for
  :data:`FEW` scenarios; the marginal cost of one is the difference over
  ``MANY - FEW``, so start-up, wabt.js and the probes are not counted.
  How many of the scenarios repeat an earlier one's text is printed beside
  it, and so is the same marginal cost over a set where every scenario
  differs (:func:`distinct_variant`: the same module, each with data of its
  own), for information (no goal).
- the floor: the same request documents run by ``js/driver.js``'s own code
  in one warm Node process, timed inside Node (each compiles its modules
  from bytes, instantiates them and runs the steps; nothing of linmem).
- a process per case: one fresh ``node js/worker.js js/driver.js`` per
  scenario with its one request (the mean of :data:`PROCESSES`).

    python benchmarks/per_scenario.py [--repeat 3]
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from comparisons import Comparison, main_of  # noqa: E402
from timing import best_of, compile_linmem_bytecode  # noqa: E402

from harness.compiler.wabt import Compiler  # noqa: E402
from harness.pipeline.collect import collect  # noqa: E402
from harness.pipeline.run import load_inputs  # noqa: E402
from harness.runtimes.discovery import find_node  # noqa: E402
from harness.scenarios.on_runtime import scenario_request  # noqa: E402

SCENARIOS = ROOT / "tests" / "scenarios"
IDENTICAL = SCENARIOS / "memory" / "little-endian.scenario.toml"
NO_FUNCTION = SCENARIOS / "memory" / "grow-returns-old-size.scenario.toml"
DATA_VARIANT = SCENARIOS / "code" / "loop-sums-bytes.scenario.toml"
#: how many scenarios the two ``linmem run`` timings take; the marginal cost is over the difference
MANY, FEW = 400, 40
#: fresh ``node`` processes timed for the process-per-case baseline
PROCESSES = 20

#: run inside one Node process: every request through driver.js, once to warm up, then timed per pass
FLOOR_SCRIPT = r"""
'use strict';
var driver = require(process.argv[2]);
var requests = require('fs').readFileSync(0, 'utf8').split('\n').filter(Boolean).map(JSON.parse);
var passes = Number(process.argv[3]);
function pass() {
  var started = process.hrtime.bigint();
  return requests.reduce(function (chain, request) {
    return chain.then(function () { return driver.scenario(request); });
  }, Promise.resolve()).then(function () { return Number(process.hrtime.bigint() - started) / 1e9; });
}
var best = Infinity, chain = pass();
for (var i = 0; i < passes; i++) chain = chain.then(function () { return pass(); }).then(function (s) { best = Math.min(best, s); });
chain.then(function () { process.stdout.write(JSON.stringify({ seconds: best, count: requests.length }) + '\n'); });
"""


def loop_variant(count: int) -> str:
    """``loop-sums-bytes`` filling and summing ``count`` bytes: the same module, other data.

    The loop stores ``(i + 250) mod 256`` at byte ``i``; the expected values follow from that.
    """
    text = DATA_VARIANT.read_text()
    stored = [(index + 250) % 256 for index in range(count)]
    text = text.replace("args = [10]", f"args = [{count}]").replace("length = 10", f"length = {count}")
    text = text.replace("expect = [250, 251, 252, 253, 254, 255, 0, 1, 2, 3]", f"expect = {stored}")
    return text.replace("expect = 1521", f"expect = {sum(stored)}")


def distinct_variant(index: int) -> str:
    """``little-endian`` with two steps of its own: it writes byte ``index % 256`` at ``100 + index`` and reads it back.

    The same module and the same work for every ``index``, yet no two scenarios alike.
    """
    return IDENTICAL.read_text() + (f'\n[[steps]]\nop = "write"\nview = "Uint8Array"\noffset = {100 + index}\n'
                                    f'values = [{index % 256}]\n'
                                    f'\n[[steps]]\nop = "read"\nview = "Uint8Array"\noffset = {100 + index}\n'
                                    f'length = 1\nexpect = [{index % 256}]\n')


def write_scenarios(directory: Path, count: int, *, distinct: bool = False) -> None:
    """``count`` scenario files in ``directory``: eight in ten identical, one a data variant, one without code.

    ``distinct``: every one different instead (:func:`distinct_variant`).
    """
    identical, no_function = IDENTICAL.read_text(), NO_FUNCTION.read_text()
    directory.mkdir(parents=True, exist_ok=True)
    for index in range(count):
        kind = index % 10
        text = loop_variant(1 + index % 64) if kind == 4 else no_function if kind == 9 else identical
        (directory / f"case-{index:04d}.scenario.toml").write_text(distinct_variant(index) if distinct else text)


def repeated_share(directory: Path) -> float:
    """The share of the scenario files of ``directory`` whose text is an earlier one's."""
    texts = [path.read_bytes() for path in sorted(directory.iterdir())]
    return 1 - len(set(texts)) / len(texts)


def linmem_run(directory: Path) -> None:
    """``linmem run DIR`` as a user runs it; every scenario must pass."""
    done = subprocess.run([sys.executable, "-m", "harness", "run", str(directory)], capture_output=True, text=True,
                          timeout=600)
    if done.returncode != 0:
        raise SystemExit(f"linmem run {directory} failed ({done.returncode}):\n{done.stdout[-2000:]}{done.stderr[-2000:]}")


def interleaved_best(repeat: int, first: Callable[[], object], second: Callable[[], object]) -> tuple[float, float]:
    """The best time of each of two actions run in turn ``repeat`` times (a busy moment hits both alike)."""
    firsts, seconds = [], []
    for _ in range(repeat):
        firsts.append(best_of(1, first))
        seconds.append(best_of(1, second))
    return min(firsts), min(seconds)


def request_lines(directory: Path) -> bytes:
    """The request documents the driver receives for the scenarios of ``directory``, one JSON line each."""
    node = find_node()
    with Compiler(node) as compiler:
        prepared = load_inputs(collect([directory]), compiler).scenarios
    return b"".join(json.dumps(dict(scenario_request(item.scenario, item.binaries, item.modules), id=index)).encode()
                    + b"\n" for index, item in enumerate(prepared))


def floor_seconds(lines: bytes, repeat: int) -> float:
    """Seconds per scenario for the requests run by driver.js in one warm Node process, timed inside it."""
    node = find_node()
    with tempfile.TemporaryDirectory() as scratch:
        script = Path(scratch) / "floor.js"
        script.write_text(FLOOR_SCRIPT)
        done = subprocess.run(node.command(script, str(ROOT / "js" / "driver.js"), str(max(1, repeat))),
                              input=lines, capture_output=True, check=True, timeout=600)
    timing = json.loads(done.stdout)
    return timing["seconds"] / timing["count"]


def process_per_case_seconds(lines: bytes) -> float:
    """Mean seconds of one fresh ``node`` running driver.js on one request, answer included."""
    node = find_node()
    argv = node.command(ROOT / "js" / "worker.js", str(ROOT / "js" / "driver.js"))
    timings = []
    for line in lines.splitlines(keepends=True)[:PROCESSES]:
        started = time.perf_counter()
        done = subprocess.run(argv, input=line, capture_output=True, check=True, timeout=60)
        timings.append(time.perf_counter() - started)
        if b'"ok":true' not in done.stdout:
            raise SystemExit(f"the driver failed on a request: {done.stdout[:500]!r}")
    return statistics.mean(timings)


def distinct_marginal(scratch: str, repeat: int) -> float:
    """The marginal cost of a scenario through ``linmem run`` where no two scenarios are alike."""
    many, few = Path(scratch) / "distinct-many", Path(scratch) / "distinct-few"
    write_scenarios(many, MANY, distinct=True)
    write_scenarios(few, FEW, distinct=True)
    many_seconds, few_seconds = interleaved_best(repeat, lambda: linmem_run(many), lambda: linmem_run(few))
    return max(many_seconds - few_seconds, 1e-7) / (MANY - FEW)


def measure(repeat: int) -> list[Comparison]:
    """The marginal cost of a scenario through ``linmem run`` against the V8 floor and a process per case."""
    with tempfile.TemporaryDirectory(prefix="linmem-per-scenario-") as scratch:
        many, few = Path(scratch) / "many", Path(scratch) / "few"
        write_scenarios(many, MANY)
        write_scenarios(few, FEW)
        compile_linmem_bytecode()
        linmem_run(few)  # warm: npm packages, the compile cache, the runtime's probe
        many_seconds, few_seconds = interleaved_best(repeat, lambda: linmem_run(many), lambda: linmem_run(few))
        print(f"per_scenario: linmem run, best of {repeat}: {MANY} scenarios {many_seconds:.3f} s, "
              f"{FEW} scenarios {few_seconds:.3f} s; {repeated_share(many):.0%} of the {MANY} repeat an earlier "
              f"one's text (8 in 10 are one file)", file=sys.stderr)
        marginal = max(many_seconds - few_seconds, 1e-7) / (MANY - FEW)  # noise can make it (near) zero
        print(f"per_scenario: every scenario different (for information): {distinct_marginal(scratch, repeat) * 1e6:.0f} "
              f"us marginal over {MANY}", file=sys.stderr)
        lines = request_lines(many)
        floor = floor_seconds(lines, repeat)
        per_process = process_per_case_seconds(lines)
    node = find_node()
    work = f"one small scenario, marginal over {MANY} through linmem run"
    return [Comparison(work, marginal, f"node {node.version}: driver.js in one warm V8", floor, ("at most", 4.0)),
            Comparison(work, marginal, f"node {node.version}: one process per case", per_process, ("at least", 250.0))]


def main() -> int:
    return main_of(measure, __doc__, repeat=5)


if __name__ == "__main__":
    raise SystemExit(main())
