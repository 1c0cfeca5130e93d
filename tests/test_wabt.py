"""Compiling WAT with the real wabt.js in one long-lived Node process."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Callable

import pytest

from harness.compiler.wabt import Compiler, cache_key, load_module_bytes, wat_error
from harness.errors import InputError, MissingFileError, WatError
from harness.model import decode_module
from harness.resources import WAT_DIR
from harness.runtimes.discovery import Runtime, find_compiler_node
from harness.runtimes.protocol import JsError

# The article's figures (../shared/article.md), not derived from our own output.
DEMO_SHA256 = "658020eeee7442e4a93ef56df5946eef14df96544191fc0d391bf130575e1647"
SUM_SHA256 = "ee4dd87b72e05bfaea8b5cf45047fd5b83c74465cf02cb078476b2a5ffbdec09"


def test_demo_compiles_to_the_articles_42_byte_binary(compiler: Compiler) -> None:
    module = compiler.compile_file(WAT_DIR / "demo.wat")
    assert len(module.wasm_bytes) == 42
    assert hashlib.sha256(module.wasm_bytes).hexdigest() == DEMO_SHA256


def test_sum_compiles_to_the_articles_62_byte_binary(compiler: Compiler) -> None:
    module = compiler.compile_file(WAT_DIR / "sum.wat")
    assert len(module.wasm_bytes) == 62
    assert hashlib.sha256(module.wasm_bytes).hexdigest() == SUM_SHA256


def test_non_ascii_data_strings_keep_their_utf8_bytes(compiler: Compiler) -> None:
    # wabt.js reads JS strings as Latin-1 and copies a view's whole buffer:
    # the service must hand it exactly the file's bytes.
    source = '(module (memory 1) (data (i32.const 0) "ị😀"))'.encode()
    wasm = compiler.compile_text(source, filename="utf8.wat").wasm_bytes
    assert "ị😀".encode() in wasm
    assert wasm.endswith(b"\x07" + "ị😀".encode())


def test_malformed_text_is_a_parse_error_with_line_and_column(compiler: Compiler) -> None:
    with pytest.raises(WatError) as caught:
        compiler.compile_text(b"(module\n  (func (i32.ad (i32.const 1))))", filename="bad.wat")
    error = caught.value
    assert (error.path, error.line, error.column, error.stage) == ("bad.wat", 2, 10, "parse")
    assert 'unexpected token "i32.ad"' in error.message
    assert error.excerpt.splitlines()[-1].strip() == "^^^^^^"


def test_a_module_that_does_not_validate_is_an_invalid_error(compiler: Compiler) -> None:
    with pytest.raises(WatError) as caught:
        compiler.compile_text(b"(module (func (result i32) (i64.const 1)))", filename="invalid.wat")
    error = caught.value
    assert error.stage == "validate"
    assert error.message.startswith("invalid module: type mismatch")
    assert (error.line, error.column) == (1, 29)


def test_undefined_names_are_reported_at_their_position(compiler: Compiler) -> None:
    with pytest.raises(WatError) as caught:
        compiler.compile_text(b"(module (func (call $nowhere)))", filename="names.wat")
    assert (caught.value.line, caught.value.column) == (1, 21)
    assert "$nowhere" in caught.value.message


def test_features_enable_proposals_wabt_rejects_by_default(compiler: Compiler) -> None:
    shared = b"(module (memory 1 2 shared))"
    with pytest.raises(WatError):
        compiler.compile_text(shared, filename="shared.wat")
    module = compiler.compile_text(shared, filename="shared.wat", features=["threads"])
    assert module.wasm_bytes[-3:] == bytes([0x03, 0x01, 0x02])  # limits flags: max + shared


def test_unknown_feature_names_are_rejected_before_compiling(compiler: Compiler) -> None:
    with pytest.raises(InputError, match="unknown wabt feature 'thread'"):
        compiler.compile_text(b"(module)", filename="x.wat", features=["thread"])


def test_many_modules_share_one_wabt_process(compiler: Compiler) -> None:
    before, restarts = compiler.compilations, compiler.service_restarts
    for index in range(25):
        source = f"(module (func (export \"f{index}\") (result i32) (i32.const {index})))".encode()
        compiler.compile_text(source, filename=f"m{index}.wat")
    assert compiler.compilations == before + 25
    assert compiler.service_restarts == restarts


def test_a_cache_hit_starts_no_process(node_runtime: Runtime, tmp_path: Path) -> None:
    source = b"(module (memory 2))"
    with Compiler(find_compiler_node(node_runtime), cache_dir=tmp_path) as first:
        compiled = first.compile_text(source, filename="c.wat")
        assert not compiled.from_cache and first.compilations == 1
    with Compiler(find_compiler_node(node_runtime), cache_dir=tmp_path) as second:
        again = second.compile_text(source, filename="c.wat")
        assert again.from_cache and again.wasm_bytes == compiled.wasm_bytes
        assert second.compilations == 0 and second._worker is None


def test_cache_files_are_complete_and_leave_no_partial_files(node_runtime: Runtime, tmp_path: Path) -> None:
    with Compiler(find_compiler_node(node_runtime), cache_dir=tmp_path) as fresh:
        module = fresh.compile_text(b"(module (memory 3))", filename="c.wat")
    files = [path for path in tmp_path.rglob("*") if path.is_file()]
    assert [path.read_bytes() for path in files] == [
        b"linmem-wasm sha256=" + hashlib.sha256(module.wasm_bytes).hexdigest().encode() + b"\n" + module.wasm_bytes]
    assert files[0].suffix == ".entry"


@pytest.mark.parametrize("damage", [
    pytest.param(lambda entry: entry[:-1] + bytes([entry[-1] ^ 1]), id="a flipped bit"),
    pytest.param(lambda entry: entry[:-3], id="truncated"),
    pytest.param(lambda entry: b"", id="empty"),
    pytest.param(lambda entry: entry.split(b"\n", 1)[1], id="the bare binary without its hash"),
])
def test_a_damaged_cache_entry_is_compiled_again_and_rewritten(node_runtime: Runtime, tmp_path: Path,
                                                               damage: Callable[[bytes], bytes]) -> None:
    source = (WAT_DIR / "demo.wat").read_bytes()
    with Compiler(find_compiler_node(node_runtime), cache_dir=tmp_path) as first:
        first.compile_text(source, filename="demo.wat")
    [entry] = [path for path in tmp_path.rglob("*") if path.is_file()]
    healthy = entry.read_bytes()
    entry.write_bytes(damage(healthy))
    with Compiler(find_compiler_node(node_runtime), cache_dir=tmp_path) as second:
        again = second.compile_text(source, filename="demo.wat")
        assert not again.from_cache and second.compilations == 1
    assert hashlib.sha256(again.wasm_bytes).hexdigest() == DEMO_SHA256
    assert entry.read_bytes() == healthy


def test_cache_key_depends_on_source_features_validation_and_wabt_version() -> None:
    base = cache_key(b"(module)", (), True, "1.0.39")
    assert cache_key(b"(module)", (), True, "1.0.39") == base
    variants = [cache_key(b"(module) ", (), True, "1.0.39"), cache_key(b"(module)", ("threads",), True, "1.0.39"),
                cache_key(b"(module)", (), False, "1.0.39"), cache_key(b"(module)", (), True, "1.0.38")]
    assert len({base, *variants}) == 5


def test_missing_wat_file_is_a_missing_file_error(compiler: Compiler, tmp_path: Path) -> None:
    with pytest.raises(MissingFileError) as caught:
        compiler.compile_file(tmp_path / "absent.wat")
    assert caught.value.one_line() == f"{tmp_path / 'absent.wat'}: no such file"


def test_a_wasm_file_that_is_not_wasm_is_rejected(compiler: Compiler, tmp_path: Path) -> None:
    fake = tmp_path / "fake.wasm"
    fake.write_bytes(b"(module)")
    with pytest.raises(InputError, match="not a WebAssembly binary"):
        load_module_bytes(fake, compiler)


def test_wabt_messages_with_several_errors_report_the_first_and_count_the_rest() -> None:
    message = ("validate failed:\nm.wat:1:16: error: type mismatch in i32.add\n(module)\n   ^\n"
               "m.wat:1:16: error: type mismatch at end of function\n(module)\n   ^\n")
    error = wat_error(JsError("WatError", message, stage="validate"), "m.wat")
    assert error.one_line() == "m.wat:1:16: invalid module: type mismatch in i32.add (and 1 more error)"


@pytest.mark.parametrize("data, segments", [
    # flags 2, memory 1, (i32.const 0) end, 2 bytes "hi" (spec 5.5 "Data Section")
    ('(data (memory $b) (i32.const 0) "hi")', "01" "02" "01" "41000b" "026869"),
    # a passive segment and one for memory 0 keep their forms (flags 1; flags 0 without an index)
    ('(data "p") (data (memory $a) (i32.const 3) "q") (data (memory $b) (i32.const 1) "r")',
     "03" "01" "0170" "00" "41030b" "0171" "02" "01" "41010b" "0172"),
])
def test_data_segments_for_a_memory_other_than_0_keep_their_memory_index(compiler: Compiler, data: str,
                                                                          segments: str) -> None:
    # wabt.js 1.0.39 writes binaries without features and then leaves the index out (the flags say 2,
    # the offset follows: engines read its i32.const, 0x41, as memory 65); js/data_memory_index.js
    # puts it back. A wabt that writes the index itself would get it twice here.
    source = f"(module (memory $a 1) (memory $b 1) {data})".encode()
    wasm = compiler.compile_text(source, filename="dm.wat", features=["multi_memory"]).wasm_bytes
    section = bytes.fromhex(segments)
    assert wasm.endswith(bytes([11, len(section)]) + section)
    assert decode_module(wasm).data[-1].memory == 1
