"""Running a scenario on the reference model: the observations a runtime should report.

Mirrors ``js/driver.js`` step for step, with the model's memory, views, text
codec and interpreter, and encodes every value with :mod:`harness.values`.
The JS API's conversions at the call boundary (ToInt32, ToBigInt64, float32
rounding, signed i32 results) are applied here.
"""

from __future__ import annotations

import math
import struct
from typing import Any, Callable

from .. import model
from ..errors import WasmDecodeError
from ..model.binary import Module
from ..model.text import EncodingNotModelled
from ..model.traps import (
    FuelExhausted,
    JsException,
    Trap,
    TrapKind,
    UnsupportedInstruction,
)
from ..model.views import to_float32, to_integer_modulo
from ..values.codec import (
    decode_bigint,
    decode_number,
    encode_bigint,
    encode_number,
    f32_bits_to_number,
    f64_bits_to_number,
)
from .format import Scenario, Step, memory_export_name

CANONICAL_NAN_F32 = 0x7FC00000
CANONICAL_NAN_F64 = 0x7FF8000000000000


class ModelGap(Exception):
    """The reference model cannot run this scenario (an instruction it does not execute)."""


def error_observation(error: Exception) -> dict[str, Any]:
    """How a thrown error is observed: its JS ``name``, plus the trap kind for traps."""
    if isinstance(error, Trap):
        name = "RangeError" if error.kind is TrapKind.CALL_STACK_EXHAUSTED else "RuntimeError"
        return {"error": name, "trap": error.kind.value}
    if isinstance(error, JsException):
        return {"error": error.name}
    raise TypeError(f"not a JavaScript-visible error: {error!r}")


def to_wasm_value(value_type: str, encoded: Any) -> int:
    """ToWebAssemblyValue: a JSON-encoded JS argument as a canonical wasm value."""
    if value_type == "i64":
        return decode_bigint(encoded) % (1 << 64)
    number = decode_number(encoded)
    if value_type == "i32":
        return to_integer_modulo(number, 32, False)
    if value_type == "f32":
        rounded = to_float32(number)
        return CANONICAL_NAN_F32 if math.isnan(rounded) else int.from_bytes(struct.pack("<f", rounded), "little")
    if value_type == "f64":
        return CANONICAL_NAN_F64 if math.isnan(number) else int.from_bytes(struct.pack("<d", float(number)), "little")
    raise JsException("TypeError", f"cannot pass a {value_type} from JavaScript")


def to_js_value(value_type: str, value: int) -> Any:
    """ToJSValue, JSON-encoded: i32 signed, i64 as a BigInt string, floats as Numbers."""
    if value_type == "i32":
        return value - (1 << 32) if value >> 31 else value
    if value_type == "i64":
        return encode_bigint(value - (1 << 64) if value >> 63 else value)
    if value_type == "f32":
        return encode_number(f32_bits_to_number(value))
    if value_type == "f64":
        return encode_number(f64_bits_to_number(value))
    raise JsException("TypeError", f"cannot return a {value_type} to JavaScript")


def encode_element(kind: model.views.ViewKind, value: Any) -> Any:
    """A typed-array element as JSON."""
    return encode_bigint(value) if kind.bigint else encode_number(value)


def decode_elements(kind: model.views.ViewKind, values: list[Any]) -> list[Any]:
    """JSON values as the JS values the driver passes to ``set``."""
    if kind.bigint:
        return [decode_bigint(value) for value in values]
    return [decode_number(value) for value in values]


