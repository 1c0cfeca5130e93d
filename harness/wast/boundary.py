"""How a script's values cross the JavaScript boundary of a runtime, bit for bit.

JavaScript has no value for some WebAssembly values, or loses their bits: an
f32/f64 NaN may have its payload changed on the way, and a ``v128`` cannot
cross at all (the JS API throws a ``TypeError``). So every call goes through
a small *wrapper module*, compiled once per signature: it imports the export
(a function as ``t.f``, a global as ``t.g``) and exports ``w``, which takes
and returns only integers and references. Each value travels as its
*carriers*: an f32 as its i32 bits, an f64 as its i64 bits, a v128 as two i64
halves (lane bits 0-63 first), rebuilt with ``i64x2.replace_lane`` and split
with ``i64x2.extract_lane`` (so a v128 result needs multi-value); i64 carriers
are BigInt on the JS side.

>>> carriers_of(("f32", "v128"))
('i32', 'i64', 'i64')
>>> join_results(("v128", "i32"), [0x1, 0x2, 7])
[36893488147419103233, 7]
"""

from __future__ import annotations

from typing import Any, Sequence

from ..model.binary import FuncType, GlobalType
from ..model.store import ExternRef
from .script import Value

#: the types each value type crosses the boundary as (floats as their bits, a v128 as two i64 halves)
CARRIERS: dict[str, tuple[str, ...]] = {
    "i32": ("i32",), "i64": ("i64",), "f32": ("i32",), "f64": ("i64",), "v128": ("i64", "i64"),
    "externref": ("externref",), "funcref": ("funcref",),
}
_HALF = (1 << 64) - 1


class JsFunction:
    """A function reference a JS runtime returned (its identity stays on the JS side)."""


JS_FUNCTION = JsFunction()


def carriers_of(value_types: Sequence[str]) -> tuple[str, ...]:
    """The carriers of these values, in order."""
    return tuple(carrier for value_type in value_types for carrier in CARRIERS[value_type])


def _to_value(value_type: str, carried: str) -> str:
    """WAT turning the carriers left on the stack into one ``value_type`` (``carried``: how to push them)."""
    if value_type in ("f32", "f64"):
        return f"{carried} ({value_type}.reinterpret_{CARRIERS[value_type][0]})"
    return carried


def _from_value(value_type: str, push: str) -> str:
    """WAT pushing the carriers of the value that ``push`` pushes."""
    if value_type in ("f32", "f64"):
        return f"{push} ({CARRIERS[value_type][0]}.reinterpret_{value_type})"
    if value_type == "v128":
        return f"(i64x2.extract_lane 0 {push}) (i64x2.extract_lane 1 {push})"
    return push


def wrapper_wat(signature: FuncType) -> str:
    """A module importing ``t.f`` and exporting ``w``, which takes and returns every value as its carriers."""
    body = []
    carried = 0  # the index of the next carrier parameter
    for value_type in signature.params:
        if value_type == "v128":
            body.append(f"(i64x2.replace_lane 1 (i64x2.splat (local.get {carried})) (local.get {carried + 1}))")
        else:
            body.append(_to_value(value_type, f"(local.get {carried})"))
        carried += len(CARRIERS[value_type])
    body.append("(call $f)")
    locals_ = " ".join(f"(local $r{i} {t})" for i, t in enumerate(signature.results))
    body += [f"(local.set $r{index})" for index in reversed(range(len(signature.results)))]
    body += [_from_value(value_type, f"(local.get $r{index})") for index, value_type in enumerate(signature.results)]
    return (f'(module (import "t" "f" (func $f (param {" ".join(signature.params)}) '
            f'(result {" ".join(signature.results)})))\n'
            f'  (func (export "w") (param {" ".join(carriers_of(signature.params))}) '
            f'(result {" ".join(carriers_of(signature.results))}) {locals_}\n'
            f'    {" ".join(body)}))')


def global_wrapper_wat(global_type: GlobalType) -> str:
    """A module importing the global ``t.g`` and exporting ``w``, which returns its value as its carriers."""
    value_type = global_type.value_type
    imported = f"(mut {value_type})" if global_type.mutable else value_type
    return (f'(module (import "t" "g" (global $g {imported}))'
            f' (func (export "w") (result {" ".join(CARRIERS[value_type])}) {_from_value(value_type, "(global.get $g)")}))')


def js_arguments(params: Sequence[str], args: Sequence[Value]) -> list[dict[str, Any]]:
    """An action's arguments as the driver takes them: one entry per carrier."""
    carried: list[dict[str, Any]] = []
    for value_type, argument in zip(params, args):
        bits = argument.bits or 0
        if argument.reference is not None:
            carried.append({"carrier": value_type, "ref": argument.reference, "bits": str(bits)})
        elif value_type == "v128":
            carried += [{"carrier": "i64", "bits": str(bits & _HALF)}, {"carrier": "i64", "bits": str(bits >> 64)}]
        else:
            carried.append({"carrier": CARRIERS[value_type][0], "bits": str(bits)})
    return carried


def canonical_result(result: Any) -> Any:
    """One carrier as the driver reports it, as a canonical value (bits, or a reference)."""
    if not isinstance(result, dict):
        return int(result)
    if result["ref"] == "null":
        return None
    if result["ref"] == "extern":
        return ExternRef(int(result["number"]))
    if result["ref"] == "func":
        return JS_FUNCTION
    return f"a foreign value {result.get('text', '')!r}"


def join_results(value_types: Sequence[str], carried: Sequence[Any]) -> list[Any]:
    """The results of these types from their carriers' canonical values (a v128 from its two halves)."""
    values, position = [], 0
    for value_type in value_types:
        if value_type == "v128":
            low, high = carried[position:position + 2]
            values.append(low | high << 64)
        else:
            values.append(carried[position])
        position += len(CARRIERS[value_type])
    return values
