"""A scenario against its decoded modules: what every import is bound to, what every step acts on.

Both sides (``js/driver.js`` through :mod:`.on_runtime`, and the model in
:mod:`.on_model`) link and run a scenario the same way, so the decisions are
made once, here: :func:`check_against_modules` finds every mismatch before
anything runs (exit 2, naming the file, the step or import and the key), and
:func:`memory_of` says which memory a step acts on.

The import object each module gets is the JS API's, built the same way on
both sides: every ``[imports]`` entry under its namespace, every earlier
instance's exports under the instance's name, and the WASI functions under
``wasi_snapshot_preview1`` and ``wasi_unstable`` when there is a ``[wasi]``
table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

from ..model.binary import FuncType, GlobalType, Module
from ..model.wasi import SIGNATURES as WASI_SIGNATURES
from ..model.wasi import WASI_MODULES
from .expressions import Expression, Reference
from .format import MEMORY_OPS, ImportDecl, Scenario, ScenarioError, Step, check_values

Modules = Sequence[Module | None]


@dataclass(frozen=True)
class MemoryRef:
    """The memory a step acts on: a declared host memory, or an instance's exported memory.

    ``address`` is its address type: ``"i64"`` for a 64-bit memory, whose
    ``grow`` takes and returns BigInts.
    """

    import_key: str | None = None
    instance: int | None = None
    export: str | None = None
    address: str = "i32"

    def as_json(self) -> dict[str, Any]:
        if self.import_key is not None:
            return {"import": self.import_key, "address": self.address}
        return {"instance": self.instance, "export": self.export, "address": self.address}


def _fail(scenario: Scenario, where: str, message: str) -> ScenarioError:
    return ScenarioError(f"{where}: {message}", path=scenario.path)


def _module_label(scenario: Scenario, position: int) -> str:
    name = scenario.modules[position].name
    return f"module {name!r}" if name else "the module"


def _show_type(signature: FuncType) -> str:
    return f"({', '.join(signature.params)}) -> ({', '.join(signature.results)})"


# -- imports ------------------------------------------------------------------------------
def _check_imports(scenario: Scenario, modules: Modules) -> None:
    for position, module in enumerate(modules):
        if module is None:
            continue
        wasi_imports = [entry for entry in module.imports if entry.module in WASI_MODULES
                        and scenario.declared(f"{entry.module}.{entry.name}") is None]
        if wasi_imports and scenario.wasi is None:
            first = wasi_imports[0]
            raise _fail(scenario, "key 'wasi'", f"{_module_label(scenario, position)} imports {first.module}."
                                                f"{first.name}: add a [wasi] table for linmem's WASI host "
                                                f"(or declare each import under [imports])")
        if wasi_imports:
            _check_wasi_imports(scenario, position, module)
        for entry in module.imports:
            declared = scenario.declared(f"{entry.module}.{entry.name}")
            if declared is not None:
                _check_declared(scenario, position, module, entry, declared)
    for declared in scenario.imports:
        if declared.source is not None:
            _check_source(scenario, modules, declared)


def _check_wasi_imports(scenario: Scenario, position: int, module: Module) -> None:
    for entry in module.imports:
        if entry.module not in WASI_MODULES:
            continue
        where = "key 'wasi'"
        signature = WASI_SIGNATURES.get(entry.name)
        if signature is None:
            provided = ", ".join(sorted(WASI_SIGNATURES))
            raise _fail(scenario, where, f"{_module_label(scenario, position)} imports {entry.module}.{entry.name}, "
                                         f"which linmem's WASI host does not provide (it provides {provided})")
        if entry.kind != "func" or module.types[entry.desc] != signature:
            raise _fail(scenario, where, f"{_module_label(scenario, position)} imports {entry.module}.{entry.name} "
                                         f"with another type than WASI's {_show_type(signature)}")


def _check_declared(scenario: Scenario, position: int, module: Module, entry: Any, declared: ImportDecl) -> None:
    where = f"key 'imports.\"{declared.key}\"'"
    label = _module_label(scenario, position)
    if declared.source is not None:
        if declared.kind and declared.kind != entry.kind:
            raise _fail(scenario, where, f"declared a {declared.kind}, but {label} imports a {entry.kind}")
        return
    if declared.kind != entry.kind:
        raise _fail(scenario, where, f"declared a {declared.kind}, but {label} imports a {entry.kind}")
    if entry.kind == "func":
        signature: FuncType = module.types[entry.desc]
        for key, wanted in (("params", signature.params), ("results", signature.results)):
            given = declared.settings.get(key)
            if given is not None and tuple(given) != tuple(wanted):
                raise _fail(scenario, f"{where}: key '{key}'",
                            f"{label} imports it as {_show_type(signature)}, not with {key} {list(given)}")
        returns = declared.settings.get("returns")
        if returns is not None:
            if len(returns) != len(signature.results):
                raise _fail(scenario, f"{where}: key 'returns'",
                            f"{label} imports it with {len(signature.results)} result(s), got {len(returns)} value(s)")
            check_values(scenario.path, where, "returns", returns, list(signature.results))
        for spec in declared.settings.get("text", ()):
            for argument in (spec.ptr, spec.len):
                if argument is not None and argument >= len(signature.params):
                    raise _fail(scenario, f"{where}: key 'text'",
                                f"argument {argument} does not exist: it takes {len(signature.params)}")
    elif entry.kind == "global":
        wanted_type: GlobalType = entry.desc
        if (declared.settings["type"], declared.settings["mutable"]) != (wanted_type.value_type, wanted_type.mutable):
            mutability = "mutable" if wanted_type.mutable else "immutable"
            raise _fail(scenario, where, f"{label} imports a {mutability} {wanted_type.value_type} global")


def _check_source(scenario: Scenario, modules: Modules, declared: ImportDecl) -> None:
    where = f"key 'imports.\"{declared.key}\"': key 'from'"
    instance_name, export_name = str(declared.source).split(".", 1)
    names = [source.name for source in scenario.modules]
    if instance_name not in names:
        raise _fail(scenario, where, f"no module is named {instance_name!r}")
    source_position = names.index(instance_name)
    for position, module in enumerate(modules):
        if module is not None and any(f"{e.module}.{e.name}" == declared.key for e in module.imports) \
                and position <= source_position:
            raise _fail(scenario, where, f"{_module_label(scenario, position)} is instantiated before "
                                         f"{instance_name!r}, so it cannot import its exports")
    source_module = modules[source_position]
    if source_module is not None and source_module.export(export_name) is None:
        raise _fail(scenario, where, f"module {instance_name!r} exports nothing called {export_name!r}")


# -- steps --------------------------------------------------------------------------------
def memory_of(scenario: Scenario, modules: Modules, step: Step) -> MemoryRef | None:
    """The memory ``step`` acts on (see the module docstring); ``None`` when there is none."""
    position = scenario.instance_position(step.instance)
    module = modules[position]
    exported = {e.name: module.memory_types()[e.index].address for e in module.exports if e.kind == "memory"} \
        if module is not None else {}
    declared = {entry.key: entry.settings["address"] for entry in scenario.imports
                if entry.kind == "memory" and entry.source is None}
    if step.memory is not None:
        if step.memory in declared:
            return MemoryRef(import_key=step.memory, address=declared[step.memory])
        return MemoryRef(instance=position, export=step.memory, address=exported[step.memory]) \
            if step.memory in exported else None
    if declared:
        first = next(iter(declared))
        return MemoryRef(import_key=first, address=declared[first])
    if scenario.memory_export is not None:
        return MemoryRef(instance=position, export=scenario.memory_export,
                         address=exported[scenario.memory_export]) if scenario.memory_export in exported else None
    first_export = next(iter(exported), None)
    return MemoryRef(instance=position, export=first_export, address=exported[first_export]) \
        if first_export is not None else None


def text_memory(module: Module | None) -> dict[str, str] | None:
    """Where strings of a module's host calls are read: its first exported memory, else the one it imports.

    ``{"export": name}`` or ``{"module": ..., "field": ...}`` (an entry of its import object); ``None`` if neither.
    """
    if module is None:
        return None
    exported = next((e.name for e in module.exports if e.kind == "memory"), None)
    if exported is not None:
        return {"export": exported}
    imported = next((e for e in module.imports if e.kind == "memory"), None)
    return {"module": imported.module, "field": imported.name} if imported is not None else None


def _check_step(scenario: Scenario, modules: Modules, step: Step, shapes: dict[str, Any]) -> None:
    where = f"step {step.label}"
    module = modules[scenario.instance_position(step.instance)]
    if module is None:
        return  # it does not decode: the instantiation fails on every side and no step runs
    if step.op in ("call", "get_global", "set_global"):
        _check_export(scenario, module, step, "func" if step.op == "call" else "global")
    if step.op in MEMORY_OPS and memory_of(scenario, modules, step) is None:
        if step.memory is not None:
            raise _fail(scenario, f"{where}: key 'memory'", f"no declared memory import or exported memory "
                                                            f"is called {step.memory!r}")
        if scenario.memory_export is not None:
            raise _fail(scenario, "key 'memory'", f"the module exports no memory {scenario.memory_export!r}")
        raise _fail(scenario, "key 'memory'", "no [memory] table and the module exports no memory")
    if step.op == "output" and scenario.wasi is None:
        raise _fail(scenario, f"{where}: key 'op'", "an 'output' step observes the WASI host: add a [wasi] table")
    if step.op == "calls" and step.fields["import"] is not None:
        declared = scenario.declared(step.fields["import"])
        if declared is None or declared.kind != "func" or not declared.settings.get("record"):
            raise _fail(scenario, f"{where}: key 'import'", f"{step.fields['import']!r} is not a declared function "
                                                            f"import with record = true (or text)")
    for key, value in step.fields.items():
        for expression in value if isinstance(value, list) else [value]:
            if isinstance(expression, Expression):
                for reference in expression.references:
                    _check_reference(scenario, where, key, reference, shapes, want_hex=key == "data")
    if step.name_as is not None:
        shapes[step.name_as] = _shape_of(scenario, module, step)


def _check_export(scenario: Scenario, module: Module, step: Step, kind: str) -> None:
    where = f"step {step.label}: key 'export'"
    name = step.fields["export"]
    export = module.export(name)
    if export is None:
        names = ", ".join(e.name for e in module.exports if e.kind == kind) or "none"
        noun = "function" if kind == "func" else "global"
        raise _fail(scenario, where, f"the module exports no {noun} {name!r} ({noun} exports: {names})")
    if export.kind != kind:
        raise _fail(scenario, where, f"{name!r} is a {export.kind}, not a {'function' if kind == 'func' else 'global'}")
    if step.op == "call":
        params = module.function_type(export.index).params
        check_values(scenario.path, f"step {step.label}", "args", step.fields["args"][:len(params)], list(params))
    elif step.op == "set_global":
        value_type = module.global_types()[export.index].value_type
        check_values(scenario.path, f"step {step.label}", "value", [step.fields["value"]], [value_type])


def _value_shape(value_type: str) -> str:
    return "int" if value_type in ("i32", "i64") else "float" if value_type in ("f32", "f64") else "other"


def _shape_of(scenario: Scenario, module: Module, step: Step) -> Any:
    """What a step's observation can be, as far as expressions care (``int``, ``float``, ...)."""
    op, fields = step.op, step.fields
    if op == "call":
        export = module.export(fields["export"])
        results = module.function_type(export.index).results if export is not None else ()
        shapes = [_value_shape(t) for t in results]
        return "null" if not shapes else shapes[0] if len(shapes) == 1 else ("tuple", shapes)
    if op == "get_global":
        export = module.export(fields["export"])
        return _value_shape(module.global_types()[export.index].value_type) if export is not None else "any"
    if op == "read":
        return ("list", "float" if fields["view"].startswith("Float") else "int")
    if op in ("write_string", "write_bytes"):
        return ("dict", {"written": "int"})
    if op == "size":
        return ("dict", {"pages": "int", "byte_length": "int"})
    if op == "hold":
        return ("dict", {"length": "int"})
    if op in ("buffer", "to_resizable_buffer", "to_fixed_length_buffer"):
        return ("dict", {"byte_length": "int", "max_byte_length": "int", "resizable": "bool",
                         "shared": "bool", "detached": "bool", "current": "bool"})
    if op == "held":
        return ("dict", {"length": "int", "byte_length": "int", "values": ("list", "any")})
    return {"grow": "int", "read_bytes": "hex", "decode": "string", "write": "null", "set_global": "null",
            "output": ("dict", {"stdout": "string", "stderr": "string"})}.get(op, "any")


