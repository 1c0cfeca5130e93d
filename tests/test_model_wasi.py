"""linmem's WASI host: the model's (harness/model/wasi.py) and the runtimes' (js/wasi.js) agree.

Each case is a real module, compiled by wabt, whose exports call WASI
functions and store what they return in memory. It runs on the model with
``WasiHost`` and on real runtimes through ``tests/fixtures/js/wasi_runner.js``
with ``createWasiHost``; both give one document of observations (call
outcomes, output, memory bytes). The documents must be equal; each case's
twin runs the JS host with one function sabotaged and must differ; and each
document is checked against values derived here from the witx and from
Python's own strings, UTF-8 codec and MT19937 (CPython's ``random``, itself
pinned to ``mt19937ar.out``).
"""

from __future__ import annotations

import base64
import json
import random
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

import pytest

from harness.compiler.wabt import Compiler
from harness.errors import HarnessError
from harness.model import decode_module, instantiate
from harness.model.instance import call_export
from harness.model.traps import JsException, Trap, TrapKind
from harness.model.wasi import (
    PROVIDED,
    UnknownWasiFunction,
    WasiConfig,
    WasiExit,
    WasiHost,
)
from harness.runtimes.discovery import Runtime
from harness.runtimes.process import run_tool

RUNNER = Path(__file__).parent / "fixtures" / "js" / "wasi_runner.js"
FILL = 0xAA
UNSET = bytes([FILL]) * 4

#: the imports a case may use, typed by hand from wasi_snapshot_preview1.witx (not from SIGNATURES)
WITX_IMPORTS = {
    "args_get": "(param i32 i32) (result i32)",
    "args_sizes_get": "(param i32 i32) (result i32)",
    "environ_get": "(param i32 i32) (result i32)",
    "environ_sizes_get": "(param i32 i32) (result i32)",
    "clock_res_get": "(param i32 i32) (result i32)",
    "clock_time_get": "(param i32 i64 i32) (result i32)",
    "fd_close": "(param i32) (result i32)",
    "fd_fdstat_get": "(param i32 i32) (result i32)",
    "fd_prestat_get": "(param i32 i32) (result i32)",
    "fd_prestat_dir_name": "(param i32 i32 i32) (result i32)",
    "fd_read": "(param i32 i32 i32 i32) (result i32)",
    "fd_seek": "(param i32 i64 i32 i32) (result i32)",
    "fd_write": "(param i32 i32 i32 i32) (result i32)",
    "proc_exit": "(param i32)",
    "random_get": "(param i32 i32) (result i32)",
    "sched_yield": "(result i32)",
}


# WAT building blocks

def data(offset: int, payload: bytes) -> str:
    """An active data segment writing ``payload`` at ``offset``."""
    escaped = "".join(f"\\{byte:02x}" for byte in payload)
    return f'(data (i32.const {offset}) "{escaped}")'


def fill(offset: int, length: int, byte: int = FILL) -> str:
    """A data segment of ``length`` copies of ``byte`` (so untouched memory shows)."""
    return data(offset, bytes([byte]) * length)


def iovecs(*records: tuple[int, int]) -> bytes:
    """An (i)ovec array: each record a little-endian u32 ``buf`` and u32 ``buf_len``."""
    return b"".join(struct.pack("<II", buf, length) for buf, length in records)


def store(at: int, function: str, *args: int | str) -> str:
    """Call ``function`` and store its i32 result at ``at``; int args are i32 constants."""
    operands = " ".join(f"(i32.const {arg})" if isinstance(arg, int) else arg for arg in args)
    return f"(i32.store (i32.const {at}) (call ${function} {operands}))"


def export(name: str, *instructions: str) -> str:
    return f'(func (export "{name}") {" ".join(instructions)})'


def call(name: str) -> dict[str, Any]:
    return {"op": "call", "export": name}


def read(offset: int, length: int) -> dict[str, Any]:
    return {"op": "read", "offset": offset, "length": length}


OUTPUT = {"op": "output"}


def u32(value: int) -> str:
    return struct.pack("<I", value).hex()


def u64(value: int) -> str:
    return struct.pack("<Q", value).hex()


def unset(count: int = 1) -> str:
    return (UNSET * count).hex()


@dataclass(frozen=True)
class WasiCase:
    """A module's fields after its imports, the steps to observe, and the host's configuration."""

    name: str
    focus: tuple[str, ...]  # the functions whose sabotage the document must reveal
    fields: tuple[str, ...]
    steps: tuple[dict[str, Any], ...]
    config: WasiConfig = WasiConfig()
    namespace: str = "wasi_snapshot_preview1"
    needs_i64: bool = False  # imports a function with an i64 parameter: Node 14 cannot call it

    def wat(self) -> str:
        body = "\n".join(self.fields)
        imports = "\n".join(f'(import "{self.namespace}" "{name}" (func ${name} {signature}))'
                            for name, signature in WITX_IMPORTS.items() if f"${name} " in body or f"${name})" in body)
        return f'(module\n{imports}\n(memory (export "memory") 1)\n{body})'


