"""Trap messages: every pattern in the table, and the real runtime's messages recognised."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.compiler.wabt import Compiler
from harness.model.traps import TrapKind
from harness.runtimes.discovery import Runtime
from harness.runtimes.engine_errors import PATTERNS, normalise, trap_kinds
from harness.scenarios.format import load_scenario
from harness.scenarios.on_runtime import RuntimeSession, scenario_request
from harness.scenarios.suite import prepare
from tests.conftest import write_file

K = TrapKind
# Messages as each engine words them (V8: message-template.h; JavaScriptCore: WasmExceptionType.h).
KNOWN_MESSAGES = [
    ("memory access out of bounds", K.OUT_OF_BOUNDS_MEMORY),
    ("WebAssembly.instantiate(): data segment 0 is out of bounds", K.OUT_OF_BOUNDS_MEMORY),
    ("divide by zero", K.INTEGER_DIVIDE_BY_ZERO),
    ("remainder by zero", K.INTEGER_DIVIDE_BY_ZERO),
    ("divide result unrepresentable", K.INTEGER_OVERFLOW),
    ("float unrepresentable in integer range", K.INTEGER_OVERFLOW),
    ("unreachable", K.UNREACHABLE),
    ("Maximum call stack size exceeded", K.CALL_STACK_EXHAUSTED),
    ("null function or function signature mismatch", K.INDIRECT_CALL),
    ("function signature mismatch", K.INDIRECT_CALL),
    ("null function", K.UNINITIALIZED_ELEMENT),
    ("table index is out of bounds", K.OUT_OF_BOUNDS_TABLE),
    ("table access out of bounds", K.OUT_OF_BOUNDS_TABLE),
    ("element segment 0 is out of bounds", K.OUT_OF_BOUNDS_TABLE),
    ("Out of bounds memory access", K.OUT_OF_BOUNDS_MEMORY),
    ("Invalid data segment initialization: segment writes outside of memory", K.OUT_OF_BOUNDS_MEMORY),
    ("Division by zero", K.INTEGER_DIVIDE_BY_ZERO),
    ("Integer overflow", K.INTEGER_OVERFLOW),
    ("Out of bounds Float to Integer conversion", K.INTEGER_OVERFLOW),
    ("Out of bounds Trunc operation (evaluating 'f.apply(null, args)')", K.INTEGER_OVERFLOW),
    ("Unreachable code should not be executed", K.UNREACHABLE),
    ("call_indirect to a signature that does not match", K.INDIRECT_CALL),
    ("Out of bounds call_indirect", K.OUT_OF_BOUNDS_TABLE),
    ("Out of bounds table access (evaluating 'w.apply(null, args)')", K.OUT_OF_BOUNDS_TABLE),
]


@pytest.mark.parametrize("message, kind", KNOWN_MESSAGES)
def test_each_known_message_names_its_trap_kind(message: str, kind: TrapKind) -> None:
    assert trap_kinds(message)[0] is kind


def test_every_pattern_in_the_table_is_exercised() -> None:
    matched = {id(entry) for message, _ in KNOWN_MESSAGES for entry in PATTERNS if entry.pattern.search(message)}
    assert matched == {id(entry) for entry in PATTERNS}


def test_ambiguous_messages_take_the_references_kind() -> None:
    observed = {"error": "RuntimeError", "message": "float unrepresentable in integer range"}
    assert normalise(observed, {"error": "RuntimeError", "trap": "invalid conversion to integer"})["trap"] == \
        "invalid conversion to integer"
    assert normalise(observed, None)["trap"] == "integer overflow"


def test_other_errors_are_left_alone() -> None:
    assert normalise({"error": "RangeError", "message": "Invalid typed array length: 7"}) == \
        {"error": "RangeError", "message": "Invalid typed array length: 7"}


TRAPS = '''
(module
  (memory (export "memory") 1)
  (func (export "oob") (drop (i32.load (i32.const 65536))))
  (func (export "div0") (drop (i32.div_s (i32.const 1) (i32.const 0))))
  (func (export "rem0") (drop (i64.rem_u (i64.const 1) (i64.const 0))))
  (func (export "overflow") (drop (i32.div_s (i32.const 0x80000000) (i32.const -1))))
  (func (export "trunc_nan") (drop (i32.trunc_f32_s (f32.const nan))))
  (func (export "trunc_big") (drop (i64.trunc_f64_u (f64.const -1))))
  (func (export "unreachable") unreachable)
  (func $deep (export "deep") (call $deep))
  (func (export "fill") (memory.fill (i32.const 65535) (i32.const 0) (i32.const 2))))
'''
EXPECTED = ["out of bounds memory access", "integer divide by zero", "integer divide by zero", "integer overflow",
            "invalid conversion to integer", "integer overflow", "unreachable", "call stack exhausted",
            "out of bounds memory access"]


def test_the_runtimes_own_trap_messages_are_recognised(tmp_path: Path, compiler: Compiler, node_runtime: Runtime) -> None:
    exports = ["oob", "div0", "rem0", "overflow", "trunc_nan", "trunc_big", "unreachable", "deep", "fill"]
    steps = "".join(f'[[steps]]\nop = "call"\nexport = "{name}"\n' for name in exports)
    path = write_file(tmp_path, "traps.scenario.toml", f"wat = '''{TRAPS}'''\n{steps}")
    prepared = prepare(load_scenario(path), compiler)
    session = RuntimeSession(node_runtime)
    try:
        request = scenario_request(prepared.scenario, prepared.binaries, prepared.modules)
        raw = session.worker.request(request, timeout=30)["result"]
    finally:
        session.close()
    messages = [step["message"] for step in raw["steps"]]
    for message, kind in zip(messages, EXPECTED):
        assert kind in [k.value for k in trap_kinds(message)], f"{message!r} should name {kind}"


def test_a_data_segment_out_of_bounds_message_is_recognised(tmp_path: Path, compiler: Compiler,
                                                            node_runtime: Runtime) -> None:
    path = write_file(tmp_path, "seg.scenario.toml",
                      'wat = \'(module (memory 1) (data (i32.const 65535) "ab"))\'\n')
    prepared = prepare(load_scenario(path), compiler)
    session = RuntimeSession(node_runtime)
    try:
        observed = session.run(prepared.scenario, prepared.binaries, prepared.modules)
    finally:
        session.close()
    assert observed["instantiate"]["error"] == "RuntimeError"
    assert observed["instantiate"]["trap"] == "out of bounds memory access"
