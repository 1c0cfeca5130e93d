"""Running a scenario on the reference model: the observations a runtime should report.

Mirrors ``js/driver.js`` step for step, with the model's memory, views, text
codec and interpreter, and encodes every value with :mod:`harness.values`.
The JS API's conversions at the call boundary (ToInt32, ToBigInt64, float32
rounding, signed i32 results) are applied here.
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass
from typing import Any, Callable

from .. import model
from ..errors import WasmDecodeError
from ..model.binary import GlobalType, Module
from ..model.host import table_object
from ..model.store import GlobalInstance, HostFunction
from ..model.text import EncodingNotModelled
from ..model.traps import (
    FuelExhausted,
    JsException,
    Trap,
    TrapKind,
    UnsupportedInstruction,
)
from ..model.views import to_float32, to_integer_modulo
from ..model.wasi import WASI_MODULES, WasiExit, WasiHost
from ..values.codec import (
    decode_bigint,
    decode_number,
    encode_bigint,
    encode_number,
    f32_bits_to_number,
    f64_bits_to_number,
)
from ..values.elements import COMPACT_MIN, Elements
from .decoded import decoded, save_translations, translations_reused
from .expressions import Expression, ExpressionError, evaluate
from .format import ImportDecl, Scenario, Step, TextSpec
from .linking import memory_of, text_memory

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


def view_values(view: model.TypedArrayModel) -> list[Any] | Elements:
    """``Array.from(view)`` as JSON values; a large view as its bytes, as the driver sends it (no list of ints)."""
    if view.length < COMPACT_MIN:
        return [encode_element(view.kind, value) for value in view.to_list()]
    return Elements(view.kind.name, view.to_bytes())


def decode_elements(kind: model.views.ViewKind, values: list[Any]) -> list[Any]:
    """JSON values as the JS values the driver passes to ``set``."""
    if kind.bigint:
        return [decode_bigint(value) for value in values]
    return [js_number(decode_number(value)) for value in values]  # ToNumber: 10**400 is Infinity


UNDEFINED = object()


def argument_value(value_type: str, given: Any) -> int:
    """ToWebAssemblyValue of one argument as JS passes it: ``undefined`` where none was given."""
    if given is UNDEFINED:
        if value_type == "i32":
            return 0
        if value_type in ("f32", "f64"):
            return to_wasm_value(value_type, "NaN")
        raise JsException("TypeError", f"Cannot convert undefined to a {value_type}")
    if isinstance(given, int) and not isinstance(given, bool) and value_type != "i64":
        given = js_number(given)
    return to_wasm_value(value_type, given)


def js_number(value: int | float) -> float:
    """``Number(BigInt)`` (and ToNumber of an integer literal): the nearest double (ties to even), infinite beyond the range."""
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


def _js_function_result(results: tuple[str, ...], returned: Any) -> list[int]:
    """What a JS host function's return value becomes, for the import's result types."""
    if not results:
        return []
    if returned is UNDEFINED:
        if len(results) > 1:
            raise JsException("TypeError", "undefined is not iterable")
        return [argument_value(results[0], UNDEFINED)]
    if len(results) == 1:
        return [argument_value(results[0], returned[0])]
    return [argument_value(t, v) for t, v in zip(results, returned)]


def describe_buffer(buffer: model.ArrayBufferModel) -> dict[str, Any]:
    """What a script sees of a buffer, as ``js/driver.js``'s ``describeBuffer`` reports it."""
    return {"byte_length": buffer.byte_length, "max_byte_length": buffer.max_byte_length,
            "resizable": buffer.resizable, "shared": buffer.shared, "detached": buffer.detached}


