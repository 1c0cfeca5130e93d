"""Typed arrays over memory.buffer: ECMAScript conversions, constructor checks, detachment."""

from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.model import (
    ArrayBufferModel,
    Limits,
    Memory,
    MemoryObject,
    TypedArrayModel,
    view_kind,
)
from harness.model.traps import JsException
from harness.model.views import (
    VIEW_KINDS,
    to_float32,
    to_integer_modulo,
    to_uint8_clamp,
)
from harness.runtimes.discovery import Runtime
from tests.oracle import ask_node


def view(name: str, memory: MemoryObject, offset: int = 0, length: int | None = None) -> TypedArrayModel:
    return TypedArrayModel(view_kind(name), memory.buffer, offset, length)


def test_there_are_eleven_typed_array_constructors() -> None:
    assert len(VIEW_KINDS) == 11
    assert [VIEW_KINDS[n].element_size for n in ("Int8Array", "Uint16Array", "Float32Array", "BigInt64Array")] == [1, 2, 4, 8]


@pytest.mark.parametrize("value, bits, is_signed, expected", [
    (255, 8, True, -1), (-1, 8, False, 255), (256.7, 8, False, 0), (-1.9, 32, False, 2**32 - 1),
    (2**31, 32, True, -2**31), (math.nan, 16, True, 0), (math.inf, 32, False, 0), (-0.0, 8, False, 0),
])
def test_integer_views_wrap_like_to_int_n(value: float, bits: int, is_signed: bool, expected: int) -> None:
    assert to_integer_modulo(value, bits, is_signed) == expected


@pytest.mark.parametrize("value, expected", [
    (2.5, 2), (3.5, 4), (0.5, 0), (1.5, 2), (-1, 0), (300, 255), (254.5, 254), (math.nan, 0), (math.inf, 255),
])
def test_uint8_clamped_rounds_half_to_even_and_clamps(value: float, expected: int) -> None:
    assert to_uint8_clamp(value) == expected


def test_float32_stores_round_to_nearest_and_overflow_to_infinity() -> None:
    assert to_float32(0.1) == 0.10000000149011612
    largest = 3.4028234663852886e38
    assert to_float32(largest) == largest
    assert to_float32(3.4028235677973366e38) == math.inf  # exactly halfway to 2**128: ties to even
    assert to_float32(3.4028235677973362e38) == largest  # just below the halfway point


def test_the_article_sum_layout_through_uint32_views() -> None:
    memory = MemoryObject(initial=1)
    numbers = view("Uint32Array", memory, 0, 3)
    numbers.set([7, 4])
    assert numbers.to_list() == [7, 4, 0]
    assert view("Uint8Array", memory, 0, 8).to_list() == [7, 0, 0, 0, 4, 0, 0, 0]


def test_a_misaligned_offset_is_a_range_error() -> None:
    with pytest.raises(JsException) as caught:
        view("Uint32Array", MemoryObject(initial=1), 2, 1)
    assert caught.value.name == "RangeError"


def test_a_view_past_the_end_of_the_buffer_is_a_range_error() -> None:
    with pytest.raises(JsException) as caught:
        view("Uint8Array", MemoryObject(initial=1), 65530, 7)
    assert caught.value.name == "RangeError"


def test_without_a_length_the_view_runs_to_the_end_of_the_buffer() -> None:
    assert view("Float64Array", MemoryObject(initial=1), 8).length == (65536 - 8) // 8


def test_a_grow_detaches_held_views() -> None:
    memory = MemoryObject(initial=1, maximum=2)
    held = view("Uint8Array", memory, 0, 4)
    assert memory.grow(1) == 1
    assert held.length == 0 and held.byte_length == 0
    with pytest.raises(JsException) as caught:
        held.to_list()
    assert caught.value.name == "TypeError"
    assert view("Uint8Array", memory).length == 2 * 65536


def test_grow_past_the_maximum_is_a_range_error_and_detaches_nothing() -> None:
    memory = MemoryObject(initial=1, maximum=1)
    buffer = memory.buffer
    with pytest.raises(JsException) as caught:
        memory.grow(1)
    assert caught.value.name == "RangeError"
    assert memory.buffer is buffer and not buffer.detached


