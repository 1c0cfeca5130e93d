"""Large typed-array observations kept as bytes: how they travel, compare and show, at any size.

A ``read`` (or a ``held`` read) of :data:`COMPACT_MIN` elements or more is
not a JSON list of numbers anywhere in linmem: the driver sends the view's
bytes as base64 (``{"$elements": VIEW, "base64": ...}``), the reference
model makes the same bytes straight from its memory, and both become an
:class:`Elements`. Two of them compare by their bytes (a float view also
equates NaN with NaN, as observations do); a difference shows as the first
differing index and a window of values around it on each side; a report
keeps the length and the SHA-256 of the bytes, never the values.
Small reads keep the contract's JSON list.
"""

from __future__ import annotations

import base64
import hashlib
import math
import struct
from dataclasses import dataclass
from typing import Any

from .codec import encode_number

#: the fewest elements a read has for it to travel and be kept as bytes (``COMPACT_MIN`` in js/driver.js)
COMPACT_MIN = 4096
#: values shown on each side of a first difference
WINDOW = 8
#: the struct format of one element of each view (little-endian, as WebAssembly memory is)
ELEMENT_FORMATS = {
    "Int8Array": "b", "Uint8Array": "B", "Uint8ClampedArray": "B", "Int16Array": "h", "Uint16Array": "H",
    "Int32Array": "i", "Uint32Array": "I", "Float32Array": "f", "Float64Array": "d",
    "BigInt64Array": "q", "BigUint64Array": "Q",
}
#: bytes compared at once before a difference is looked for element by element
_CHUNK = 1 << 16


@dataclass(frozen=True, eq=False)
class Elements:
    """The elements of a typed array ``view`` as their little-endian ``data``."""

    view: str
    data: bytes

    @classmethod
    def from_wire(cls, message: dict[str, Any]) -> Elements:
        """From the driver's ``{"$elements": VIEW, "base64": ...}``; ``ValueError`` if it is not one."""
        view, text = message.get("$elements"), message.get("base64")
        if view not in ELEMENT_FORMATS or not isinstance(text, str):
            raise ValueError(f"not an elements message: {str(message)[:200]}")
        data = base64.b64decode(text, validate=True)
        if len(data) % struct.calcsize(ELEMENT_FORMATS[view]):
            raise ValueError(f"{len(data)} bytes are not a whole number of {view} elements")
        return cls(view, data)

    @property
    def element_size(self) -> int:
        """Bytes per element."""
        return struct.calcsize(ELEMENT_FORMATS[self.view])

    @property
    def length(self) -> int:
        """How many elements."""
        return len(self.data) // self.element_size

    @property
    def is_float(self) -> bool:
        """Whether the elements are floats (NaN equals NaN; -0 differs from 0)."""
        return self.view in ("Float32Array", "Float64Array")

    def sha256(self) -> str:
        """The SHA-256 of the bytes, as lowercase hex."""
        return hashlib.sha256(self.data).hexdigest()

    def values(self, start: int = 0, stop: int | None = None) -> list[Any]:
        """Elements ``start`` to ``stop`` as the contract's JSON values (BigInts as strings, NaN as ``"NaN"``).

        >>> Elements("Int16Array", bytes([1, 0, 255, 255])).values()
        [1, -1]
        """
        stop = self.length if stop is None else min(stop, self.length)
        size = self.element_size
        raw = self.data[start * size:stop * size]
        decoded = [item[0] for item in struct.iter_unpack("<" + ELEMENT_FORMATS[self.view], raw)]
        if self.view.startswith("Big"):
            return [str(value) for value in decoded]
        if self.is_float:
            return [encode_number(value) for value in decoded]
        return decoded

    def summary(self) -> dict[str, Any]:
        """What a report keeps of it: the view, the length and the SHA-256 of the bytes."""
        return {"view": self.view, "length": self.length, "sha256": self.sha256()}

    def __repr__(self) -> str:
        return f"Elements({self.view}, {self.length} values, sha256 {self.sha256()[:16]})"


def _same_element(view: str, left: bytes, right: bytes) -> bool:
    """Two elements' bytes: equal, or (a float view) both NaN."""
    if left == right:
        return True
    if view not in ("Float32Array", "Float64Array"):
        return False
    form = "<" + ELEMENT_FORMATS[view]
    return math.isnan(struct.unpack(form, left)[0]) and math.isnan(struct.unpack(form, right)[0])


def first_difference_index(left: Elements, right: Elements) -> int | None:
    """The first index where the two differ (the shorter length if one is a prefix of the other), else ``None``."""
    if left.view != right.view:
        return 0
    size = left.element_size
    common = min(len(left.data), len(right.data))
    chunk = _CHUNK - _CHUNK % size
    for start in range(0, common, chunk):
        stop = min(start + chunk, common)
        if left.data[start:stop] == right.data[start:stop]:
            continue
        for at in range(start, stop, size):
            if not _same_element(left.view, left.data[at:at + size], right.data[at:at + size]):
                return at // size
    return None if len(left.data) == len(right.data) else common // size


def first_difference_in_values(left: list[Any], right: list[Any], same: Any) -> int | None:
    """The first index where two lists of values differ by ``same``, as :func:`first_difference_index`."""
    for index, (a, b) in enumerate(zip(left, right)):
        if not same(a, b):
            return index
    return None if len(left) == len(right) else min(len(left), len(right))


def as_values(value: Any) -> Any:
    """``value`` with every :class:`Elements` in it spelled out as the contract's list (``--update`` needs it)."""
    if isinstance(value, Elements):
        return value.values()
    if isinstance(value, list):
        return [as_values(item) for item in value]
    if isinstance(value, dict):
        return {key: as_values(item) for key, item in value.items()}
    return value


def from_wire(value: Any) -> Any:
    """A driver's step observation with each elements message (at the top, or as a value of its dict) decoded."""
    if isinstance(value, dict):
        if "$elements" in value:
            return Elements.from_wire(value)
        return {key: from_wire(item) for key, item in value.items()}
    return value