class ReferenceSession:
    """The model-side twin of the driver's ``Session``."""

    def __init__(self, scenario: Scenario, module: Module, instance: model.Instance,
                 host_memory: model.MemoryObject | None) -> None:
        self.module = module
        self.instance = instance
        self.held: dict[str, model.TypedArrayModel] = {}
        if host_memory is None:
            name = memory_export_name(scenario, module)
            exported = instance.exports.get(name) if name else None
            host_memory = model.MemoryObject.wrapping(exported) if isinstance(exported, model.Memory) else None
        self.memory_object = host_memory

    def memory(self) -> model.MemoryObject:
        """The memory the steps act on."""
        if self.memory_object is None:
            raise JsException("TypeError", "Cannot read properties of undefined (reading 'buffer')")
        return self.memory_object

    def view(self, view_name: str, offset: int, length: int | None) -> model.TypedArrayModel:
        """``new View(mem.buffer, offset[, length])``."""
        return model.TypedArrayModel(model.view_kind(view_name), self.memory().buffer, offset, length)

    def write(self, fields: dict[str, Any]) -> None:
        kind = model.view_kind(fields["view"])
        values = decode_elements(kind, fields["values"])
        self.view(fields["view"], fields["offset"], len(values)).set(values)

    def read(self, fields: dict[str, Any]) -> list[Any]:
        view = self.view(fields["view"], fields["offset"], fields["length"])
        return [encode_element(view.kind, value) for value in view.to_list()]

    def write_string(self, fields: dict[str, Any]) -> dict[str, int]:
        encoded = model.encode_utf8(fields["text"])
        self.view("Uint8Array", fields["offset"], len(encoded)).set(list(encoded))
        return {"written": len(encoded)}

    def decode(self, fields: dict[str, Any]) -> str:
        decoder = model.TextDecoderModel(fields["label"], fatal=fields["fatal"], ignore_bom=fields["ignore_bom"])
        data = self.view("Uint8Array", fields["offset"], fields["length"]).to_list()
        return decoder.decode(bytes(data))  # type: ignore[arg-type]

    def call(self, fields: dict[str, Any]) -> Any:
        export = self.module.export(fields["export"])
        assert export is not None  # checked when the scenario was matched to the module
        signature = self.module.function_type(export.index)
        args = [to_wasm_value(t, v) for t, v in zip(signature.params, fields["args"])]
        for value_type in signature.results:
            to_js_value(value_type, 0)  # a result type JS cannot receive throws before the call
        results = model.call_export(self.instance, fields["export"], args)
        encoded = [to_js_value(t, v) for t, v in zip(signature.results, results)]
        if not encoded:
            return None
        return encoded[0] if len(encoded) == 1 else encoded

    def grow(self, fields: dict[str, Any]) -> int:
        return self.memory().grow(fields["delta"])

    def size(self, fields: dict[str, Any]) -> dict[str, int]:
        byte_length = self.memory().buffer.byte_length
        return {"pages": byte_length // model.PAGE_SIZE, "byte_length": byte_length}

    def hold(self, fields: dict[str, Any]) -> dict[str, int]:
        view = self.view(fields["view"], fields["offset"], fields["length"])
        self.held[fields["name"]] = view
        return {"length": view.length}

    def held_(self, fields: dict[str, Any]) -> dict[str, Any]:
        view = self.held[fields["name"]]
        if fields["values"] is not None:
            view.set(decode_elements(view.kind, fields["values"]))
        observation: dict[str, Any] = {"length": view.length, "byte_length": view.byte_length}
        if fields["read"]:
            observation["values"] = [encode_element(view.kind, value) for value in view.to_list()]
        return observation

    def run(self, step: Step) -> Any:
        """One step's observation; JS exceptions and traps become error observations."""
        operation: Callable[[dict[str, Any]], Any] = getattr(self, "held_" if step.op == "held" else step.op)
        try:
            return operation(step.fields)
        except (Trap, JsException) as error:
            return error_observation(error)
        except (UnsupportedInstruction, FuelExhausted, EncodingNotModelled) as gap:
            raise ModelGap(str(gap)) from None


def host_memory_for(scenario: Scenario) -> model.MemoryObject | None:
    """``new WebAssembly.Memory(descriptor)`` for the ``[memory]`` table, if any."""
    spec = scenario.memory
    if spec is None:
        return None
    return model.MemoryObject(spec.initial, spec.maximum, spec.shared)


def instantiate_reference(scenario: Scenario, wasm_bytes: bytes) -> tuple[Module, model.Instance, model.MemoryObject | None]:
    """``WebAssembly.instantiate(bytes, imports)`` on the model; raises what JS would throw."""
    host_memory = host_memory_for(scenario)
    try:
        module = model.decode_module(wasm_bytes)
    except WasmDecodeError as error:
        raise JsException("CompileError", error.message) from None
    provided: dict[tuple[str, str], Any] = {}
    if host_memory is not None and scenario.memory is not None:
        provided[(scenario.memory.module, scenario.memory.field)] = host_memory.memory
    namespaces = {module_name for module_name, _ in provided}
    for entry in module.imports:
        if entry.module not in namespaces:
            raise JsException("TypeError", f"import object field {entry.module!r} is not an Object")
    return module, model.instantiate(module, provided), host_memory


def run_reference(scenario: Scenario, wasm_bytes: bytes) -> dict[str, Any]:
    """The reference observation document: ``{"instantiate": ..., "steps": [...]}``.

    Raises :class:`ModelGap` when the model cannot execute the module.
    """
    try:
        module, instance, host_memory = instantiate_reference(scenario, wasm_bytes)
    except (Trap, JsException) as error:
        return {"instantiate": error_observation(error), "steps": []}
    except (UnsupportedInstruction, FuelExhausted) as gap:
        raise ModelGap(str(gap)) from None
    session = ReferenceSession(scenario, module, instance, host_memory)
    return {"instantiate": None, "steps": [session.run(step) for step in scenario.steps]}
