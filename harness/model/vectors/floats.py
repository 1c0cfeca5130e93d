"""The float lane instructions (``f32x4``, ``f64x2``) and the conversions between lane shapes.

Each lane computes what the scalar instruction of the same name computes
(:mod:`harness.model.floats`), on the lane's bit pattern, so the scalar NaN
choices carry over: a NaN operand propagates quieted (the first one if both
are NaN), an invalid operation gives the default NaN (sign bit set), and
``min`` with a NaN operand gives that default NaN. That is what V8 (Node 24,
x86-64, Liftoff and TurboFan alike) answers lane by lane, with one exception:
``f32x4.max`` / ``f64x2.max`` with a NaN operand give the canonical NaN with
the sign bit of ``a | b`` (see :func:`_vector_max`). The answers are recorded
from Node in ``tests/test_model_simd.py``.

``pmin``/``pmax`` are not ``min``/``max``: the spec defines them as a select
(``b < a ? b : a``), so they return an operand's bits unchanged, NaN or not.
Comparisons answer all ones (true) or zeros per lane.

>>> hex(FLOAT_OPERATIONS["f32x4.add"](0x3F80_0000, 0x3F80_0000))  # lane 0: 1.0 + 1.0
'0x40000000'
>>> hex(FLOAT_OPERATIONS["f32x4.pmin"](0x7FA0_0000, 0x3F80_0000))  # 1.0 < NaN is false: the first operand as it is
'0x7fa00000'
"""

from __future__ import annotations

from typing import Callable

from ..floats import F32, F64, FLOAT_BINARY, FLOAT_UNARY, Format
from ..opcodes import BY_NAME
from .integers import lanewise
from .lanes import F32X4, F64X2, I32X4, Shape

FLOAT_SHAPES = {"f32": F32X4, "f64": F64X2}
FORMATS = {"f32": F32, "f64": F64}
_UNARY = ("abs", "neg", "sqrt", "ceil", "floor", "trunc", "nearest")
_BINARY = ("add", "sub", "mul", "div", "min")
_COMPARISONS = ("eq", "ne", "lt", "gt", "le", "ge")


def _scalar(name: str) -> Callable[..., int]:
    """The scalar instruction's function on bit patterns (``f32.add``, ``f64.promote_f32`` ...)."""
    opcode = BY_NAME[name]
    return FLOAT_BINARY[opcode] if opcode in FLOAT_BINARY else FLOAT_UNARY[opcode]


def _pseudo_min_max(less: Callable[[int, int], int], pick_min: bool) -> Callable[[int, int], int]:
    """``pmin``: ``b if b < a else a``; ``pmax``: ``b if a < b else a`` (exact bits, NaNs included)."""
    if pick_min:
        return lambda a, b: b if less(b, a) else a
    return lambda a, b: b if less(a, b) else a


def _vector_max(fmt: Format, scalar_max: Callable[[int, int], int]) -> Callable[[int, int], int]:
    """``max`` of one lane; with a NaN operand, the canonical NaN whose sign bit is ``a``'s or ``b``'s.

    V8's ``F32x4Max``/``F64x2Max`` (``macro-assembler-shared-ia32-x64.cc``) run ``maxps`` both ways
    (``s = max(a, b)``, ``d = max(b, a)``; x86 answers the second operand when either is NaN, so with
    a NaN one of them is ``a`` and the other ``b``), then ``d ^= s; s |= d`` (``s`` becomes ``a | b``,
    a NaN), ``s - d`` (the first NaN operand, ``a | b``, quieted) and clear the payload: the sign
    survives. Its scalar ``max``, like both ``min``s, answers the default NaN (sign set) instead.
    """
    canonical = fmt.exponent_mask | fmt.quiet

    def apply(a: int, b: int) -> int:
        if fmt.is_nan(a) or fmt.is_nan(b):
            return canonical | ((a | b) & fmt.sign)
        return scalar_max(a, b)
    return apply


def _shape_operations(prefix: str, shape: Shape) -> dict[str, Callable[..., int]]:
    mask = shape.mask
    table: dict[str, Callable[..., int]] = {}
    for name in _UNARY:
        table[name] = lanewise(shape, _scalar(f"{prefix}.{name}"), operands=1)
    for name in _BINARY:
        table[name] = lanewise(shape, _scalar(f"{prefix}.{name}"))
    table["max"] = lanewise(shape, _vector_max(FORMATS[prefix], _scalar(f"{prefix}.max")))  # not the scalar one
    for name in _COMPARISONS:
        test = _scalar(f"{prefix}.{name}")
        table[name] = lanewise(shape, lambda a, b, test=test: mask if test(a, b) else 0)
    less = _scalar(f"{prefix}.lt")
    table["pmin"] = lanewise(shape, _pseudo_min_max(less, pick_min=True))
    table["pmax"] = lanewise(shape, _pseudo_min_max(less, pick_min=False))
    return {f"{shape.name}.{name}": function for name, function in table.items()}


def _low_half(source: Shape, target: Shape, convert: Callable[[int], int]) -> Callable[[int], int]:
    """A conversion of the two low lanes of ``source`` into two lanes of ``target`` (lanes above them are 0)."""
    padding = (0,) * (target.count - 2)
    return lambda vector: target.pack((*map(convert, source.unpack(vector)[:2]), *padding))


def _conversions() -> dict[str, Callable[[int], int]]:
    return {
        "i32x4.trunc_sat_f32x4_s": lanewise(F32X4, _scalar("i32.trunc_sat_f32_s"), operands=1),
        "i32x4.trunc_sat_f32x4_u": lanewise(F32X4, _scalar("i32.trunc_sat_f32_u"), operands=1),
        "f32x4.convert_i32x4_s": lanewise(I32X4, _scalar("f32.convert_i32_s"), operands=1),
        "f32x4.convert_i32x4_u": lanewise(I32X4, _scalar("f32.convert_i32_u"), operands=1),
        "i32x4.trunc_sat_f64x2_s_zero": _low_half(F64X2, I32X4, _scalar("i32.trunc_sat_f64_s")),
        "i32x4.trunc_sat_f64x2_u_zero": _low_half(F64X2, I32X4, _scalar("i32.trunc_sat_f64_u")),
        "f64x2.convert_low_i32x4_s": _low_half(I32X4, F64X2, _scalar("f64.convert_i32_s")),
        "f64x2.convert_low_i32x4_u": _low_half(I32X4, F64X2, _scalar("f64.convert_i32_u")),
        "f32x4.demote_f64x2_zero": _low_half(F64X2, F32X4, _scalar("f32.demote_f64")),
        "f64x2.promote_low_f32x4": _low_half(F32X4, F64X2, _scalar("f64.promote_f32")),
    }


def _float_operations() -> dict[str, Callable[..., int]]:
    table = _conversions()
    for prefix, shape in FLOAT_SHAPES.items():
        table.update(_shape_operations(prefix, shape))
    return table


#: instruction name -> its function on v128 ints
FLOAT_OPERATIONS = _float_operations()
