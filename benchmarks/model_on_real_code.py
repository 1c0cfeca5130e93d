"""The reference model on real code: hash-wasm's md5 over 1 MiB, through linmem and in-process on Node.

"Through linmem" is the hash as ``linmem run`` computes a scenario's
reference: a generated scenario (Hash_Init, 64 x (write 16 KiB into
Hash_GetBuffer, Hash_Update(16384)), Hash_Final, read the 16-byte digest),
prepared, then run by :func:`harness.scenarios.suite.reference_for` the way a
model worker process runs it (:func:`harness.pipeline.model_pool.serve_references`):
with :func:`~harness.scenarios.decoded.reuse_translations` on, on the model's
deep stack. This is the warm-cache case: the module's translations are already
on disk (a first, untimed run puts them there), and each timed run starts as a
fresh worker does, with no module kept decoded (``decoded.forget_all()``), so
it decodes the module and loads its translations from disk. The baseline is the same module and the same calls in one Node
process, timed inside Node with ``performance.now()`` (best of N after a
warm-up). Both digests are checked against :func:`hashlib.md5`. A third figure
is one 1 MiB host write into a model memory, the path a scenario's
``write_bytes`` step takes. The module is extracted from hash-wasm's bundle
first (tests/real_modules.py)::

    python benchmarks/model_on_real_code.py [--repeat 3]
"""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from comparisons import Comparison, main_of  # noqa: E402
from timing import best_of  # noqa: E402

from harness.compiler.wabt import Compiler  # noqa: E402
from harness.model import MemoryObject, TypedArrayModel, view_kind  # noqa: E402
from harness.pipeline.model_pool import on_deep_stack  # noqa: E402
from harness.runtimes.discovery import find_compiler_node, find_node  # noqa: E402
from harness.scenarios import decoded  # noqa: E402
from harness.scenarios.format import load_scenario  # noqa: E402
from harness.scenarios.suite import PreparedScenario, prepare, reference_for  # noqa: E402
from harness.scenarios.verdict import Reference  # noqa: E402
from tests.real_modules import extract_all  # noqa: E402

CHUNK = 16384
CHUNKS = 64
MODULE = "hash-wasm-md5"


