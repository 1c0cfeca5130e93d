"""Scenario files (format v1, ``../shared/scenario-format.md``): loading and validation.

A scenario is read from TOML (``tomllib``, or ``tomli`` before Python 3.11)
or JSON with the same schema, and checked completely before anything runs:
every error names the file, the step (numbered from 1) and the key, for
example ``a.scenario.toml: step 3: key 'view': unknown view 'Uint33Array';
expected one of ...``. Checks that need the compiled module (exports,
argument counts, the exported memory) live in :func:`check_against_module`.
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from ..case import NO_EXPECT
from ..errors import InputError
from ..model.binary import Module
from ..model.views import VIEW_KINDS
from ..values.codec import decode_bigint, decode_number

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10
    import tomli as tomllib

SUFFIXES = (".scenario.toml", ".scenario.json")
VIEW_NAMES = tuple(VIEW_KINDS)


class ScenarioError(InputError):
    """A scenario file that does not follow the format."""


@dataclass(frozen=True)
class MemorySpec:
    """The ``[memory]`` table: a host-created memory passed to the module as an import."""

    module: str
    field: str
    initial: int
    maximum: int | None = None
    shared: bool = False

    def as_json(self) -> dict[str, Any]:
        """The descriptor the JS driver receives."""
        return {"module": self.module, "field": self.field, "initial": self.initial,
                "maximum": self.maximum, "shared": self.shared}


@dataclass(frozen=True)
class Step:
    """One host-side step, validated, with defaults filled in."""

    index: int
    op: str
    fields: dict[str, Any]
    expect: Any = NO_EXPECT
    note: str | None = None

    @property
    def has_expect(self) -> bool:
        """True when the file pins this step's observation."""
        return self.expect is not NO_EXPECT


@dataclass(frozen=True)
class Scenario:
    """A whole scenario file."""

    path: Path
    title: str
    module_path: Path | None
    wat: str | None
    features: tuple[str, ...]
    memory: MemorySpec | None
    memory_export: str | None
    expect_instantiate: Any
    steps: tuple[Step, ...]

    @property
    def id(self) -> str:
        """The file name, as it appears in reports (``sum.scenario.toml``)."""
        return self.path.name


# -- field checkers ---------------------------------------------------------------------
Checker = Callable[[Any], Any]


def _integer(minimum: int | None = 0) -> Checker:
    def check(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"expected an integer, got {_show(value)}")
        if minimum is not None and value < minimum:
            raise ValueError(f"expected an integer >= {minimum}, got {value}")
        return value
    return check


def _boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"expected true or false, got {_show(value)}")
    return value


