"""The error hierarchy prints as one line with its location."""

from __future__ import annotations

from harness.errors import (
    EXIT_BAD_INPUT,
    HarnessError,
    RuntimeBroken,
    WasmDecodeError,
    WatError,
)


def test_one_line_names_file_line_and_column() -> None:
    error = WatError("malformed module: unexpected token", stage="parse", path="a.wat", line=3, column=7)
    assert error.one_line() == "a.wat:3:7: malformed module: unexpected token"


def test_one_line_folds_newlines_of_the_message() -> None:
    assert HarnessError("first\nsecond").one_line() == "first second"


def test_one_line_without_location_is_just_the_message() -> None:
    assert RuntimeBroken("no node").one_line() == "no node"


def test_decode_errors_say_the_byte_offset() -> None:
    error = WasmDecodeError("bad section", offset=17, path="m.wasm")
    assert error.one_line() == "m.wasm: bad section (at byte offset 17)"


def test_user_errors_exit_with_status_two() -> None:
    assert WatError("x", stage="parse").exit_code == EXIT_BAD_INPUT == 2
    assert RuntimeBroken("x").exit_code == 2
