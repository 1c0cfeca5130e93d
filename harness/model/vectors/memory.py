"""The vector loads and stores: how many bytes each touches, and what becomes of them.

The memory access itself is the scalar one (``load<memory>(address, width)``
and ``store<memory>(address, width, value)`` in generated code: bounds are
checked for the whole access before anything is written). What this module
adds is the part after a load or before a store:

- ``v128.load``, ``v128.load32_zero``, ``v128.load64_zero``: the loaded
  bytes are the vector (its upper bytes zero);
- ``v128.loadNxM_s/u``: M lanes of N bits, each extended to twice its width;
- ``v128.loadN_splat``: the N-bit value in every lane;
- ``v128.loadN_lane``: the operand with one lane replaced by the loaded value;
- ``v128.store``, ``v128.storeN_lane``: the vector, or its lane shifted down
  (a store writes only its width's low bytes).

>>> LOADS["v128.load8x8_s"].width, hex(LOADS["v128.load8x8_s"].transform(0x80_7F))
(8, '0xff80007f')
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from .lanes import SHAPES, replace_lane, splat


@dataclass(frozen=True)
class VectorLoad:
    """A load of ``width`` bytes; ``transform`` turns the loaded integer into the vector (None: it is the vector)."""

    width: int
    transform: Callable[[int], int] | None = None


def _extend(lane_bits: int, signed: bool) -> Callable[[int], int]:
    """The 8 loaded bytes as ``64 // lane_bits`` lanes, each extended to ``2 * lane_bits``."""
    narrow = SHAPES[f"i{lane_bits}x{128 // lane_bits}"]
    wide = SHAPES[f"i{2 * lane_bits}x{64 // lane_bits}"]
    read = narrow.unpack_signed if signed else narrow.unpack
    write = wide.pack_signed if signed else wide.pack
    return lambda loaded: write(read(loaded)[:wide.count])


def _loads() -> dict[str, VectorLoad]:
    table = {"v128.load": VectorLoad(16), "v128.load32_zero": VectorLoad(4), "v128.load64_zero": VectorLoad(8)}
    for bits in (8, 16, 32):
        for suffix, signed in (("s", True), ("u", False)):
            table[f"v128.load{bits}x{64 // bits}_{suffix}"] = VectorLoad(8, _extend(bits, signed))
    for bits in (8, 16, 32, 64):
        table[f"v128.load{bits}_splat"] = VectorLoad(bits // 8, splat(SHAPES[f"i{bits}x{128 // bits}"]))
    return table


#: load name -> how it loads
LOADS = _loads()
#: ``v128.loadN_lane`` -> (bytes loaded, ``replace(vector, loaded, lane)``)
LANE_LOADS = {f"v128.load{bits}_lane": (bits // 8, replace_lane(SHAPES[f"i{bits}x{128 // bits}"]))
              for bits in (8, 16, 32, 64)}
#: store name -> bytes written (a lane store writes lane ``lane`` of the operand: ``vector >> (lane * 8 * width)``)
STORES = {"v128.store": 16, **{f"v128.store{bits}_lane": bits // 8 for bits in (8, 16, 32, 64)}}