class ReferenceSession:
    """The model-side twin of the driver's ``Session``: instances, host imports, named values."""

    def __init__(self, scenario: Scenario, modules: list[Module]) -> None:
        self.scenario = scenario
        self.modules = modules
        self.instances: list[model.Instance] = []
        self.provided: list[dict[tuple[str, str], Any]] = []  # each module's resolved imports, as JS's import objects
        self.memory_objects: dict[int, model.MemoryObject] = {}
        self.host: dict[str, Any] = {}  # declared memories, globals and tables, by "module.field"
        self.held: dict[str, model.TypedArrayModel] = {}
        self.kept: dict[str, model.ArrayBufferModel] = {}  # buffers kept by `keep`
        self.values: dict[str, Any] = {}
        self.log: list[dict[str, Any]] = []
        self.wasi = WasiHost(scenario.wasi) if scenario.wasi is not None else None

    # -- instantiation -----------------------------------------------------------------
    def instantiate_all(self) -> None:
        """Create the declared host values, then instantiate every module in order.

        Raises what ``new WebAssembly.Memory`` (or ``Global``, ``Table``) or
        ``WebAssembly.instantiate`` throws, as the driver observes it.
        """
        for declared in self.scenario.imports:
            if declared.source is None and declared.kind != "func":
                try:
                    self.host[declared.key] = _host_value(declared)
                except JsException as error:
                    raise _InstantiationFailed(None, error) from None
        for position, module in enumerate(self.modules):
            try:
                self.provided.append(self._imports_for(position, module))
                self.instances.append(model.instantiate(module, self.provided[-1]))
            except (Trap, JsException, WasiExit) as error:
                raise _InstantiationFailed(position, error) from None
            if self.wasi is not None and any(e.module in WASI_MODULES for e in module.imports):
                exported = self.instances[-1].exports.get("memory")
                if isinstance(exported, model.Memory):
                    self.wasi.set_memory(exported)

    def _imports_for(self, position: int, module: Module) -> dict[tuple[str, str], Any]:
        namespaces: dict[str, dict[str, Any]] = {}
        for earlier, source in enumerate(self.scenario.modules[:position]):
            namespaces.setdefault(source.name, {}).update(self.instances[earlier].exports)
        if self.wasi is not None:
            for name in WASI_MODULES:
                namespaces.setdefault(name, {})
        for declared in self.scenario.imports:
            namespaces.setdefault(declared.module, {})[declared.field] = declared
        provided: dict[tuple[str, str], Any] = {}
        for entry in module.imports:
            if entry.module not in namespaces:
                raise JsException("TypeError", f"import object field {entry.module!r} is not an Object")
            value = namespaces[entry.module].get(entry.name)
            if value is None and self.wasi is not None and entry.module in WASI_MODULES:
                value = self.wasi.function(entry.name)
            if isinstance(value, ImportDecl):
                value = self._declared_value(position, module, entry, value)
            if value is not None:
                provided[(entry.module, entry.name)] = value
        return provided

    def _declared_value(self, position: int, module: Module, entry: Any, declared: ImportDecl) -> Any:
        if declared.source is not None:
            instance_name, export_name = declared.source.split(".", 1)
            source_position = self.scenario.instance_position(instance_name)
            return self.instances[source_position].exports.get(export_name)
        if declared.kind != "func":
            value = self.host[declared.key]
            return value.memory if isinstance(value, model.MemoryObject) else value
        if entry.kind != "func":
            return None  # a JS function for a non-function import: LinkError
        return HostFunction(module.types[entry.desc], self._host_function(position, module, entry, declared))

    def _host_function(self, position: int, module: Module, entry: Any, declared: ImportDecl) -> Callable[[list[int]], list[int]]:
        signature = module.types[entry.desc]
        settings = declared.settings

        def call(args: list[int]) -> list[int]:
            js_args = [to_js_value(t, a) for t, a in zip(signature.params, args)]
            if settings.get("record"):
                record: dict[str, Any] = {"import": declared.key, "args": js_args}
                if settings.get("text"):
                    record["text"] = [self._text(position, spec, js_args) for spec in settings["text"]]
                self.log.append(record)
            if "throws" in settings:
                raise JsException(settings["throws"], f"thrown by the host import {declared.key}")
            returns = settings.get("returns")
            return _js_function_result(signature.results, UNDEFINED if returns is None else returns)
        return call

    def _text(self, position: int, spec: TextSpec, args: list[Any]) -> str | None:
        """A string a recorded call points at, read as the driver reads it (``null`` for a null pointer).

        An i64 pointer or length (a wasm64 module's) is a BigInt's decimal string
        among the call's arguments; the driver takes ``Number()`` of it, the
        integer itself here (beyond 2**53 both are far outside any buffer).
        """
        pointer = decode_bigint(args[spec.ptr])
        length = decode_bigint(args[spec.len]) if spec.len is not None else None
        if pointer == 0:
            return None
        memory = self._instance_memory(position)
        if memory is None:
            return None
        buffer = memory.buffer
        if spec.format == "cstring":
            tail = self.bytes_of(buffer, pointer, None)
            end = tail.find(b"\0")
            return model.TextDecoderModel("utf-8").decode(tail if end < 0 else tail[:end])
        if spec.format == "utf-8":
            return model.TextDecoderModel("utf-8").decode(self.bytes_of(buffer, pointer, length))
        if spec.format == "utf-16le":
            return model.TextDecoderModel("utf-16le").decode(self.bytes_of(buffer, pointer, 2 * length))
        if pointer - 4 < 0 or pointer > buffer.byte_length:
            raise JsException("RangeError", "Offset is outside the bounds of the DataView")
        size = int.from_bytes(self.bytes_of(buffer, pointer - 4, 4), "little")
        return model.TextDecoderModel("utf-16le").decode(self.bytes_of(buffer, pointer, size))

    @staticmethod
    def bytes_of(buffer: model.ArrayBufferModel, offset: int, length: int | None) -> bytes:
        """The bytes of ``new Uint8Array(buffer, offset[, length])``, with its RangeErrors."""
        view = model.TypedArrayModel(model.view_kind("Uint8Array"), buffer, offset, length)
        return view.buffer.memory.load(view.byte_offset, view.length)

    def _instance_memory(self, position: int) -> model.MemoryObject | None:
        """The memory strings of a call from the instance at ``position`` are read from (``text_memory``)."""
        where = text_memory(self.modules[position])
        if where is None:
            return None
        if "export" in where:
            instance = self.instances[position] if position < len(self.instances) else None
            return self._wrap(instance.exports[where["export"]]) if instance is not None else None
        imported = self.provided[position].get((where["module"], where["field"]))
        return self._wrap(imported) if isinstance(imported, model.Memory) else None

    def _wrap(self, memory: model.Memory) -> model.MemoryObject:
        """The one ``WebAssembly.Memory`` object JS has for a memory (so buffers detach as in JS)."""
        for declared_value in self.host.values():
            if isinstance(declared_value, model.MemoryObject) and declared_value.memory is memory:
                return declared_value
        if id(memory) not in self.memory_objects:
            self.memory_objects[id(memory)] = model.MemoryObject.wrapping(memory)
        return self.memory_objects[id(memory)]

    # -- steps -------------------------------------------------------------------------------
    def memory(self, step: Step) -> model.MemoryObject:
        """The memory a step acts on (:func:`~.linking.memory_of`)."""
        reference = memory_of(self.scenario, self.modules, step)
        if reference is None:
            raise JsException("TypeError", "Cannot read properties of undefined (reading 'buffer')")
        if reference.import_key is not None:
            return self.host[reference.import_key]
        assert reference.instance is not None and reference.export is not None
        return self._wrap(self.instances[reference.instance].exports[reference.export])

    def instance(self, step: Step) -> model.Instance:
        return self.instances[self.scenario.instance_position(step.instance)]

    def module(self, step: Step) -> Module:
        return self.modules[self.scenario.instance_position(step.instance)]

    def view(self, step: Step, view_name: str, offset: int, length: int | None) -> model.TypedArrayModel:
        """``new View(mem.buffer, offset[, length])``."""
        return model.TypedArrayModel(model.view_kind(view_name), self.memory(step).buffer, offset, length)

    def write(self, step: Step, fields: dict[str, Any]) -> None:
        kind = model.view_kind(fields["view"])
        values = decode_elements(kind, fields["values"])
        self.view(step, fields["view"], fields["offset"], len(values)).set(values)

    def read(self, step: Step, fields: dict[str, Any]) -> list[Any] | Elements:
        return view_values(self.view(step, fields["view"], fields["offset"], fields["length"]))

    def write_string(self, step: Step, fields: dict[str, Any]) -> dict[str, int]:
        if fields["encoding"] == "utf-16le":
            encoded = fields["text"].encode("utf-16-le", "surrogatepass")
        else:
            encoded = model.encode_utf8(fields["text"])
        self.view(step, "Uint8Array", fields["offset"], len(encoded)).set(list(encoded))
        return {"written": len(encoded)}

    def decode(self, step: Step, fields: dict[str, Any]) -> str:
        """``decoder.decode(new Uint8Array(mem.buffer, offset, length))``.

        ``decode`` takes an ``AllowSharedBufferSource`` without ``[AllowResizable]``
        (Encoding, "Interface TextDecoder"), so WebIDL's conversion of a view whose
        buffer is resizable or growable (``IsFixedLengthArrayBuffer`` false) throws a
        ``TypeError`` (WebIDL, "ArrayBufferView" conversion and the buffer types'
        restriction to fixed-length buffers without ``[AllowResizable]``, as
        whatwg/webidl#1521 words it; WPT ``webidl/ecmascript-binding/allow-resizable.html``).
        Every runtime decodes it instead: ``tests/scenarios/differences/text-decoder-resizable.scenario.toml``.
        """
        decoder = model.TextDecoderModel(fields["label"], fatal=fields["fatal"], ignore_bom=fields["ignore_bom"])
        view = self.view(step, "Uint8Array", fields["offset"], fields["length"])
        if view.buffer.resizable:
            raise JsException("TypeError", "TextDecoder.decode: the buffer is resizable (no [AllowResizable])")
        data = view.to_list()
        return decoder.decode(bytes(data))  # type: ignore[arg-type]

    def call(self, step: Step, fields: dict[str, Any]) -> Any:
        module = self.module(step)
        export = module.export(fields["export"])
        assert export is not None  # checked when the scenario was matched to the module
        signature = module.function_type(export.index)
        given = list(fields["args"]) + [UNDEFINED] * (len(signature.params) - len(fields["args"]))
        args = [argument_value(t, v) for t, v in zip(signature.params, given)]
        for value_type in signature.results:
            to_js_value(value_type, 0)  # a result type JS cannot receive throws before the call
        try:
            results = model.call_export(self.instance(step), fields["export"], args)
        except WasiExit as exit_:
            return {"exit": exit_.code}
        encoded = [to_js_value(t, v) for t, v in zip(signature.results, results)]
        if not encoded:
            return None
        return encoded[0] if len(encoded) == 1 else encoded

    def get_global(self, step: Step, fields: dict[str, Any]) -> Any:
        value = self.instance(step).exports[fields["export"]]
        return to_js_value(value.type.value_type, value.value)

    def set_global(self, step: Step, fields: dict[str, Any]) -> None:
        value = self.instance(step).exports[fields["export"]]
        if not value.type.mutable:
            raise JsException("TypeError", "Can't set the value of an immutable global")
        value.value = argument_value(value.type.value_type, fields["value"])
        return None

    def grow(self, step: Step, fields: dict[str, Any]) -> int | str:
        """``mem.grow(delta)``: the old size in pages, a BigInt (a decimal string) for a 64-bit memory."""
        memory = self.memory(step)
        old_pages = memory.grow(fields["delta"])
        return encode_bigint(old_pages) if memory.address == "i64" else old_pages

    def size(self, step: Step, fields: dict[str, Any]) -> dict[str, int]:
        byte_length = self.memory(step).buffer.byte_length
        return {"pages": byte_length // model.PAGE_SIZE, "byte_length": byte_length}

    def hold(self, step: Step, fields: dict[str, Any]) -> dict[str, int]:
        view = self.view(step, fields["view"], fields["offset"], fields["length"])
        self.held[fields["name"]] = view
        return {"length": view.length}

    def held_(self, step: Step, fields: dict[str, Any]) -> dict[str, Any]:
        view = self.held.get(fields["name"])
        if view is None:  # its hold step threw (the loader saw to it that one exists)
            raise JsException("TypeError", f"no view is held under {fields['name']!r}: its hold step threw")
        if fields["values"] is not None:
            view.set(decode_elements(view.kind, fields["values"]))
        observation: dict[str, Any] = {"length": view.length, "byte_length": view.byte_length}
        if fields["read"]:
            observation["values"] = view_values(view)
        return observation

    def _keep(self, fields: dict[str, Any], buffer: model.ArrayBufferModel) -> dict[str, Any]:
        if fields.get("keep") is not None:
            self.kept[fields["keep"]] = buffer
        return describe_buffer(buffer)

    def buffer(self, step: Step, fields: dict[str, Any]) -> dict[str, Any]:
        """``mem.buffer`` described (kept as ``keep``); with ``name``, a kept buffer and whether it is ``mem.buffer``."""
        current = self.memory(step).buffer
        if fields["name"] is None:
            return self._keep(fields, current)
        kept = self.kept[fields["name"]]
        return {**describe_buffer(kept), "current": kept is current}

    def to_resizable_buffer(self, step: Step, fields: dict[str, Any]) -> dict[str, Any]:
        return self._keep(fields, self.memory(step).to_resizable_buffer())

    def to_fixed_length_buffer(self, step: Step, fields: dict[str, Any]) -> dict[str, Any]:
        return self._keep(fields, self.memory(step).to_fixed_length_buffer())

    def write_bytes(self, step: Step, fields: dict[str, Any]) -> dict[str, int]:
        data = bytes([fields["fill"]]) * fields["length"] if "fill" in fields else fields["data"]
        view = model.TypedArrayModel(model.view_kind("Uint8Array"), self.memory(step).buffer, fields["offset"],
                                     len(data))
        view.buffer.memory.store(view.byte_offset, data)
        return {"written": len(data)}

    def read_bytes(self, step: Step, fields: dict[str, Any]) -> str:
        return self.bytes_of(self.memory(step).buffer, fields["offset"], fields["length"]).hex()

    def calls(self, step: Step, fields: dict[str, Any]) -> list[dict[str, Any]]:
        wanted = fields["import"]
        taken = [record for record in self.log if wanted is None or record["import"] == wanted]
        self.log = [record for record in self.log if not (wanted is None or record["import"] == wanted)]
        return taken

    def output(self, step: Step, fields: dict[str, Any]) -> dict[str, str]:
        if self.wasi is None:
            return {"stdout": "", "stderr": ""}
        return self.wasi.take_output()

    def run(self, step: Step) -> Any:
        """One step's observation; JS exceptions and traps become error observations."""
        operation: Callable[[Step, dict[str, Any]], Any] = getattr(self, "held_" if step.op == "held" else step.op)
        try:
            try:
                fields = self._resolved(step.fields)
            except ExpressionError as problem:
                return {"error": "LinmemExpressionError", "message": str(problem)}
            observation = operation(step, fields)
        except (Trap, JsException) as error:
            observation = error_observation(error)
        except (UnsupportedInstruction, FuelExhausted, EncodingNotModelled) as gap:
            raise ModelGap(str(gap)) from None
        if step.name_as is not None:
            self.values[step.name_as] = observation
        return observation

    def _resolved(self, fields: dict[str, Any]) -> dict[str, Any]:
        """The step's keys with every ``$name`` expression evaluated on the model's own observations."""
        resolved = {}
        for key, value in fields.items():
            if isinstance(value, list):
                resolved[key] = [self._value(key, item) for item in value]
            else:
                resolved[key] = self._value(key, value)
        return resolved

    def _value(self, key: str, value: Any) -> Any:
        if not isinstance(value, Expression):
            return value
        if key == "data":
            named = self.values.get(value.names[0])
            if not isinstance(named, str):
                raise ExpressionError(f"${value.names[0]} holds no bytes")
            return bytes.fromhex(named)
        return evaluate(value.program, self.values)


class _InstantiationFailed(Exception):
    """``position`` is the module whose instantiation threw; ``None`` for a host value made before any."""

    def __init__(self, position: int | None, error: Exception) -> None:
        super().__init__(str(error))
        self.position = position
        self.error = error


def _host_value(declared: ImportDecl) -> Any:
    """``new WebAssembly.Memory / Global / Table`` for a declared import."""
    settings = declared.settings
    if declared.kind == "memory":
        return model.MemoryObject(settings["initial"], settings["maximum"], settings["shared"],
                                  address=settings["address"])
    if declared.kind == "global":
        value = argument_value(settings["type"], settings["value"])
        return GlobalInstance(GlobalType(settings["type"], settings["mutable"]), value)
    element = "externref" if settings["element"] == "externref" else "funcref"
    return table_object(element, settings["initial"], settings["maximum"])


@dataclass(frozen=True)
class ModelRun:
    """The model's observations, as far as it could go: ``gap`` says why it stopped, if it did.

    ``document`` is ``None`` when the model could not even instantiate;
    otherwise its ``steps`` hold every step before the gap.
    """

    document: dict[str, Any] | None
    gap: str = ""


def _instantiation_observation(scenario: Scenario, failure: _InstantiationFailed) -> dict[str, Any]:
    error = failure.error
    observation = {"exit": error.code} if isinstance(error, WasiExit) else error_observation(error)
    if len(scenario.modules) > 1 and failure.position is not None:
        observation["instance"] = scenario.modules[failure.position].name
    return observation


def run_reference(scenario: Scenario, binaries: list[bytes]) -> ModelRun:
    """The reference observation document ``{"instantiate": ..., "steps": [...]}``, up to any gap."""
    modules: list[Module] = []
    for position, wasm_bytes in enumerate(binaries):
        try:
            modules.append(decoded(wasm_bytes) if translations_reused() else model.decode_module(wasm_bytes))
        except WasmDecodeError as error:
            failure = _InstantiationFailed(position, JsException("CompileError", error.message))
            return ModelRun({"instantiate": _instantiation_observation(scenario, failure), "steps": []})
        except UnsupportedInstruction as gap:
            return ModelRun(None, str(gap))
    try:
        return _run_steps(scenario, modules)
    finally:
        save_translations(modules)


def _run_steps(scenario: Scenario, modules: list[Module]) -> ModelRun:
    session = ReferenceSession(scenario, modules)
    try:
        session.instantiate_all()
    except _InstantiationFailed as failure:
        return ModelRun({"instantiate": _instantiation_observation(scenario, failure), "steps": []})
    except (UnsupportedInstruction, FuelExhausted) as gap:
        return ModelRun(None, str(gap))
    document: dict[str, Any] = {"instantiate": None, "steps": []}
    for step in scenario.steps:
        try:
            document["steps"].append(session.run(step))
        except ModelGap as gap:
            return ModelRun(document, f"{gap} at step {step.label}")
    return ModelRun(document)
