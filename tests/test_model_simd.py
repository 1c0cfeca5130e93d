"""The vector instruction table, checked against wabt, and the official SIMD scripts' modules on the
model's decoder and validator (the scripts run when LINMEM_SPEC_CORE names test/core)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from harness.compiler.wabt import Compiler
from harness.errors import WasmDecodeError, WatError
from harness.model import decode_module
from harness.model.opcodes import OPCODES, VECTOR_BASE
from harness.model.simd import (
    VECTOR_BY_NAME,
    VECTOR_INSTRUCTIONS,
    VectorInstruction,
    access_bytes,
)
from harness.model.validate import validate
from harness.wast.script import ScriptReader
from harness.wast.sexpr import SList, read_all

#: A valid immediate for each kind, as the text format writes it.
TEXT_IMMEDIATES = {"": "", "memarg": "", "laneidx": "0", "memarg laneidx": "0", "i128": "i32x4 0 0 0 0",
                   "laneidx16": " ".join(["0"] * 16)}


def function_using(instruction: VectorInstruction, results: tuple[str, ...] | None = None) -> str:
    """A function exported under the instruction's name whose body is that instruction on its parameters."""
    params = " ".join(instruction.params)
    result = " ".join(instruction.results if results is None else results)
    operands = "".join(f" (local.get {index})" for index in range(len(instruction.params)))
    return (f'(func (export "{instruction.name}") (param {params}) (result {result})'
            f' ({instruction.name} {TEXT_IMMEDIATES[instruction.immediate]}{operands}))')


def test_the_table_holds_2_0_simd_and_3_0_relaxed_simd() -> None:
    features = [instruction.feature for instruction in VECTOR_INSTRUCTIONS.values()]
    assert (features.count("SIMD"), features.count("relaxed SIMD")) == (236, 20)
    assert len(VECTOR_BY_NAME) == 256  # names are unique


def test_every_vector_instruction_is_numbered_and_typed_as_wabt_has_it(compiler: Compiler) -> None:
    # wabt encodes each name with its own opcode table and validates our signature for it
    functions = "\n".join(function_using(instruction) for instruction in VECTOR_INSTRUCTIONS.values())
    wasm = compiler.compile_text(f"(module (memory 1)\n{functions})".encode(), filename="simd.wat",
                                 features=["relaxed_simd"]).wasm_bytes
    module = decode_module(wasm)
    validate(module)
    for export, body in zip(module.exports, module.bodies):
        names = [OPCODES[opcode][0] for opcode, _ in body.code if opcode >= VECTOR_BASE]
        assert names == [export.name]


def test_wabt_rejects_a_signature_that_is_not_the_instructions(compiler: Compiler) -> None:
    # the twin of the test above: a wrong type in the table would not get through wabt
    wrong = function_using(VECTOR_BY_NAME["i8x16.add"], results=("i32",))
    with pytest.raises(WatError, match="type mismatch"):
        compiler.compile_text(f"(module {wrong})".encode(), filename="wrong.wat")


def test_memory_widths_and_lane_bounds_come_from_the_names() -> None:
    assert [access_bytes(name) for name in ("v128.load", "v128.load16x4_u", "v128.load8_splat",
                                            "v128.load64_zero", "v128.store32_lane")] == [16, 8, 1, 8, 4]
    assert VECTOR_BY_NAME["i16x8.extract_lane_s"].lane_bound == 8
    assert VECTOR_BY_NAME["v128.load64_lane"].lane_bound == 2
    assert VECTOR_BY_NAME["i8x16.shuffle"].lane_bound == 32
    assert VECTOR_BY_NAME["i8x16.add"].lane_bound is None and VECTOR_BY_NAME["i8x16.add"].access_bytes is None


# -- the official scripts ------------------------------------------------------------------------

def _simd_scripts() -> list[Path]:
    directory = os.environ.get("LINMEM_SPEC_CORE")
    if not directory:
        pytest.skip("LINMEM_SPEC_CORE is not set: point it at test/core of WebAssembly/spec (at fffc6e12) to "
                    "check that the model decodes and validates the modules of simd/simd_*.wast")
    core = Path(directory)
    scripts = sorted(core.glob("simd/simd_*.wast")) + sorted(core.glob("relaxed-simd/*.wast"))
    if not scripts:
        pytest.fail(f"LINMEM_SPEC_CORE={directory} has no simd/simd_*.wast")
    return scripts


def _module_commands(path: Path) -> list[tuple[str, str | None, int, bytes, str]]:
    """``(kind, expected message, line, source, form)`` for each module and each ``assert_invalid`` of a script.

    The scripts' ``v128`` results are beyond the .wast reader, so the modules are taken from the
    S-expressions directly.
    """
    source = path.read_bytes()
    reader = ScriptReader(source, str(path))
    found = []
    for node in read_all(source, str(path)):
        if node.head() == "module":
            command = reader.module(node)  # type: ignore[arg-type]
            found.append(("module", None, command.line, command.source, command.form))
        elif node.head() == "assert_invalid" and isinstance(node.items[1], SList):
            command = reader.module(node.items[1])
            found.append(("assert_invalid", node.items[2].value.decode(), command.line,  # type: ignore[union-attr]
                          command.source, command.form))
    return found


def _verdict(compiler: Compiler, kind: str, source: bytes, form: str, where: str) -> str:
    """What the model says: ``valid``, or why it rejects."""
    wasm = source if form == "binary" else compiler.compile_text(
        source, filename=where, features=["relaxed_simd"], validate=kind == "module").wasm_bytes
    try:
        validate(decode_module(wasm))
    except WasmDecodeError as rejection:
        return rejection.message
    return "valid"


def test_spec_simd_scripts_modules_are_decoded_and_validated_as_the_scripts_say(compiler: Compiler) -> None:
    # at fffc6e12: 473 modules, each valid, and 669 assert_invalid, each rejected for the reason the script gives
    judged, wrong = 0, []
    for path in _simd_scripts():
        for kind, message, line, source, form in _module_commands(path):
            if form == "quote":
                continue  # text the .wast reader leaves to wabt
            verdict = _verdict(compiler, kind, source, form, f"{path.name}:{line}")
            judged += 1
            reason = (message or "").rstrip(" 0123456789")  # the spec interpreter adds indices ("unknown local 2")
            if (kind == "module" and verdict != "valid") or (kind == "assert_invalid" and reason not in verdict):
                wrong.append(f"{path.name}:{line}: {kind} {message or ''} -> {verdict}")
    assert judged > 0
    assert wrong == []
