"""Comparing observations as JavaScript values."""

from __future__ import annotations

import math

from harness.values.compare import first_difference, same_value


def test_numbers_compare_as_javascript_numbers() -> None:
    assert same_value(7, 7.0)
    assert not same_value(0.0, -0.0)
    assert same_value(math.nan, math.nan)
    assert not same_value(1, True)
    assert same_value(18446744073709552000, 18446744073709551616)  # one double, printed two ways
    assert not same_value(9007199254740993, 9007199254740995)


def test_lists_and_objects_compare_element_by_element() -> None:
    assert same_value([7, 4, 11], [7, 4, 11])
    assert not same_value([7, 4, 11], [7, 4])
    assert not same_value({"a": 1}, {"a": 1, "b": 2})
    assert not same_value("11", 11)


def test_first_difference_points_at_the_element() -> None:
    assert first_difference([7, 4, 11], [7, 4, 3]) == "[2]"
    assert first_difference({"steps": [1, [2, 3]]}, {"steps": [1, [2, 4]]}) == ".steps[1][1]"
    assert first_difference([1], [1, 2]) == "(whole value)"
    assert first_difference("a", "a") is None
