"""Printing typed arrays like Node's console: by hand for the article, and against util.inspect."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.runtimes.discovery import Runtime
from harness.values.node_inspect import format_typed_array, format_value
from tests.oracle import ask_node


def test_short_arrays_print_on_one_line_like_the_article() -> None:
    assert format_typed_array("Uint32Array", [7, 4, 11]) == "Uint32Array(3) [ 7, 4, 11 ]"
    assert format_typed_array("Uint32Array", [7, 4, 0]) == "Uint32Array(3) [ 7, 4, 0 ]"


def test_more_than_six_numbers_are_grouped_in_right_aligned_columns() -> None:
    assert format_typed_array("Uint8Array", [120, 225, 187, 139, 110, 32, 120, 195, 178]) == (
        "Uint8Array(9) [\n  120, 225, 187, 139,\n  110,  32, 120, 195,\n  178\n]")


def test_empty_arrays_and_strings() -> None:
    assert format_typed_array("Int8Array", []) == "Int8Array(0) []"
    assert format_value("string", "xịn xò") == "xịn xò"


def test_bigint_elements_carry_the_n_suffix() -> None:
    assert format_typed_array("BigInt64Array", [-1, 2]) == "BigInt64Array(2) [ -1n, 2n ]"


arrays = st.one_of(
    st.tuples(st.sampled_from(["Uint8Array", "Int16Array", "Uint32Array", "Int32Array"]),
              st.lists(st.integers(0, 255), max_size=130)),
    st.tuples(st.just("Int32Array"), st.lists(st.integers(-2**31, 2**31 - 1), max_size=40)),
    st.tuples(st.just("Uint32Array"), st.lists(st.sampled_from([0, 7, 11, 4294967295, 65536]), max_size=30)),
    st.tuples(st.just("Float64Array"), st.lists(st.floats(allow_nan=False, allow_infinity=False), max_size=12)),
    st.tuples(st.just("Float64Array"), st.lists(st.sampled_from([0.5, 1e20, 1e21, 2.5e-7, 1e-6, -0.0, 123.25]), max_size=9)),
)


@pytest.mark.needs_node("the target is Node's console format")
@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cases=st.lists(arrays, min_size=30, max_size=60))
def test_layout_agrees_with_nodes_util_inspect(cases, node_runtime: Runtime, tmp_path_factory) -> None:
    answers = ask_node(node_runtime, tmp_path_factory.mktemp("inspect"), inspect=[list(c) for c in cases])["inspect"]
    for (name, values), node in zip(cases, answers):
        assert format_typed_array(name, values) == node, (name, values)