ARGS = ("prog", "--flag", "héllo wörld", "", "日本", "\U0001F600")
ENV = (("LANG", "C"), ("EMPTY", ""), ("EQ", "a=b"), ("ÜNI", "ß"))
CLOCK_NS = 1_700_000_000_000_000_123


def strings_block(strings: list[str]) -> tuple[bytes, list[int]]:
    """What args_get/environ_get must write, derived with Python's own UTF-8 codec."""
    encoded = [text.encode("utf-8") + b"\0" for text in strings]
    offsets = [sum(len(item) for item in encoded[:index]) for index in range(len(encoded))]
    return b"".join(encoded), offsets


ARGS_BLOCK, ARGS_OFFSETS = strings_block(list(ARGS))
ENV_BLOCK, ENV_OFFSETS = strings_block([f"{key}={value}" for key, value in ENV])


def mt_bytes(seed: int, *lengths: int) -> list[bytes]:
    """random_get's bytes for calls of ``lengths``, from CPython's MT19937 (``random``)."""
    generator = random.Random(seed)
    return [b"".join(struct.pack("<I", generator.getrandbits(32)) for _ in range((length + 3) // 4))[:length]
            for length in lengths]


CASES = [
    WasiCase("fd_write", ("fd_write",), (
        fill(0, 96),
        data(512, iovecs((1024, 6), (1030, 6))), data(528, iovecs((1040, 3))), data(536, iovecs((1048, 3))),
        data(1024, b"hello world\n"), data(1040, b"err"), data(1048, b"\xff\xc3("),
        export("run", store(0, "fd_write", 1, 512, 2, 64), store(4, "fd_write", 2, 528, 1, 68),
               store(8, "fd_write", 3, 512, 2, 72), store(12, "fd_write", 0, 512, 2, 76),
               store(16, "fd_write", 1, 536, 1, 80), store(20, "fd_write", 1, 512, 0, 84),
               store(24, "fd_write", 2, 512, 1, 88))),
        (call("run"), OUTPUT, OUTPUT, read(0, 28), read(64, 28))),
    WasiCase("fd_write_out_of_bounds", ("fd_write",), (
        fill(0, 72),
        data(512, iovecs((1024, 5), (65530, 10))), data(528, iovecs((1024, 5))), data(1024, b"hello"),
        export("bad_buffer", store(0, "fd_write", 1, 512, 2, 64)),
        export("bad_nwritten", store(0, "fd_write", 1, 528, 1, 65534)),
        export("bad_table", store(0, "fd_write", 1, 65532, 1, 64)),
        export("huge_count", store(0, "fd_write", 1, 512, 0x20000000, 64)),
        export("high_pointer", store(0, "fd_write", 1, 528, 1, -16)),
        export("at_end", store(4, "fd_write", 1, 65536, 0, 68))),
        (call("bad_buffer"), OUTPUT, call("bad_nwritten"), OUTPUT, call("bad_table"), call("huge_count"),
         call("high_pointer"), OUTPUT, call("at_end"), read(0, 8), read(64, 8))),
    WasiCase("fd_read", ("fd_read",), (
        fill(0, 84), fill(1024, 16),
        data(512, iovecs((1024, 8), (1032, 8))), data(528, iovecs((65535, 2))),
        export("run", store(0, "fd_read", 0, 512, 2, 64), store(4, "fd_read", 1, 512, 2, 68),
               store(8, "fd_read", 2, 512, 2, 72), store(12, "fd_read", 9, 512, 2, 76)),
        export("bad_buffer", store(16, "fd_read", 0, 528, 1, 80))),
        (call("run"), call("bad_buffer"), read(0, 20), read(64, 20), read(1024, 16))),
    WasiCase("fd_close", ("fd_close",), (
        fill(0, 80), data(512, iovecs((1024, 2))), data(1024, b"ok"),
        export("run", store(0, "fd_close", 7), store(4, "fd_close", 2), store(8, "fd_write", 2, 512, 1, 64),
               store(12, "fd_close", 2), store(16, "fd_fdstat_get", 2, 128), store(20, "fd_write", 1, 512, 1, 68),
               store(24, "fd_close", 0), store(28, "fd_read", 0, 512, 1, 72), store(32, "fd_fdstat_get", 0, 128))),
        (call("run"), OUTPUT, read(0, 36), read(64, 12))),
    WasiCase("fd_seek", ("fd_seek",), (
        fill(0, 72),
        export("run", store(0, "fd_seek", 1, "(i64.const 0)", 0, 64), store(4, "fd_seek", 0, "(i64.const -1)", 2, 64),
               store(8, "fd_seek", 2, "(i64.const 5)", 1, 64), store(12, "fd_seek", 3, "(i64.const 0)", 0, 64),
               store(16, "fd_seek", 1, "(i64.const 0)", 0, 65535), store(20, "fd_close", 1),
               store(24, "fd_seek", 1, "(i64.const 0)", 0, 64))),
        (call("run"), read(0, 28), read(64, 4)), needs_i64=True),
    WasiCase("fd_fdstat_get", ("fd_fdstat_get",), (
        fill(0, 224), fill(65512, 24),
        export("run", store(0, "fd_fdstat_get", 0, 128), store(4, "fd_fdstat_get", 1, 152),
               store(8, "fd_fdstat_get", 2, 176), store(12, "fd_fdstat_get", 3, 200)),
        export("out_of_bounds", store(16, "fd_fdstat_get", 1, 65520))),
        (call("run"), call("out_of_bounds"), read(0, 20), read(128, 96), read(65512, 24))),
    WasiCase("prestat", ("fd_prestat_get", "fd_prestat_dir_name"), (
        fill(0, 160),
        export("run", store(0, "fd_prestat_get", 3, 128), store(4, "fd_prestat_get", 0, 128),
               store(8, "fd_prestat_get", -1, 128), store(12, "fd_prestat_dir_name", 3, 136, 8),
               store(16, "fd_prestat_dir_name", 0, 136, 8))),
        (call("run"), read(0, 20), read(128, 16))),
    WasiCase("proc_exit", ("proc_exit",), (
        data(512, iovecs((1024, 3))), data(1024, b"bye"),
        export("run", "(i32.store (i32.const 0) (i32.const 1))", "(drop (call $fd_write (i32.const 1) "
               "(i32.const 512) (i32.const 1) (i32.const 64)))", "(call $proc_exit (i32.const 7))",
               "(i32.store (i32.const 0) (i32.const 2))"),
        export("exit_max", "(call $proc_exit (i32.const -1))"),
        '(func (export "after") (result i32) (i32.const 5))'),
        (call("run"), OUTPUT, read(0, 4), call("exit_max"), call("after"))),
    WasiCase("args", ("args_get", "args_sizes_get"), (
        fill(0, 96), fill(256, 32, 0xEE), fill(512, 24, 0xEE),
        export("run", store(0, "args_sizes_get", 64, 68), store(4, "args_get", 256, 1024)),
        export("pointers_out_of_bounds", store(8, "args_get", 65534, 2048)),
        export("buffer_out_of_bounds", store(12, "args_get", 512, 65530)),
        export("size_out_of_bounds", store(16, "args_sizes_get", 80, 65534))),
        (call("run"), call("pointers_out_of_bounds"), call("buffer_out_of_bounds"), call("size_out_of_bounds"),
         read(0, 20), read(64, 20), read(256, 32), read(512, 24), read(1024, len(ARGS_BLOCK)),
         read(2048, len(ARGS_BLOCK))),
        config=WasiConfig(args=ARGS)),
    WasiCase("environ", ("environ_get", "environ_sizes_get"), (
        fill(0, 96), fill(256, 24, 0xEE),
        export("run", store(0, "environ_sizes_get", 64, 68), store(4, "environ_get", 256, 1024)),
        export("buffer_out_of_bounds", store(8, "environ_get", 256, 65534))),
        (call("run"), call("buffer_out_of_bounds"), read(0, 12), read(64, 8), read(256, 24),
         read(1024, len(ENV_BLOCK))),
        config=WasiConfig(env=ENV)),
    WasiCase("defaults", ("environ_get", "environ_sizes_get", "args_get", "args_sizes_get"), (
        fill(0, 96), fill(256, 8, 0xEE), fill(384, 8, 0xEE), fill(1024, 16, 0xEE),
        export("run", store(0, "environ_sizes_get", 64, 68), store(4, "environ_get", 256, 1024),
               store(8, "args_sizes_get", 72, 76), store(12, "args_get", 384, 1100))),
        (call("run"), read(0, 16), read(64, 16), read(256, 8), read(384, 8), read(1024, 16), read(1100, 8))),
    WasiCase("random", ("random_get",), (
        fill(0, 16), fill(1024, 40),
        export("run", store(0, "random_get", 1024, 13), store(4, "random_get", 1040, 4),
               store(8, "random_get", 1048, 0)),
        export("bad", store(12, "random_get", 65530, 10)),
        export("after", store(12, "random_get", 1056, 5))),
        (call("run"), call("bad"), call("after"), read(0, 16), read(1024, 40)),
        config=WasiConfig(seed=1)),
    *[WasiCase(f"random_seed_{seed}", ("random_get",), (
        export("run", store(0, "random_get", 4096, 4000), store(4, "random_get", 8192, 7)),),
        (call("run"), read(0, 8), read(4096, 4000), read(8192, 7)), config=WasiConfig(seed=seed))
      for seed in (0, 5489, 0xFFFFFFFF)],
    WasiCase("clock", ("clock_time_get", "clock_res_get"), (
        fill(0, 128),
        export("run", store(0, "clock_time_get", 0, "(i64.const 0)", 64),
               store(4, "clock_time_get", 1, "(i64.const 1000)", 72),
               store(8, "clock_time_get", 2, "(i64.const -1)", 80),
               store(12, "clock_time_get", 3, "(i64.const 0)", 88), store(16, "clock_time_get", 4, "(i64.const 0)", 96),
               store(20, "clock_time_get", -1, "(i64.const 0)", 96), store(24, "clock_res_get", 0, 104),
               store(28, "clock_res_get", 3, 112), store(32, "clock_res_get", 4, 120)),
        export("bad", store(36, "clock_time_get", 0, "(i64.const 0)", 65530))),
        (call("run"), call("bad"), read(0, 40), read(64, 64)), config=WasiConfig(clock_ns=CLOCK_NS),
        needs_i64=True),
    *[WasiCase(f"clock_{clock_ns}", ("clock_time_get",), (
        fill(0, 4), fill(64, 8), export("run", store(0, "clock_time_get", 0, "(i64.const 0)", 64))),
        (call("run"), read(0, 4), read(64, 8)), config=WasiConfig(clock_ns=clock_ns), needs_i64=True)
      for clock_ns in (0, 2**64 - 1)],
    WasiCase("sched_yield", ("sched_yield",), (
        fill(0, 4), export("run", store(0, "sched_yield"))), (call("run"), read(0, 4))),
    WasiCase("grown_memory", ("fd_write",), (
        fill(0, 4),
        export("run", "(drop (memory.grow (i32.const 1)))", "(i32.store (i32.const 65552) (i32.const 0x776f7267))",
               "(i32.store8 (i32.const 65556) (i32.const 0x6e))",
               "(i64.store (i32.const 100) (i64.const 0x5_00010010))",  # the iovec (65552, 5)
               store(0, "fd_write", 1, 100, 1, 65600))),
        (call("run"), OUTPUT, read(0, 4), read(65600, 4))),
    WasiCase("wasi_unstable", ("fd_write", "args_sizes_get"), (
        data(512, iovecs((1024, 9))), data(1024, b"unstable\n"),
        export("run", store(0, "fd_write", 1, 512, 1, 64), store(4, "args_sizes_get", 68, 72))),
        (call("run"), OUTPUT, read(0, 8), read(64, 12)), namespace="wasi_unstable"),
    WasiCase("start_needs_memory", ("args_sizes_get",), (
        "(func $init (drop (call $args_sizes_get (i32.const 0) (i32.const 4))))", "(start $init)"),
        (read(0, 8),)),
    WasiCase("start_without_memory_access", ("fd_write",), (
        f"(func $init {store(0, 'fd_write', 5, 0, 0, 0)})", "(start $init)"),
        (read(0, 4),)),
]
BY_NAME = {case.name: case for case in CASES}


# running a case on each side

def error_name(error: Exception) -> str:
    if isinstance(error, WasiExit):
        return "WasiExit"
    if isinstance(error, Trap):
        return "RangeError" if error.kind is TrapKind.CALL_STACK_EXHAUSTED else "RuntimeError"
    if isinstance(error, JsException):
        return error.name
    raise error


def signed_i32(value: int) -> int:
    return value - (1 << 32) if value >= 1 << 31 else value


def run_on_model(wasm_bytes: bytes, case: WasiCase) -> dict[str, Any]:
    """The case's document from the reference model with :class:`WasiHost`."""
    host = WasiHost(case.config)
    module = decode_module(wasm_bytes)
    imports = {(entry.module, entry.name): host.function(entry.name) for entry in module.imports}
    try:
        instance = instantiate(module, imports)
    except (Trap, JsException, WasiExit) as error:
        return {"instantiate": {"error": error_name(error)}, "steps": []}
    memory = instance.exports["memory"]
    host.set_memory(memory)  # type: ignore[arg-type]
    observations: list[Any] = []
    for step in case.steps:
        if step["op"] == "output":
            observations.append(host.take_output())
        elif step["op"] == "read":
            observations.append(memory.load(step["offset"], step["length"]).hex())  # type: ignore[union-attr]
        else:
            try:
                results = call_export(instance, step["export"], [])
                observations.append({"value": signed_i32(results[0]) if results else None})
            except WasiExit as exit_:
                observations.append({"exit": exit_.code})
            except (Trap, JsException) as error:
                observations.append({"error": error_name(error)})
    return {"instantiate": None, "steps": observations}


def js_config(config: WasiConfig) -> dict[str, Any]:
    return {"args": list(config.args), "env": [list(pair) for pair in config.env], "seed": config.seed,
            "clock_ns": str(config.clock_ns)}


def ask_runner(runtime: Runtime, directory: Path, runs: list[dict[str, Any]],
               configs: Sequence[Any] = ()) -> dict[str, Any]:
    """``wasi_runner.js``'s answer on ``runtime`` for these runs and configs."""
    request = directory / "wasi-request.json"
    request.write_text(json.dumps({"runs": runs, "configs": list(configs)}))
    return json.loads(run_tool(runtime.command(RUNNER, str(request)), timeout=120).stdout)


@dataclass
class Batch:
    """Every case's document on one side, the JS ones with and without sabotage."""

    plain: dict[str, dict[str, Any]] = field(default_factory=dict)
    sabotaged: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)


@pytest.fixture(scope="session")
def compiled(compiler: Compiler) -> dict[str, bytes]:
    return {case.name: compiler.compile_text(case.wat().encode(), filename=f"{case.name}.wat").wasm_bytes
            for case in CASES}


@pytest.fixture(scope="session")
def model_documents(compiled: dict[str, bytes]) -> dict[str, dict[str, Any]]:
    return {case.name: run_on_model(compiled[case.name], case) for case in CASES}


def run_batch(runtime: Runtime, directory: Path, compiled: dict[str, bytes], sabotage: bool) -> Batch:
    runs, keys = [], []
    for case in CASES:
        for sabotaged in [None, *(case.focus if sabotage else ())]:
            runs.append({"wasm_b64": base64.b64encode(compiled[case.name]).decode(), "config": js_config(case.config),
                         "sabotage": sabotaged, "steps": list(case.steps)})
            keys.append((case.name, sabotaged))
    batch = Batch()
    for (name, sabotaged), document in zip(keys, ask_runner(runtime, directory, runs)["runs"]):
        if sabotaged is None:
            batch.plain[name] = document
        else:
            batch.sabotaged[(name, sabotaged)] = document
    return batch


@pytest.fixture(scope="session")
def js_documents(node_runtime: Runtime, compiled: dict[str, bytes],
                 tmp_path_factory: pytest.TempPathFactory) -> Batch:
    """The documents of the runtime under test (linmem's default Node unless LINMEM_NODE says otherwise)."""
    return run_batch(node_runtime, tmp_path_factory.mktemp("wasi-js"), compiled, sabotage=True)


@pytest.fixture(scope="session")
def other_runtime(request: pytest.FixtureRequest, provisioned: Callable[[str], Runtime]) -> Iterator[Runtime]:
    try:
        yield provisioned(request.param)
    except HarnessError as error:
        pytest.skip(f"{request.param} is not available here: {error.one_line()}")


def steps_of(document: dict[str, Any]) -> list[Any]:
    assert document["instantiate"] is None, document
    return document["steps"]


def both(model_documents: dict[str, Any], js_documents: Batch, name: str) -> Iterator[list[Any]]:
    """The case's steps on the model, then on the runtime under test: each expectation holds on both."""
    yield steps_of(model_documents[name])
    yield steps_of(js_documents.plain[name])


# the two sides agree, and a deliberate difference shows

NEEDS_BIGINT = pytest.mark.needs_feature("bigint_i64")


def case_param(case: WasiCase, *values: str) -> Any:
    """The case as a parameter, unsupported where calling an i64 import cannot work (Node 14)."""
    return pytest.param(*values, marks=[NEEDS_BIGINT] if case.needs_i64 else [], id="-".join(values))


@pytest.mark.parametrize("name", [case_param(case, case.name) for case in CASES])
def test_js_host_gives_the_models_document(name: str, model_documents: dict[str, Any], js_documents: Batch) -> None:
    assert js_documents.plain[name] == model_documents[name]


@pytest.mark.parametrize(("name", "sabotaged"),
                         [case_param(case, case.name, function) for case in CASES for function in case.focus])
def test_a_sabotaged_js_host_gives_another_document(name: str, sabotaged: str, model_documents: dict[str, Any],
                                                     js_documents: Batch) -> None:
    assert js_documents.sabotaged[(name, sabotaged)] != model_documents[name]


@pytest.mark.parametrize("other_runtime", ["14", "deno", "bun"], indirect=True)
def test_js_host_on_other_runtimes_gives_the_models_documents(
        other_runtime: Runtime, compiled: dict[str, bytes], model_documents: dict[str, Any],
        tmp_path_factory: pytest.TempPathFactory) -> None:
    batch = run_batch(other_runtime, tmp_path_factory.mktemp(f"wasi-{other_runtime.name}"), compiled, sabotage=False)
    lacks_bigint = other_runtime.name == "node" and other_runtime.major < 15
    for case in CASES:
        document = batch.plain[case.name]
        if case.needs_i64 and lacks_bigint:  # without BigInt integration, calling an i64 import throws
            assert document["steps"][0] == {"error": "TypeError"}, case.name
        else:
            assert document == model_documents[case.name], case.name


@pytest.mark.parametrize("other_runtime", ["14", "deno", "bun"], indirect=True)
def test_a_difference_on_other_runtimes_is_seen(other_runtime: Runtime, compiled: dict[str, bytes],
                                                model_documents: dict[str, Any], tmp_path: Path) -> None:
    # the twin of the test above: a sabotaged fd_write, and another seed, no longer match
    def run(name: str, config: WasiConfig, sabotage: str | None) -> dict[str, Any]:
        return {"wasm_b64": base64.b64encode(compiled[name]).decode(), "config": js_config(config),
                "sabotage": sabotage, "steps": list(BY_NAME[name].steps)}
    answer = ask_runner(other_runtime, tmp_path, [run("fd_write", WasiConfig(), "fd_write"),
                                                  run("random", WasiConfig(seed=2), None)])
    assert answer["runs"][0] != model_documents["fd_write"] and answer["runs"][1] != model_documents["random"]


# what each function does, against values derived here

def test_fd_write_captures_stdout_and_stderr_and_refuses_other_fds(model_documents: dict[str, Any],
                                                                   js_documents: Batch) -> None:
    for steps in both(model_documents, js_documents, "fd_write"):
        assert steps[0] == {"value": None}
        assert steps[1] == {"stdout": "hello world\n\ufffd\ufffd(", "stderr": "errhello "}
        assert steps[2] == {"stdout": "", "stderr": ""}  # taking drains
        assert steps[3] == u32(0) + u32(0) + u32(8) + u32(8) + u32(0) + u32(0) + u32(0)
        assert steps[4] == u32(12) + u32(3) + unset() + unset() + u32(3) + u32(0) + u32(6)


def test_fd_write_out_of_bounds_throws_range_error_capturing_only_what_was_read(
        model_documents: dict[str, Any], js_documents: Batch) -> None:
    for steps in both(model_documents, js_documents, "fd_write_out_of_bounds"):
        assert steps[0] == {"error": "RangeError"} and steps[1] == {"stdout": "", "stderr": ""}
        assert steps[2] == {"error": "RangeError"} and steps[3] == {"stdout": "hello", "stderr": ""}
        assert steps[4:7] == [{"error": "RangeError"}] * 3
        assert steps[7] == {"stdout": "hello", "stderr": ""}  # the store to 0xfffffff0 failed after the capture
        assert steps[8] == {"value": None}
        assert steps[9] == unset() + u32(0)  # an empty iovec array at the very end is in bounds
        assert steps[10] == unset() + u32(0)


def test_fd_read_reads_nothing_from_stdin(model_documents: dict[str, Any], js_documents: Batch) -> None:
    for steps in both(model_documents, js_documents, "fd_read"):
        assert steps[1] == {"error": "RangeError"}
        assert steps[2] == u32(0) + u32(8) + u32(8) + u32(8) + unset()
        assert steps[3] == u32(0) + unset(4)
        assert steps[4] == unset(4)  # the buffers are untouched


def test_fd_close_closes_stdio_once(model_documents: dict[str, Any], js_documents: Batch) -> None:
    for steps in both(model_documents, js_documents, "fd_close"):
        assert steps[1] == {"stdout": "ok", "stderr": ""}
        assert steps[2] == "".join(u32(errno) for errno in (8, 0, 8, 8, 8, 0, 0, 8, 8))
        assert steps[3] == unset() + u32(2) + unset()


@NEEDS_BIGINT
def test_fd_seek_is_espipe_on_stdio_and_ebadf_elsewhere(model_documents: dict[str, Any],
                                                       js_documents: Batch) -> None:
    for steps in both(model_documents, js_documents, "fd_seek"):
        assert steps[1] == "".join(u32(errno) for errno in (70, 70, 70, 8, 70, 0, 8))
        assert steps[2] == unset()


def test_fd_fdstat_get_describes_stdio_as_character_devices(model_documents: dict[str, Any],
                                                           js_documents: Batch) -> None:
    def fdstat(rights: int) -> str:  # typenames.witx: u8 filetype, u16 flags, u64 rights x2; padding kept
        return (bytes([2, FILL]) + bytes(2) + UNSET + struct.pack("<QQ", rights, 0)).hex()
    for steps in both(model_documents, js_documents, "fd_fdstat_get"):
        assert steps[1] == {"error": "RangeError"}
        assert steps[2] == u32(0) * 3 + u32(8) + unset()
        assert steps[3] == fdstat(1 << 1) + fdstat(1 << 6) + fdstat(1 << 6) + unset(6)
        assert steps[4] == unset(6)


def test_there_are_no_preopens(model_documents: dict[str, Any], js_documents: Batch) -> None:
    for steps in both(model_documents, js_documents, "prestat"):
        assert steps[1] == u32(8) * 5 and steps[2] == unset(4)


def test_proc_exit_ends_the_call_keeping_its_effects(model_documents: dict[str, Any],
                                                     js_documents: Batch) -> None:
    for steps in both(model_documents, js_documents, "proc_exit"):
        assert steps == [{"exit": 7}, {"stdout": "bye", "stderr": ""}, u32(1), {"exit": 0xFFFFFFFF}, {"value": 5}]


def test_args_are_laid_out_as_wasi_libc_expects(model_documents: dict[str, Any], js_documents: Batch) -> None:
    block, offsets = ARGS_BLOCK, ARGS_OFFSETS
    for steps in both(model_documents, js_documents, "args"):
        assert steps[:4] == [{"value": None}] + [{"error": "RangeError"}] * 3
        assert steps[4] == u32(0) + u32(0) + unset(3)
        assert steps[5] == u32(len(ARGS)) + u32(len(block)) + unset(2) + u32(len(ARGS))  # 80: argc, then the throw
        assert steps[6] == "".join(u32(1024 + offset) for offset in offsets) + "ee" * 8  # no NULL written
        assert steps[7] == "ee" * 24  # the strings' range failed first: no pointer written
        assert steps[8] == block.hex()
        assert steps[9] == block.hex()  # the strings, written before the pointers failed


def test_environ_is_key_equals_value_in_order(model_documents: dict[str, Any], js_documents: Batch) -> None:
    block, offsets = ENV_BLOCK, ENV_OFFSETS
    for steps in both(model_documents, js_documents, "environ"):
        assert steps[1] == {"error": "RangeError"}
        assert steps[2] == u32(0) + u32(0) + unset()
        assert steps[3] == u32(len(ENV)) + u32(len(block))
        assert steps[4] == "".join(u32(1024 + offset) for offset in offsets) + "ee" * 8
        assert steps[5] == block.hex()


def test_the_default_config_is_argv_main_and_no_environment(model_documents: dict[str, Any],
                                                            js_documents: Batch) -> None:
    for steps in both(model_documents, js_documents, "defaults"):
        assert steps[1] == u32(0) * 4
        assert steps[2] == u32(0) + u32(0) + u32(1) + u32(5)
        assert steps[3] == "ee" * 8 and steps[5] == "ee" * 16  # an empty environment writes nothing
        assert steps[4] == u32(1100) + "ee" * 4
        assert steps[6] == (b"main" + bytes(4)).hex()


def test_random_get_is_cpythons_mt19937_stream(model_documents: dict[str, Any], js_documents: Batch) -> None:
    first, second, empty, after = mt_bytes(1, 13, 4, 0, 5)
    for steps in both(model_documents, js_documents, "random"):
        assert steps[1] == {"error": "RangeError"}  # and draws nothing: "after" continues the stream
        assert steps[3] == u32(0) * 4
        assert steps[4] == (first + bytes([FILL]) * 3 + second + UNSET * 3 + after + bytes([FILL]) * 3).hex()


@pytest.mark.parametrize("seed", [0, 5489, 0xFFFFFFFF])
def test_random_get_follows_the_stream_across_the_twist_for_any_seed(
        seed: int, model_documents: dict[str, Any], js_documents: Batch) -> None:
    long_draw, short_draw = mt_bytes(seed, 4000, 7)  # 1,000 words: past the 624-word state
    for steps in both(model_documents, js_documents, f"random_seed_{seed}"):
        assert steps[1:] == [u32(0) * 2, long_draw.hex(), short_draw.hex()]


def test_cpythons_mt19937_is_the_published_one() -> None:
    # mt19937ar.out (Matsumoto and Nishimura): init_by_array({0x123, 0x234, 0x345, 0x456}); CPython's
    # random.seed(n) keys init_by_array with n's 32-bit words, least significant first.
    generator = random.Random(0x456_00000345_00000234_00000123)
    assert [generator.getrandbits(32) for _ in range(5)] == [1067595299, 955945823, 477289528, 4107218783,
                                                             4228976476]


@NEEDS_BIGINT
def test_clocks_report_the_configured_time(model_documents: dict[str, Any], js_documents: Batch) -> None:
    for steps in both(model_documents, js_documents, "clock"):
        assert steps[1] == {"error": "RangeError"}
        assert steps[2] == "".join(u32(errno) for errno in (0, 0, 0, 0, 28, 28, 0, 0, 28)) + unset()
        assert steps[3] == u64(CLOCK_NS) * 4 + unset(2) + u64(1) * 2 + unset(2)


@NEEDS_BIGINT
@pytest.mark.parametrize("clock_ns", [0, 2**64 - 1])
def test_clock_time_get_stores_the_whole_u64(clock_ns: int, model_documents: dict[str, Any],
                                            js_documents: Batch) -> None:
    for steps in both(model_documents, js_documents, f"clock_{clock_ns}"):
        assert steps[1:] == [u32(0), u64(clock_ns)]


def test_sched_yield_succeeds(model_documents: dict[str, Any], js_documents: Batch) -> None:
    for steps in both(model_documents, js_documents, "sched_yield"):
        assert steps == [{"value": None}, u32(0)]


def test_a_grown_memory_is_used_whole(model_documents: dict[str, Any], js_documents: Batch) -> None:
    for steps in both(model_documents, js_documents, "grown_memory"):
        assert steps[1:] == [{"stdout": "grown", "stderr": ""}, u32(0), u32(5)]


def test_wasi_unstable_is_the_same_host(model_documents: dict[str, Any], js_documents: Batch) -> None:
    for steps in both(model_documents, js_documents, "wasi_unstable"):
        assert steps[1:] == [{"stdout": "unstable\n", "stderr": ""}, u32(0) * 2, u32(9) + u32(1) + u32(5)]


def test_memory_is_needed_only_when_touched(model_documents: dict[str, Any], js_documents: Batch) -> None:
    for documents in (model_documents, js_documents.plain):
        assert documents["start_needs_memory"] == {"instantiate": {"error": "TypeError"}, "steps": []}
        assert documents["start_without_memory_access"] == {"instantiate": None, "steps": [u32(8)]}


# the interface

CONFIGS = [  # (WasiConfig keywords, the same for createWasiHost, accepted)
    ({}, {}, True),
    ({"seed": 0xFFFFFFFF, "clock_ns": 2**64 - 1}, {"seed": 0xFFFFFFFF, "clock_ns": str(2**64 - 1)}, True),
    ({"seed": -1}, {"seed": -1}, False),
    ({"seed": 2**32}, {"seed": 2**32}, False),
    ({"seed": 1.5}, {"seed": 1.5}, False),
    ({"clock_ns": -1}, {"clock_ns": "-1"}, False),
    ({"clock_ns": 2**64}, {"clock_ns": str(2**64)}, False),
    ({"args": [1]}, {"args": [1]}, False),
    ({"args": "prog"}, {"args": "prog"}, False),
    ({"env": [("A",)]}, {"env": [["A"]]}, False),
    ({"env": [("A", 1)]}, {"env": [["A", 1]]}, False),
]


def python_accepts(keywords: dict[str, Any]) -> bool:
    try:
        WasiConfig(**keywords)
    except (TypeError, ValueError):
        return False
    return True


def test_both_sides_accept_the_same_configs_and_provide_the_same_functions(node_runtime: Runtime,
                                                                          tmp_path: Path) -> None:
    answer = ask_runner(node_runtime, tmp_path, [], [js for _, js, _ in CONFIGS])
    assert [python_accepts(keywords) for keywords, _, _ in CONFIGS] == [accepted for _, _, accepted in CONFIGS]
    assert ["ok" in outcome for outcome in answer["configs"]] == [accepted for _, _, accepted in CONFIGS]
    assert answer["provided"] == list(PROVIDED) and sorted(PROVIDED) == sorted(WITX_IMPORTS)


def test_an_unknown_function_is_a_typed_error_naming_it() -> None:
    with pytest.raises(UnknownWasiFunction, match="'path_open'") as caught:
        WasiHost(WasiConfig()).function("path_open")
    assert caught.value.name == "path_open" and not isinstance(caught.value, KeyError)


def test_every_provided_function_links_with_its_witx_signature() -> None:
    host = WasiHost(WasiConfig())
    assert sorted(PROVIDED) == sorted(WITX_IMPORTS)
    for name in PROVIDED:
        params, _, results = WITX_IMPORTS[name].partition("(result")
        assert host.function(name).type.params == tuple(params.replace("(param", "").replace(")", "").split())
        assert host.function(name).type.results == tuple(results.replace(")", "").split())