def _check_reference(scenario: Scenario, where: str, key: str, reference: Reference, shapes: dict[str, Any],
                     *, want_hex: bool = False) -> None:
    shape = shapes.get(reference.name, "any")
    for part in reference.path:
        if isinstance(shape, tuple) and shape[0] == "dict" and isinstance(part, str) and part in shape[1]:
            shape = shape[1][part]
        elif isinstance(shape, tuple) and shape[0] == "list" and isinstance(part, int):
            shape = shape[1]
        elif isinstance(shape, tuple) and shape[0] == "tuple" and isinstance(part, int) and part < len(shape[1]):
            shape = shape[1][part]
        elif shape != "any":
            raise _fail(scenario, f"{where}: key '{'hex' if want_hex else key}'",
                        f"{reference} does not exist: ${reference.name} is {_describe(shapes[reference.name])}")
    wanted = "hex" if want_hex else "int"
    if shape not in (wanted, "any"):
        what = "the bytes of an earlier read_bytes" if want_hex else "an integer"
        raise _fail(scenario, f"{where}: key '{'hex' if want_hex else key}'",
                    f"{reference} is not {what}: ${reference.name} is {_describe(shapes[reference.name])}")


def _describe(shape: Any) -> str:
    if isinstance(shape, tuple):
        return {"dict": "an object", "list": "a list", "tuple": "a list of results"}[shape[0]]
    return {"int": "an integer", "float": "a float", "string": "a string", "hex": "bytes (read_bytes)",
            "null": "null (no result)", "other": "a reference"}.get(shape, "a value")


def check_against_modules(scenario: Scenario, modules: Modules) -> None:
    """Every check that needs the decoded modules (``None`` for one that does not decode)."""
    _check_imports(scenario, modules)
    shapes: dict[str, Any] = {}
    for step in scenario.steps:
        _check_step(scenario, modules, step, shapes)

