"""Comparing JSON observations value by value.

JavaScript has one number type, so ``7`` and ``7.0`` are the same value; a
boolean is never a number; ``NaN`` equals ``NaN`` here because observations
are compared as values reported, not as IEEE comparisons. A large read
(:class:`~harness.values.elements.Elements`) is the same as another by its
bytes, and as a list by its values.
"""

from __future__ import annotations

import math
from typing import Any

from .elements import Elements, first_difference_index


def same_value(left: Any, right: Any) -> bool:
    """True when two JSON values are the same JavaScript-visible value."""
    if isinstance(left, Elements) or isinstance(right, Elements):
        return _same_elements(left, right)
    if isinstance(left, bool) or isinstance(right, bool):
        return type(left) is type(right) and left == right
    if isinstance(left, (int, float)) and isinstance(right, (int, float)):
        if isinstance(left, float) and isinstance(right, float) and math.isnan(left) and math.isnan(right):
            return True
        return _same_number(left, right)
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(same_value(a, b) for a, b in zip(left, right))
    if isinstance(left, dict) and isinstance(right, dict):
        return left.keys() == right.keys() and all(same_value(left[k], right[k]) for k in left)
    return type(left) is type(right) and left == right


def _same_elements(left: Any, right: Any) -> bool:
    """A large read against another (by bytes) or against a list (by values, once the lengths agree)."""
    if isinstance(left, Elements) and isinstance(right, Elements):
        return first_difference_index(left, right) is None
    elements, other = (left, right) if isinstance(left, Elements) else (right, left)
    if not isinstance(other, list) or len(other) != elements.length:
        return False
    return same_value(elements.values(), other)


def _same_number(left: float | int, right: float | int) -> bool:
    """Equal as IEEE doubles (JSON integers past 2**53 stand for doubles), -0 apart from +0."""
    try:
        left_double, right_double = float(left), float(right)
    except OverflowError:  # integers too large for a double: compare exactly
        return left == right
    return left_double == right_double and math.copysign(1, left_double) == math.copysign(1, right_double)


def first_difference(left: Any, right: Any, path: str = "") -> str | None:
    """Where two values first differ (``[2]``, ``.steps[1]``), or ``None`` if they are the same."""
    if same_value(left, right):
        return None
    if isinstance(left, list) and isinstance(right, list) and len(left) == len(right):
        for index, (a, b) in enumerate(zip(left, right)):
            found = first_difference(a, b, f"{path}[{index}]")
            if found is not None:
                return found
    if isinstance(left, dict) and isinstance(right, dict) and left.keys() == right.keys():
        for key in left:
            found = first_difference(left[key], right[key], f"{path}.{key}")
            if found is not None:
                return found
    return path or "(whole value)"