def test_bigint_views_take_bigints_and_wrap_modulo_two_to_the_64() -> None:
    memory = MemoryObject(initial=1)
    signed64 = view("BigInt64Array", memory, 0, 2)
    signed64.set([2**63, -1])
    assert signed64.to_list() == [-2**63, -1]
    assert view("BigUint64Array", memory, 0, 2).to_list() == [2**63, 2**64 - 1]
    with pytest.raises(JsException, match="TypeError"):
        signed64.set([1.5])


NUMBER_VIEWS = [name for name in VIEW_KINDS if not name.startswith("Big")]
numbers = st.one_of(st.integers(-2**40, 2**40), st.floats(allow_nan=False, allow_infinity=False, width=64),
                    st.sampled_from([0.5, 1.5, 2.5, 254.5, 255.5, -0.5, 2**31, 2**32 + 3, -2**31 - 1]))
view_writes = st.one_of(
    st.tuples(st.sampled_from(NUMBER_VIEWS), st.lists(numbers, min_size=1, max_size=6)),
    st.tuples(st.sampled_from(["BigInt64Array", "BigUint64Array"]),
              st.lists(st.integers(-2**70, 2**70), min_size=1, max_size=4)))


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cases=st.lists(view_writes, min_size=30, max_size=80))
def test_view_writes_store_the_same_bytes_as_v8(cases, node_runtime: Runtime, tmp_path_factory) -> None:
    requests = [[name, [str(v) if name.startswith("Big") else v for v in values]] for name, values in cases]
    answers = ask_node(node_runtime, tmp_path_factory.mktemp("views"), views=requests)["views"]
    for (name, values), node in zip(cases, answers):
        memory = MemoryObject(initial=1)
        model_view = view(name, memory, 0, len(values))
        model_view.set(values)
        model_bytes = memory.memory.load(0, model_view.byte_length).hex()
        assert model_bytes == node["bytes"], (name, values)


def test_set_converts_a_whole_list_as_element_by_element() -> None:
    """In range, the list converts at once; out of range it wraps (ToUint8 / ToInt16); a bool is a TypeError."""
    memory = Memory(Limits(1))
    buffer = ArrayBufferModel(memory)
    TypedArrayModel(view_kind("Uint8Array"), buffer, 0, 4).set([1, 255, 256, -1])
    TypedArrayModel(view_kind("Int16Array"), buffer, 4, 2).set([-2, 32768])
    TypedArrayModel(view_kind("Float64Array"), buffer, 8, 2).set([3, 0.5])
    assert memory.load(0, 24).hex() == "01ff00ff" "feff0080" "0000000000000840" "000000000000e03f"
    assert TypedArrayModel(view_kind("Int16Array"), buffer, 4, 2).to_list() == [-2, -32768]
    TypedArrayModel(view_kind("Uint8Array"), buffer, 24, 3).set([0, 7, 255])  # all in range: converted at once
    assert memory.load(24, 3).hex() == "0007ff"
    for not_a_number in (True, "7"):
        with pytest.raises(JsException) as raised:
            TypedArrayModel(view_kind("Uint8Array"), buffer, 0, 2).set([1, not_a_number])
        assert raised.value.name == "TypeError"


def test_set_of_floats_into_an_integer_view_truncates_them_like_to_int_n() -> None:
    """ToUint8/ToInt16 of a finite number is its truncation modulo 2^N; NaN and the infinities are 0."""
    memory = Memory(Limits(1))
    buffer = ArrayBufferModel(memory)
    TypedArrayModel(view_kind("Uint8Array"), buffer, 0, 4).set([3.0, 255.9, -0.5, 7])
    TypedArrayModel(view_kind("Uint8Array"), buffer, 4, 4).set([256.5, -1.5, math.nan, math.inf])
    TypedArrayModel(view_kind("Int16Array"), buffer, 8, 3).set([-1.5, 32767.99, 40000.0])
    # 256.5 -> 256 -> 0; -1.5 -> -1 -> 255; 40000 - 65536 = -25536 = 0x9c40
    assert memory.load(0, 14).hex() == "03ff0007" "00ff0000" "ffff" "ff7f" "409c"