def message() -> bytes:
    """The 1 MiB hashed: every chunk different (bytes of a counter), so a misplaced chunk changes the digest."""
    return b"".join(bytes((index * 7 + offset) & 0xFF for offset in range(256)) * (CHUNK // 256)
                    for index in range(CHUNKS))


def scenario_text(module_path: Path, data: bytes) -> str:
    """The scenario: init, CHUNKS x (write a chunk into the buffer, update), final, read the digest."""
    lines = [f'title = "hash-wasm md5 over {len(data):,} bytes in {CHUNK:,}-byte chunks (benchmark)"',
             "[[modules]]", 'name = "md5"', f"module = {json.dumps(str(module_path))}",
             "[[steps]]", 'op = "call"', 'export = "Hash_GetBuffer"', 'as = "buf"',
             "[[steps]]", 'op = "call"', 'export = "Hash_Init"']
    for start in range(0, len(data), CHUNK):
        chunk = base64.b64encode(data[start:start + CHUNK]).decode()
        lines += ["[[steps]]", 'op = "write_bytes"', 'offset = "$buf"', f'base64 = "{chunk}"', 'as = "chunk"',
                  "[[steps]]", 'op = "call"', 'export = "Hash_Update"', 'args = ["$chunk.written"]']
    lines += ["[[steps]]", 'op = "call"', 'export = "Hash_Final"',
              "[[steps]]", 'op = "read_bytes"', 'offset = "$buf"', "length = 16", 'as = "digest"']
    return "\n".join(lines) + "\n"


NODE_SCRIPT = r"""
const fs = require("fs");
const [wasmPath, dataPath, repeat] = process.argv.slice(2);
const data = new Uint8Array(fs.readFileSync(dataPath));
const instance = new WebAssembly.Instance(new WebAssembly.Module(fs.readFileSync(wasmPath)));
const e = instance.exports;
const CHUNK = %d;
function hash() {
  const buffer = e.Hash_GetBuffer();
  e.Hash_Init();
  for (let start = 0; start < data.length; start += CHUNK) {
    new Uint8Array(e.memory.buffer, buffer, CHUNK).set(data.subarray(start, start + CHUNK));
    e.Hash_Update(CHUNK);
  }
  e.Hash_Final();
  return Buffer.from(new Uint8Array(e.memory.buffer, buffer, 16)).toString("hex");
}
let digest = hash();  // warm-up
let best = Infinity;
for (let i = 0; i < Number(repeat); i++) {
  const started = performance.now();
  digest = hash();
  best = Math.min(best, performance.now() - started);
}
console.log(JSON.stringify({ seconds: best / 1000, digest }));
""" % CHUNK


def on_node(wasm_path: Path, data_path: Path, repeat: int) -> tuple[float, str]:
    """Node's best time for the hash (in-process, after a warm-up) and its digest."""
    script = data_path.with_name("md5.js")
    script.write_text(NODE_SCRIPT)
    completed = subprocess.run([find_node().path, str(script), str(wasm_path), str(data_path), str(max(repeat, 5))],
                               capture_output=True, text=True, check=True)
    answer = json.loads(completed.stdout)
    return answer["seconds"], answer["digest"]


def host_write_seconds(repeat: int) -> float:
    """One 1 MiB ``write_bytes``-style host write (a Uint8Array over the buffer, then the store) into a memory."""
    data = message()
    memory_object = MemoryObject(initial=17)

    def write() -> None:
        view = TypedArrayModel(view_kind("Uint8Array"), memory_object.buffer, 4096, len(data))
        view.buffer.memory.store(view.byte_offset, data)
    seconds = best_of(repeat, write)
    if memory_object.memory.load(4096, len(data)) != data:
        raise SystemExit("the 1 MiB host write did not write the bytes")
    return seconds


def element_write_seconds(repeat: int) -> float:
    """1 Mi values written through ``Uint8Array.set`` (the path of a ``write`` step's ``values``), each converted."""
    data = message()
    values = list(data)
    memory_object = MemoryObject(initial=17)

    def write() -> None:
        TypedArrayModel(view_kind("Uint8Array"), memory_object.buffer, 4096, len(values)).set(values)
    seconds = best_of(repeat, write)
    if memory_object.memory.load(4096, len(data)) != data:
        raise SystemExit("the 1 Mi-element write did not write the bytes")
    return seconds


def measure(repeat: int) -> list[Comparison]:
    """md5 over 1 MiB on the model (as ``linmem run`` computes it) against Node in-process; a 1 MiB host write."""
    wasm_path = extract_all()[MODULE]
    data = message()
    expected = hashlib.md5(data).hexdigest()
    with tempfile.TemporaryDirectory(prefix="linmem-md5-") as directory:
        scenario_path = Path(directory) / "md5.scenario.toml"
        scenario_path.write_text(scenario_text(wasm_path, data))
        data_path = Path(directory) / "message.bin"
        data_path.write_bytes(data)
        with Compiler(find_compiler_node(find_node())) as compiler:
            prepared = prepare(load_scenario(scenario_path), compiler)
        previous = decoded.reuse_translations()
        try:
            reference = in_a_worker(prepared)  # untimed: puts the translations on disk if they are not there
            model_seconds = best_of(repeat, lambda: in_a_worker(prepared))
        finally:
            decoded.reuse_translations(previous)
            decoded.forget_all()
        if reference.gap:
            raise SystemExit(f"md5 benchmark: the model could not run the scenario: {reference.gap}")
        observed = _digest_of(reference.document)
        if observed != expected:
            raise SystemExit(f"md5 benchmark: the model's digest {observed} is not hashlib's {expected}")
        node_seconds, node_digest = on_node(wasm_path, data_path, repeat)
        if node_digest != expected:
            raise SystemExit(f"md5 benchmark: Node's digest {node_digest} is not hashlib's {expected}")
    return [Comparison(f"md5 over {len(data) >> 20} MiB through linmem (hash-wasm)", model_seconds,
                       "Node in-process", node_seconds, ("at most", 150.0)),
            Comparison("one 1 MiB host write into a model memory (bytes)", host_write_seconds(repeat), "", None,
                       ("under", 0.02)),
            Comparison("1 Mi values through Uint8Array.set (a write step)", element_write_seconds(repeat), "", None,
                       ("under", 0.02))]


def in_a_worker(prepared: PreparedScenario) -> Reference:
    """The scenario's reference as a fresh model worker computes it (no module kept decoded yet)."""
    decoded.forget_all()
    return on_deep_stack(reference_for, prepared.scenario, prepared.binaries)


def _digest_of(document: dict) -> str:
    """The digest the scenario's last step (``read_bytes`` of 16 bytes) observed, as hex."""
    steps = document.get("steps") or [None]
    if not isinstance(steps[-1], str):
        raise SystemExit(f"md5 benchmark: no digest in the reference's observations: {json.dumps(document)[-400:]}")
    return steps[-1]


def main() -> int:
    return main_of(measure, __doc__, repeat=3)


if __name__ == "__main__":
    raise SystemExit(main())