def _string(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected a string, got {_show(value)}")
    return value


def _name(value: Any) -> str:
    if not _string(value):
        raise ValueError("expected a non-empty string")
    return value


def _list(value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise ValueError(f"expected a list, got {_show(value)}")
    return value


def _view(value: Any) -> str:
    if value not in VIEW_KINDS:
        raise ValueError(f"unknown view {_show(value)}; expected one of {', '.join(VIEW_NAMES)}")
    return value


def _show(value: Any) -> str:
    return repr(value) if isinstance(value, str) else json.dumps(value, default=str)[:60]


# op -> {key: (checker, required, default)}
_REQUIRED = object()
_OPS: dict[str, dict[str, tuple[Checker, Any]]] = {
    "write": {"view": (_view, _REQUIRED), "offset": (_integer(), _REQUIRED), "values": (_list, _REQUIRED)},
    "read": {"view": (_view, _REQUIRED), "offset": (_integer(), _REQUIRED), "length": (_integer(), None)},
    "write_string": {"offset": (_integer(), _REQUIRED), "text": (_string, _REQUIRED)},
    "decode": {"offset": (_integer(), _REQUIRED), "length": (_integer(), _REQUIRED),
               "label": (_string, "utf-8"), "fatal": (_boolean, False), "ignore_bom": (_boolean, False)},
    "call": {"export": (_name, _REQUIRED), "args": (_list, [])},
    "grow": {"delta": (_integer(None), _REQUIRED)},
    "size": {},
    "hold": {"name": (_name, _REQUIRED), "view": (_view, _REQUIRED), "offset": (_integer(), _REQUIRED),
             "length": (_integer(), _REQUIRED)},
    "held": {"name": (_name, _REQUIRED), "values": (_list, None), "read": (_boolean, False)},
}
_COMMON_STEP_KEYS = {"op", "expect", "note"}
_TOP_LEVEL_KEYS = {"title", "module", "wat", "features", "memory", "expect_instantiate", "steps", "description"}


def _fail(path: Path, where: str, message: str) -> ScenarioError:
    return ScenarioError(f"{where}: {message}" if where else message, path=path)


def parse_document(path: Path) -> dict[str, Any]:
    """The file's data; syntax errors carry the line and column."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ScenarioError("no such file", path=path) from None
    try:
        if path.name.endswith(".json"):
            document = json.loads(raw.decode("utf-8"))
        else:
            document = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as error:
        raise ScenarioError(f"not UTF-8 text (byte {error.start})", path=path) from None
    except json.JSONDecodeError as error:
        raise ScenarioError(f"invalid JSON: {error.msg}", path=path, line=error.lineno, column=error.colno) from None
    except tomllib.TOMLDecodeError as error:
        raise _toml_error(path, error) from None
    if not isinstance(document, dict):
        raise ScenarioError("a scenario must be an object (a table) at the top level", path=path)
    return document


def _toml_error(path: Path, error: Exception) -> ScenarioError:
    text = str(error)
    match = re.search(r"\(at line (\d+), column (\d+)\)", text)
    message = re.sub(r"\s*\(at line \d+, column \d+\)", "", text)
    if match:
        return ScenarioError(f"invalid TOML: {message}", path=path, line=int(match[1]), column=int(match[2]))
    return ScenarioError(f"invalid TOML: {message}", path=path)


def _check_values(path: Path, where: str, key: str, values: list[Any], types: list[str]) -> None:
    """Each value must encode its type: a number (or NaN, Infinity, -Infinity, -0) or an integer (BigInt)."""
    for position, (value, value_type) in enumerate(zip(values, types)):
        try:
            if value_type == "i64":
                decode_bigint(value)
            else:
                decode_number(value)
        except ValueError as problem:
            raise _fail(path, where, f"key '{key}'[{position}]: {problem}") from None


def _check_step(path: Path, index: int, raw: Any, held_views: dict[str, str]) -> Step:
    where = f"step {index}"
    if not isinstance(raw, dict):
        raise _fail(path, where, "a step must be a table")
    op = raw.get("op")
    if op is None:
        raise _fail(path, where, "missing key 'op'")
    if op not in _OPS:
        raise _fail(path, where, f"key 'op': unknown op {_show(op)}; expected one of {', '.join(_OPS)}")
    schema = _OPS[op]
    unknown = sorted(set(raw) - set(schema) - _COMMON_STEP_KEYS)
    if unknown:
        allowed = ", ".join(sorted(set(schema) | _COMMON_STEP_KEYS))
        raise _fail(path, where, f"key '{unknown[0]}': not a key of op '{op}'; expected one of {allowed}")
    fields: dict[str, Any] = {}
    for key, (check, default) in schema.items():
        if key not in raw:
            if default is _REQUIRED:
                raise _fail(path, where, f"missing key '{key}' (op '{op}' needs it)")
            fields[key] = default
            continue
        try:
            fields[key] = check(raw[key])
        except ValueError as problem:
            raise _fail(path, where, f"key '{key}': {problem}") from None
    if op == "hold":
        held_views[fields["name"]] = fields["view"]
    if op == "held" and fields["name"] not in held_views:
        raise _fail(path, where, f"key 'name': no earlier 'hold' step is named {_show(fields['name'])}")
    view = fields.get("view") or held_views.get(fields.get("name", ""))
    if fields.get("values") is not None:
        _check_values(path, where, "values", fields["values"], ["i64" if VIEW_KINDS[view].bigint else "f64"] * len(fields["values"]))
    note = raw.get("note")
    if note is not None and not isinstance(note, str):
        raise _fail(path, where, "key 'note': expected a string")
    return Step(index, op, fields, raw.get("expect", NO_EXPECT), note)


def _check_memory_table(path: Path, raw: Any) -> MemorySpec:
    where = "key 'memory'"
    unknown = sorted(set(raw) - {"import", "initial", "maximum", "shared"})
    if unknown:
        raise _fail(path, where, f"unknown key '{unknown[0]}'; expected import, initial, maximum, shared")
    target = raw.get("import")
    if not isinstance(target, str) or target.count(".") < 1 or target.startswith(".") or target.endswith("."):
        raise _fail(path, f"{where}: key 'import'", f"expected \"module.field\", got {_show(target)}")
    module_name, field_name = target.split(".", 1)
    if "initial" not in raw:
        raise _fail(path, where, "missing key 'initial' (pages)")
    try:
        initial = _integer()(raw["initial"])
        maximum = _integer()(raw["maximum"]) if "maximum" in raw else None
        shared = _boolean(raw["shared"]) if "shared" in raw else False
    except ValueError as problem:
        raise _fail(path, where, str(problem)) from None
    if shared and maximum is None:
        raise _fail(path, f"{where}: key 'shared'", "a shared memory needs a 'maximum'")
    return MemorySpec(module_name, field_name, initial, maximum, shared)


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate one scenario file; raise :class:`ScenarioError` naming what is wrong."""
    path = Path(path)
    document = parse_document(path)
    unknown = sorted(set(document) - _TOP_LEVEL_KEYS)
    if unknown:
        raise _fail(path, f"key '{unknown[0]}'", f"not a scenario key; expected one of {', '.join(sorted(_TOP_LEVEL_KEYS))}")
    has_module, has_wat = "module" in document, "wat" in document
    if has_module == has_wat:
        raise _fail(path, "keys 'module' and 'wat'",
                    "exactly one is needed" if not has_module else "give one of them, not both")
    module_path = None
    if has_module:
        module_path = (path.parent / _string_key(path, document, "module")).resolve()
        if not module_path.is_file():
            raise _fail(path, "key 'module'", f"no such file: {module_path}")
    features = document.get("features", [])
    if not isinstance(features, list) or not all(isinstance(f, str) for f in features):
        raise _fail(path, "key 'features'", "expected a list of wabt feature names")
    memory_value = document.get("memory")
    memory_spec = memory_export = None
    if isinstance(memory_value, dict):
        memory_spec = _check_memory_table(path, memory_value)
    elif memory_value is not None:
        memory_export = _string_key(path, document, "memory")
    raw_steps = document.get("steps", [])
    if not isinstance(raw_steps, list):
        raise _fail(path, "key 'steps'", "expected a list of steps ([[steps]] tables)")
    held_views: dict[str, str] = {}
    steps = tuple(_check_step(path, i, raw, held_views) for i, raw in enumerate(raw_steps, start=1))
    title = document.get("title", path.name)
    if not isinstance(title, str):
        raise _fail(path, "key 'title'", "expected a string")
    return Scenario(path, title, module_path, document.get("wat") if has_wat else None, tuple(features),
                    memory_spec, memory_export, document.get("expect_instantiate", NO_EXPECT), steps)


def _string_key(path: Path, document: dict[str, Any], key: str) -> str:
    value = document[key]
    if not isinstance(value, str) or not value:
        raise _fail(path, f"key '{key}'", f"expected a non-empty string, got {_show(value)}")
    return value


def check_against_module(scenario: Scenario, module: Module) -> None:
    """Checks that need the decoded module: exports, argument counts, the memory to act on."""
    for step in scenario.steps:
        if step.op != "call":
            continue
        export = module.export(step.fields["export"])
        where = f"step {step.index}: key 'export'"
        if export is None:
            names = ", ".join(e.name for e in module.exports if e.kind == "func") or "none"
            raise _fail(scenario.path, where, f"the module exports no function {_show(step.fields['export'])} "
                                              f"(function exports: {names})")
        if export.kind != "func":
            raise _fail(scenario.path, where, f"{_show(export.name)} is a {export.kind}, not a function")
        params = module.function_type(export.index).params
        if len(step.fields["args"]) != len(params):
            raise _fail(scenario.path, f"step {step.index}: key 'args'",
                        f"{export.name} takes {len(params)} argument{'s' if len(params) != 1 else ''} "
                        f"({', '.join(params) or 'none'}), got {len(step.fields['args'])}")
        _check_values(scenario.path, f"step {step.index}", "args", step.fields["args"], list(params))
    if scenario.memory is None and any(step.op not in ("call",) for step in scenario.steps):
        memories = [e.name for e in module.exports if e.kind == "memory"]
        if scenario.memory_export is not None and scenario.memory_export not in memories:
            raise _fail(scenario.path, "key 'memory'", f"the module exports no memory {_show(scenario.memory_export)}")
        if not memories:
            raise _fail(scenario.path, "key 'memory'", "no [memory] table and the module exports no memory")


def memory_export_name(scenario: Scenario, module: Module) -> str | None:
    """The exported memory the steps act on (``memory`` key, else the first exported memory)."""
    if scenario.memory is not None:
        return None
    if scenario.memory_export is not None:
        return scenario.memory_export
    return next((e.name for e in module.exports if e.kind == "memory"), None)
