"""Scenario files (format v1, ``../shared/scenario-format.md``): loading and validation.

A scenario is read from TOML (``tomllib``, or ``tomli`` before Python 3.11)
or JSON with the same schema, and checked completely before anything runs:
every error names the file, the step (numbered from 1) and the key, for
example ``a.scenario.toml: step 3: key 'view': unknown view 'Uint33Array';
expected one of ...``. Checks that need the compiled module (exports,
argument counts, the exported memory) live in :func:`check_against_module`.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import sys
import threading
from collections import OrderedDict
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable

from ..case import NO_EXPECT
from ..errors import InputError
from ..model.views import VIEW_KINDS
from ..model.wasi import WasiConfig
from ..values.codec import decode_bigint, decode_number, encode_address_value
from . import document_limits
from .expressions import Expression, ExpressionError, is_expression, parse_expression
from .positions import value_position

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
    """The ``[memory]`` table: a host-created memory passed to the module as an import.

    ``initial`` and ``maximum`` are integers, or floats the JS side passes as
    Numbers; ``address`` is ``"i64"`` for a 64-bit memory (memory64).
    """

    module: str
    field: str
    initial: int | float
    maximum: int | float | None = None
    shared: bool = False
    address: str = "i32"

    @property
    def settings(self) -> dict[str, Any]:
        """The memory's keys, as an ``[imports]`` memory entry holds them."""
        return {"initial": self.initial, "maximum": self.maximum, "shared": self.shared, "address": self.address}


@dataclass(frozen=True)
class ModuleSource:
    """One module of a scenario: a file or inline WAT, under the name its instance goes by."""

    name: str  # "" for the single module of a v1 scenario
    path: Path | None
    wat: str | None
    features: tuple[str, ...] = ()


@dataclass(frozen=True)
class TextSpec:
    """A string a recorded host call decodes out of memory: which argument points at it, in what format."""

    ptr: int
    format: str  # cstring, utf-8, utf-16le, assemblyscript
    len: int | None = None  # the argument holding the length (utf-8: bytes, utf-16le: code units)

    def as_json(self) -> dict[str, Any]:
        return {"ptr": self.ptr, "format": self.format, "len": self.len}


@dataclass(frozen=True)
class ImportDecl:
    """One ``[imports."module.field"]`` entry: what the host passes for that import."""

    module: str
    field: str
    kind: str  # func, memory, global, table
    settings: dict[str, Any]

    @property
    def key(self) -> str:
        """``module.field``, as written in the file."""
        return f"{self.module}.{self.field}"

    @property
    def source(self) -> str | None:
        """``instance.export`` for an import bound to an earlier instance's export."""
        return self.settings.get("from")

    def as_json(self) -> dict[str, Any]:
        """The declaration as the JS driver receives it (a memory's page counts as :func:`encode_address_value`)."""
        settings = {key: [t.as_json() for t in value] if key == "text" else value
                    for key, value in self.settings.items()}
        if self.kind == "memory" and self.source is None:
            for key in ("initial", "maximum"):
                if settings[key] is not None:
                    settings[key] = encode_address_value(settings[key], settings["address"])
        return {"module": self.module, "field": self.field, "kind": self.kind, **settings}


@dataclass(frozen=True)
class Step:
    """One host-side step, validated, with defaults filled in.

    ``index`` is the step's number in the file (from 1); a step a ``repeat``
    expanded has ``label`` ``"4.2.1"`` (step 4, iteration 2, its first step).
    """

    index: int
    op: str
    fields: dict[str, Any]
    expect: Any = NO_EXPECT
    note: str | None = None
    label: int | str = 0
    name_as: str | None = None  # the ``as`` key
    instance: str | None = None
    memory: str | None = None

    def __post_init__(self) -> None:
        if not self.label:
            object.__setattr__(self, "label", self.index)

    @property
    def has_expect(self) -> bool:
        """True when the file pins this step's observation."""
        return self.expect is not NO_EXPECT


@dataclass(frozen=True)
class Scenario:
    """A whole scenario file."""

    path: Path
    title: str
    modules: tuple[ModuleSource, ...]
    memory: MemorySpec | None
    memory_export: str | None
    expect_instantiate: Any
    steps: tuple[Step, ...]
    imports: tuple[ImportDecl, ...] = ()
    wasi: WasiConfig | None = None

    @property
    def id(self) -> str:
        """The file name, as it appears in reports (``sum.scenario.toml``)."""
        return self.path.name

    @property
    def main(self) -> ModuleSource:
        """The module steps act on by default: the last one."""
        return self.modules[-1]

    @property
    def module_path(self) -> Path | None:
        """The main module's file (v1's ``module``)."""
        return self.main.path

    @property
    def wat(self) -> str | None:
        """The main module's inline text (v1's ``wat``)."""
        return self.main.wat

    @property
    def features(self) -> tuple[str, ...]:
        """The main module's wabt features."""
        return self.main.features

    def instance_position(self, name: str | None) -> int:
        """The position of the module called ``name`` (the last one for ``None``)."""
        if name is None:
            return len(self.modules) - 1
        return next(i for i, source in enumerate(self.modules) if source.name == name)

    def declared(self, key: str) -> ImportDecl | None:
        """The ``[imports]`` entry ``module.field``, if declared."""
        return next((entry for entry in self.imports if entry.key == key), None)


# -- field checkers ---------------------------------------------------------------------
Checker = Callable[[Any], Any]
VALUE_TYPES = ("i32", "i64", "f32", "f64")
TEXT_FORMATS = ("cstring", "utf-8", "utf-16le", "assemblyscript")
THROWABLE = ("Error", "TypeError", "RangeError", "RuntimeError")
MAX_EXPANDED_STEPS = 1_000_000


def _integer(minimum: int | None = 0, *, expression: bool = False) -> Checker:
    def check(value: Any) -> Any:
        if expression and is_expression(value):
            try:
                return parse_expression(value)
            except ExpressionError as problem:
                raise ValueError(str(problem)) from None
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"expected an integer{' or a $name expression' if expression else ''}, "
                             f"got {_show(value)}")
        if minimum is not None and value < minimum:
            raise ValueError(f"expected an integer >= {minimum}, got {value}")
        return value
    return check


_offset = _integer(expression=True)


def _or_number(check: Checker) -> Checker:
    """``check``, except that a float passes as it is: a page count the JS side passes as a Number."""
    def checked(value: Any) -> Any:
        return value if isinstance(value, float) else check(value)
    return checked


ADDRESS_TYPES = ("i32", "i64")


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


def _values(value: Any) -> list[Any]:
    """A list of values, each a literal or a ``$name`` expression."""
    items = _list(value)
    parsed = []
    for position, item in enumerate(items):
        if is_expression(item):
            try:
                parsed.append(parse_expression(item))
            except ExpressionError as problem:
                raise ValueError(f"[{position}]: {problem}") from None
        else:
            parsed.append(item)
    return parsed


def _one_of(*choices: str) -> Checker:
    def check(value: Any) -> str:
        if value not in choices:
            raise ValueError(f"expected one of {', '.join(choices)}, got {_show(value)}")
        return value
    return check


def _hex(value: Any) -> Any:
    if isinstance(value, str) and value.startswith("$"):
        if not re.fullmatch(r"\$[A-Za-z_][A-Za-z0-9_]*", value):
            raise ValueError(f"expected hex digits or \"$name\" (an earlier read_bytes), got {_show(value)}")
        return parse_expression(value)
    text = _string(value)
    digits = re.sub(r"\s+", "", text)
    if len(digits) % 2 or not re.fullmatch(r"[0-9A-Fa-f]*", digits):
        raise ValueError("expected an even number of hex digits")
    return bytes.fromhex(digits)


def _base64(value: Any) -> bytes:
    try:
        return base64.b64decode(_string(value), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("expected base64 text") from None


def _view(value: Any) -> str:
    if not isinstance(value, str) or value not in VIEW_KINDS:
        raise ValueError(f"unknown view {_show(value)}; expected one of {', '.join(VIEW_NAMES)}")
    return value


def _show(value: Any) -> str:
    return repr(value) if isinstance(value, str) else json.dumps(value, default=str)[:60]


# op -> {key: (checker, default)}; keys in a group of alternatives are checked by _check_sources
_REQUIRED = object()
_ABSENT = object()
_OPS: dict[str, dict[str, tuple[Checker, Any]]] = {
    "write": {"view": (_view, _REQUIRED), "offset": (_offset, _REQUIRED), "values": (_values, _REQUIRED)},
    "read": {"view": (_view, _REQUIRED), "offset": (_offset, _REQUIRED), "length": (_offset, None)},
    "write_string": {"offset": (_offset, _REQUIRED), "text": (_string, _REQUIRED),
                     "encoding": (_one_of("utf-8", "utf-16le"), "utf-8")},
    "decode": {"offset": (_offset, _REQUIRED), "length": (_offset, _REQUIRED),
               "label": (_string, "utf-8"), "fatal": (_boolean, False), "ignore_bom": (_boolean, False)},
    "call": {"export": (_name, _REQUIRED), "args": (_values, [])},
    "grow": {"delta": (_or_number(_integer(None, expression=True)), _REQUIRED)},
    "size": {},
    "hold": {"name": (_name, _REQUIRED), "view": (_view, _REQUIRED), "offset": (_offset, _REQUIRED),
             "length": (_offset, None)},
    "held": {"name": (_name, _REQUIRED), "values": (_values, None), "read": (_boolean, False)},
    "get_global": {"export": (_name, _REQUIRED)},
    "set_global": {"export": (_name, _REQUIRED), "value": (lambda v: _values([v])[0], _REQUIRED)},
    "write_bytes": {"offset": (_offset, _REQUIRED), "hex": (_hex, _ABSENT), "base64": (_base64, _ABSENT),
                    "file": (_name, _ABSENT), "fill": (_integer(), _ABSENT), "length": (_offset, _ABSENT)},
    "read_bytes": {"offset": (_offset, _REQUIRED), "length": (_offset, _REQUIRED)},
    "calls": {"import": (_name, None)},
    "output": {},
    "repeat": {"times": (_integer(1), _REQUIRED), "steps": (_list, _REQUIRED)},
    "buffer": {"keep": (_name, None), "name": (_name, None)},
    "to_resizable_buffer": {"keep": (_name, None)},
    "to_fixed_length_buffer": {"keep": (_name, None)},
}
#: ops that call the JS API's resizable-buffer methods (a runtime needs ``resizable_buffers``)
RESIZABLE_BUFFER_OPS = frozenset({"to_resizable_buffer", "to_fixed_length_buffer"})
#: ops that act on a memory (and so take the ``memory`` key)
MEMORY_OPS = frozenset({"write", "read", "write_string", "decode", "grow", "size", "hold", "write_bytes",
                        "read_bytes", "buffer", "to_resizable_buffer", "to_fixed_length_buffer"})
_COMMON_STEP_KEYS = {"op", "expect", "note", "as", "instance"}
_TOP_LEVEL_KEYS = {"title", "module", "wat", "features", "memory", "expect_instantiate", "steps", "description",
                   "modules", "imports", "wasi"}


def _fail(path: Path, where: str, message: str) -> ScenarioError:
    return ScenarioError(f"{where}: {message}" if where else message, path=path)


def parse_document(path: Path, raw: bytes | None = None) -> dict[str, Any]:
    """The file's data (its bytes ``raw`` when they were read already); syntax errors carry the line and column."""
    try:
        raw = path.read_bytes() if raw is None else raw
    except FileNotFoundError:
        raise ScenarioError("no such file", path=path) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ScenarioError(f"not UTF-8 text (byte {error.start})", path=path) from None
    too_deep = document_limits.too_deep(text)
    if too_deep is not None:
        raise ScenarioError(f"values nest more than {document_limits.MAX_NESTING} levels deep", path=path,
                            line=too_deep[0], column=too_deep[1])
    try:
        document = json.loads(text) if path.name.endswith(".json") else tomllib.loads(text)
    except json.JSONDecodeError as error:
        raise ScenarioError(f"invalid JSON: {error.msg}", path=path, line=error.lineno, column=error.colno) from None
    except tomllib.TOMLDecodeError as error:
        raise _toml_error(path, error) from None
    except ValueError as error:  # Python's int max str digits (the decoders' other errors are handled above)
        raise _long_integer_error(path, text, error) from None
    except RecursionError:  # nesting the scan above did not see (it errs on the side of the parser)
        raise ScenarioError(f"values nest more than {document_limits.MAX_NESTING} levels deep", path=path) from None
    if not isinstance(document, dict):
        raise ScenarioError("a scenario must be an object (a table) at the top level", path=path)
    problem = document_limits.unusable_value(document)
    if problem is not None:
        raise ScenarioError(problem, path=path)
    return document


def _long_integer_error(path: Path, text: str, error: ValueError) -> ScenarioError:
    """An integer literal too long to read (Python's 4,300-digit limit), at its line and column if found."""
    found = document_limits.long_integer(text)
    if found is None:
        return ScenarioError(f"unreadable value: {error}", path=path)
    line, column, digits = found
    return ScenarioError(f"an integer literal of {digits:,} digits is too long (at most "
                         f"{document_limits.MAX_INTEGER_DIGITS:,})", path=path, line=line, column=column)


def _toml_error(path: Path, error: Exception) -> ScenarioError:
    text = str(error)
    match = re.search(r"\(at line (\d+), column (\d+)\)", text)
    message = re.sub(r"\s*\(at line \d+, column \d+\)", "", text)
    if match:
        return ScenarioError(f"invalid TOML: {message}", path=path, line=int(match[1]), column=int(match[2]))
    return ScenarioError(f"invalid TOML: {message}", path=path)


def check_values(path: Path, where: str, key: str, values: list[Any], types: list[str]) -> None:
    """Each literal value must encode its type: a number (or NaN, Infinity, -Infinity, -0) or an integer (BigInt)."""
    for position, (value, value_type) in enumerate(zip(values, types)):
        if isinstance(value, Expression):
            continue
        try:
            if value_type == "i64":
                decode_bigint(value)
            else:
                decode_number(value)
        except ValueError as problem:
            raise _fail(path, where, f"key '{key}'[{position}]: {problem}") from None


class _StepReader:
    """Checks steps in file order, keeping what later steps may refer to (held views, names)."""

    def __init__(self, path: Path, instances: tuple[str, ...]) -> None:
        self.path = path
        self.instances = instances
        self.held_views: dict[str, str] = {}
        self.kept_buffers: set[str] = set()
        self.names: set[str] = set()

    def step(self, label: str, raw: Any) -> list[tuple[str, Any, dict[str, Any]]]:
        """Check one raw step; return it as (label, raw, fields) entries, a repeat's body expanded."""
        where = f"step {label}"
        if not isinstance(raw, dict):
            raise _fail(self.path, where, "a step must be a table")
        op = raw.get("op")
        if op is None:
            raise _fail(self.path, where, "missing key 'op'")
        if not isinstance(op, str) or op not in _OPS:
            raise _fail(self.path, where, f"key 'op': unknown op {_show(op)}; expected one of {', '.join(_OPS)}")
        schema = _OPS[op]
        allowed_keys = set(schema) | _COMMON_STEP_KEYS | ({"memory"} if op in MEMORY_OPS else set())
        unknown = sorted(set(raw) - allowed_keys)
        if unknown:
            raise _fail(self.path, where, f"key '{unknown[0]}': not a key of op '{op}'; "
                                          f"expected one of {', '.join(sorted(allowed_keys))}")
        fields = self._fields(where, op, schema, raw)
        self._check_common(where, raw)
        if op == "repeat":
            misplaced = sorted({"as", "expect", "instance"} & set(raw))
            if misplaced:
                raise _fail(self.path, where, f"key '{misplaced[0]}' goes on the repeated steps, not on 'repeat'")
            return self._repeat(label, fields)
        self._check_names(where, fields)
        if op == "hold":
            self.held_views[fields["name"]] = fields["view"]
        if op == "held" and fields["name"] not in self.held_views:
            raise _fail(self.path, where, f"key 'name': no earlier 'hold' step is named {_show(fields['name'])}")
        if op == "buffer" and fields["name"] is not None and fields["name"] not in self.kept_buffers:
            raise _fail(self.path, where, f"key 'name': no earlier step keeps a buffer as {_show(fields['name'])}")
        if fields.get("keep") is not None:
            self.kept_buffers.add(fields["keep"])
        if op == "write_bytes":
            self._check_sources(where, fields)
        view = fields.get("view") or self.held_views.get(fields.get("name", ""))
        if fields.get("values") is not None and view is not None:
            check_values(self.path, where, "values", fields["values"],
                         ["i64" if VIEW_KINDS[view].bigint else "f64"] * len(fields["values"]))
        if raw.get("as") is not None:
            self.names.add(raw["as"])
        return [(label, raw, fields)]

    def _fields(self, where: str, op: str, schema: dict[str, tuple[Checker, Any]], raw: dict[str, Any]) -> dict[str, Any]:
        fields: dict[str, Any] = {}
        for key, (check, default) in schema.items():
            if key not in raw:
                if default is _REQUIRED:
                    raise _fail(self.path, where, f"missing key '{key}' (op '{op}' needs it)")
                if default is not _ABSENT:
                    fields[key] = default
                continue
            try:
                fields[key] = check(raw[key])
            except ValueError as problem:  # ExpressionError is one
                raise _fail(self.path, where, f"key '{key}': {problem}") from None
        return fields

    def _check_common(self, where: str, raw: dict[str, Any]) -> None:
        for key in ("note", "as", "instance", "memory"):
            value = raw.get(key)
            if value is not None and (not isinstance(value, str) or (key != "note" and not value)):
                raise _fail(self.path, where, f"key '{key}': expected a{' non-empty' if key != 'note' else ''} string")
        if raw.get("as") is not None and not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", raw["as"]):
            raise _fail(self.path, where, f"key 'as': {_show(raw['as'])} is not a name (letters, digits, _)")
        instance = raw.get("instance")
        if instance is not None and instance not in self.instances:
            known = ", ".join(name for name in self.instances if name) or "none: the scenario has one module"
            raise _fail(self.path, where, f"key 'instance': no module is named {_show(instance)} ({known})")

    def _check_names(self, where: str, fields: dict[str, Any]) -> None:
        for key, value in fields.items():
            for expression in value if isinstance(value, list) else [value]:
                if not isinstance(expression, Expression):
                    continue
                for name in expression.names:
                    if name not in self.names:
                        raise _fail(self.path, where, f"key '{key}': ${name} is not the name of an earlier step "
                                                      f"(name a step with as = \"{name}\")")

    def _check_sources(self, where: str, fields: dict[str, Any]) -> None:
        sources = [key for key in ("hex", "base64", "file", "fill") if key in fields]
        if len(sources) != 1:
            raise _fail(self.path, where, "op 'write_bytes' needs exactly one of hex, base64, file, fill"
                                          + (f" (got {', '.join(sources)})" if sources else ""))
        if ("length" in fields) != (sources[0] == "fill"):
            raise _fail(self.path, where, "key 'length' goes with 'fill' (and only with it)")
        if sources[0] == "fill" and fields["fill"] > 255:
            raise _fail(self.path, where, f"key 'fill': a byte is 0 to 255, got {fields['fill']}")
        if sources[0] == "file":
            file = (self.path.parent / fields["file"]).resolve()
            try:
                fields["data"] = file.read_bytes()
            except OSError as error:
                raise _fail(self.path, f"{where}: key 'file'", f"cannot read {file}: {error.strerror}") from None
            del fields["file"]
        elif sources[0] in ("hex", "base64"):
            fields["data"] = fields.pop(sources[0])

    def _repeat(self, label: str, fields: dict[str, Any]) -> list[tuple[str, Any, dict[str, Any]]]:
        body: list[tuple[str, Any, dict[str, Any]]] = []
        for position, raw in enumerate(fields["steps"], start=1):
            body.extend(self.step(f"{label}.{position}", raw))
        if len(body) * fields["times"] > MAX_EXPANDED_STEPS:
            raise _fail(self.path, f"step {label}: key 'times'",
                        f"{fields['times']} x {len(body)} steps is more than {MAX_EXPANDED_STEPS:,} steps")
        expanded = []
        for iteration in range(1, fields["times"] + 1):
            for inner_label, raw, inner_fields in body:
                rest = inner_label[len(label) + 1:]
                expanded.append((f"{label}.{iteration}.{rest}", raw, inner_fields))
        return expanded


def _read_steps(path: Path, raw_steps: list[Any], instances: tuple[str, ...]) -> tuple[Step, ...]:
    reader = _StepReader(path, instances)
    steps: list[Step] = []
    for index, raw in enumerate(raw_steps, start=1):
        entries = reader.step(str(index), raw)
        if len(steps) + len(entries) > MAX_EXPANDED_STEPS:
            raise _fail(path, f"step {index}", f"the scenario expands to more than {MAX_EXPANDED_STEPS:,} steps")
        for label, raw_step, fields in entries:
            steps.append(Step(index, raw_step["op"], fields, raw_step.get("expect", NO_EXPECT), raw_step.get("note"),
                              label=index if label == str(index) else label, name_as=raw_step.get("as"),
                              instance=raw_step.get("instance"), memory=raw_step.get("memory")))
    return tuple(steps)


def _check_memory_table(path: Path, raw: Any) -> MemorySpec:
    where = "key 'memory'"
    unknown = sorted(set(raw) - {"import", "initial", "maximum", "shared", "address"})
    if unknown:
        raise _fail(path, where, f"unknown key '{unknown[0]}'; expected import, initial, maximum, shared, address")
    target = raw.get("import")
    if not isinstance(target, str) or target.count(".") < 1 or target.startswith(".") or target.endswith("."):
        raise _fail(path, f"{where}: key 'import'", f"expected \"module.field\", got {_show(target)}")
    module_name, field_name = target.split(".", 1)
    if "initial" not in raw:
        raise _fail(path, where, "missing key 'initial' (pages)")
    return MemorySpec(module_name, field_name, **_memory_limits(path, where, raw))


_page_count = _or_number(_integer())


def _memory_limits(path: Path, where: str, raw: dict[str, Any]) -> dict[str, Any]:
    """A host memory's ``initial``, ``maximum``, ``shared`` and ``address`` (``"i32"`` unless given)."""
    try:
        initial = _page_count(raw["initial"])
        maximum = _page_count(raw["maximum"]) if "maximum" in raw else None
        shared = _boolean(raw["shared"]) if "shared" in raw else False
    except ValueError as problem:
        raise _fail(path, where, str(problem)) from None
    if shared and maximum is None:
        raise _fail(path, f"{where}: key 'shared'", "a shared memory needs a 'maximum'")
    address = raw.get("address", "i32")
    if address not in ADDRESS_TYPES:
        line, column = value_position(path.read_text(encoding="utf-8"), "address", address) or (None, None)
        raise ScenarioError(f"{where}: key 'address': expected \"i32\" or \"i64\" (a 64-bit memory), "
                            f"got {_show(address)}", path=path, line=line, column=column)
    return {"initial": initial, "maximum": maximum, "shared": shared, "address": address}


_IMPORT_KEYS = {
    "func": {"kind", "params", "results", "returns", "throws", "record", "text"},
    "memory": {"kind", "initial", "maximum", "shared", "address"},
    "global": {"kind", "type", "value", "mutable"},
    "table": {"kind", "element", "initial", "maximum"},
}


def _check_import(path: Path, module_name: str, field_name: str, raw: Any) -> ImportDecl:
    key = f"{module_name}.{field_name}"
    where = f"key 'imports.\"{key}\"'"
    if not isinstance(raw, dict):
        raise _fail(path, where, "expected a table")
    if not module_name or not field_name:
        raise _fail(path, where, "an import is named \"module.field\" (or [imports.\"module\".field])")
    if "from" in raw:
        if set(raw) - {"from", "kind"}:
            raise _fail(path, where, "an import with 'from' takes no other keys than 'kind'")
        source = raw["from"]
        if not isinstance(source, str) or "." not in source.strip("."):
            raise _fail(path, f"{where}: key 'from'", f"expected \"instance.export\", got {_show(source)}")
        kind = raw.get("kind", "")
        if kind != "" and (not isinstance(kind, str) or kind not in _IMPORT_KEYS):
            raise _fail(path, f"{where}: key 'kind'", f"expected func, memory, global or table, got {_show(kind)}")
        return ImportDecl(module_name, field_name, kind, {"from": source})
    kind = raw.get("kind", "func")
    if not isinstance(kind, str) or kind not in _IMPORT_KEYS:
        raise _fail(path, f"{where}: key 'kind'", f"expected func, memory, global or table, got {_show(kind)}")
    unknown = sorted(set(raw) - _IMPORT_KEYS[kind])
    if unknown:
        raise _fail(path, f"{where}: key '{unknown[0]}'",
                    f"not a key of a {kind} import; expected one of {', '.join(sorted(_IMPORT_KEYS[kind] | {'from'}))}")
    try:
        settings = {"func": _func_import, "memory": _memory_import, "global": _global_import,
                    "table": _table_import}[kind](path, where, raw)
    except ValueError as problem:
        raise _fail(path, where, str(problem)) from None
    return ImportDecl(module_name, field_name, kind, settings)


def _types(key: str, value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or any(item not in VALUE_TYPES for item in value):
        raise ValueError(f"key '{key}': expected a list of i32, i64, f32, f64, got {_show(value)}")
    return tuple(value)


def _func_import(path: Path, where: str, raw: dict[str, Any]) -> dict[str, Any]:
    settings: dict[str, Any] = {"record": False, "text": ()}
    for key in ("params", "results"):
        if key in raw:
            settings[key] = _types(key, raw[key])
    if "returns" in raw:
        returns = raw["returns"]
        if not isinstance(returns, list):
            raise ValueError(f"key 'returns': expected a list of values (one per result), got {_show(returns)}")
        settings["returns"] = returns
    if "throws" in raw:
        if raw["throws"] not in THROWABLE:
            raise ValueError(f"key 'throws': expected one of {', '.join(THROWABLE)}, got {_show(raw['throws'])}")
        settings["throws"] = raw["throws"]
    if "record" in raw:
        settings["record"] = _boolean(raw["record"])
    if "text" in raw:
        settings["text"] = tuple(_text_spec(item, position) for position, item in enumerate(_list(raw["text"])))
        settings["record"] = True
    if "throws" in settings and "returns" in settings:
        raise ValueError("give 'returns' or 'throws', not both")
    return settings


def _text_spec(raw: Any, position: int) -> TextSpec:
    if not isinstance(raw, dict) or set(raw) - {"ptr", "format", "len"} or "ptr" not in raw:
        raise ValueError(f"key 'text'[{position}]: expected {{ptr = ARG, format = ..., len = ARG}}")
    format_name = raw.get("format", "cstring")
    if format_name not in TEXT_FORMATS:
        raise ValueError(f"key 'text'[{position}]: format must be one of {', '.join(TEXT_FORMATS)}")
    needs_len = format_name in ("utf-8", "utf-16le")
    if needs_len != ("len" in raw):
        raise ValueError(f"key 'text'[{position}]: format {format_name} "
                         + ("needs 'len' (the argument holding the length)" if needs_len else "takes no 'len'"))
    length = _integer()(raw["len"]) if needs_len else None
    return TextSpec(_integer()(raw["ptr"]), format_name, length)


def _memory_import(path: Path, where: str, raw: dict[str, Any]) -> dict[str, Any]:
    if "initial" not in raw:
        raise ValueError("missing key 'initial' (pages)")
    return _memory_limits(path, where, raw)


def _global_import(path: Path, where: str, raw: dict[str, Any]) -> dict[str, Any]:
    value_type = raw.get("type")
    if value_type not in VALUE_TYPES:
        raise ValueError(f"key 'type': expected one of {', '.join(VALUE_TYPES)}, got {_show(value_type)}")
    if "value" not in raw:
        raise ValueError("missing key 'value'")
    try:
        decode_bigint(raw["value"]) if value_type == "i64" else decode_number(raw["value"])
    except ValueError as problem:
        raise ValueError(f"key 'value': {problem}") from None
    return {"type": value_type, "value": raw["value"], "mutable": _boolean(raw.get("mutable", False))}


def _table_import(path: Path, where: str, raw: dict[str, Any]) -> dict[str, Any]:
    element = raw.get("element", "anyfunc")
    if element not in ("anyfunc", "funcref", "externref"):
        raise ValueError(f"key 'element': expected anyfunc (funcref) or externref, got {_show(element)}")
    if "initial" not in raw:
        raise ValueError("missing key 'initial' (elements)")
    initial = _integer()(raw["initial"])
    maximum = _integer()(raw["maximum"]) if "maximum" in raw else None
    return {"element": "externref" if element == "externref" else "anyfunc", "initial": initial, "maximum": maximum}


def _check_wasi(path: Path, raw: Any) -> WasiConfig:
    where = "key 'wasi'"
    if not isinstance(raw, dict):
        raise _fail(path, where, "expected a table")
    unknown = sorted(set(raw) - {"args", "env", "seed", "clock_ns"})
    if unknown:
        raise _fail(path, f"{where}: key '{unknown[0]}'", "not a WASI setting; expected args, env, seed, clock_ns")
    args = raw.get("args", ["main"])
    if not isinstance(args, list) or not all(isinstance(a, str) for a in args):
        raise _fail(path, f"{where}: key 'args'", "expected a list of strings")
    env = raw.get("env", {})
    if not isinstance(env, dict) or not all(isinstance(v, str) for v in env.values()):
        raise _fail(path, f"{where}: key 'env'", "expected a table of strings")
    try:
        seed = _integer()(raw.get("seed", 0))
        clock = _integer()(raw.get("clock_ns", 0))
    except ValueError as problem:
        raise _fail(path, where, str(problem)) from None
    if clock >= 1 << 64 or seed >= 1 << 32:
        raise _fail(path, where, "clock_ns must fit in 64 bits and seed in 32")
    return WasiConfig(tuple(args), tuple(env.items()), seed, clock)


def _module_source(path: Path, where: str, raw: dict[str, Any], name: str) -> ModuleSource:
    has_module, has_wat = "module" in raw, "wat" in raw
    if has_module == has_wat:
        raise _fail(path, f"{where}keys 'module' and 'wat'",
                    "exactly one is needed" if not has_module else "give one of them, not both")
    features = raw.get("features", [])
    if not isinstance(features, list) or not all(isinstance(f, str) for f in features):
        raise _fail(path, f"{where}key 'features'", "expected a list of wabt feature names")
    if has_module:
        module_path = (path.parent / _string_key(path, raw, "module", where)).resolve()
        if not module_path.is_file():
            raise _fail(path, f"{where}key 'module'", f"no such file: {module_path}")
        return ModuleSource(name, module_path, None, tuple(features))
    return ModuleSource(name, None, _string_key(path, raw, "wat", where), tuple(features))


def _read_modules(path: Path, document: dict[str, Any]) -> tuple[ModuleSource, ...]:
    if "modules" not in document:
        return (_module_source(path, "", document, ""),)
    if "module" in document or "wat" in document or "features" in document:
        raise _fail(path, "key 'modules'", "give either 'modules' or a top-level module/wat, not both")
    raw_modules = document["modules"]
    if not isinstance(raw_modules, list) or not raw_modules:
        raise _fail(path, "key 'modules'", "expected a non-empty list of [[modules]] tables")
    sources: list[ModuleSource] = []
    for position, raw in enumerate(raw_modules, start=1):
        where = f"modules[{position}]: "
        if not isinstance(raw, dict):
            raise _fail(path, where.rstrip(": "), "expected a table")
        unknown = sorted(set(raw) - {"name", "module", "wat", "features"})
        if unknown:
            raise _fail(path, f"{where}key '{unknown[0]}'", "expected name, module, wat, features")
        name = raw.get("name")
        if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]*", name):
            raise _fail(path, f"{where}key 'name'", f"expected a name (letters, digits, _ and -), got {_show(name)}")
        if any(source.name == name for source in sources):
            raise _fail(path, f"{where}key 'name'", f"two modules are named {_show(name)}")
        sources.append(_module_source(path, where, raw, name))
    return tuple(sources)


def _read_imports(path: Path, document: dict[str, Any], memory: MemorySpec | None) -> tuple[ImportDecl, ...]:
    raw = document.get("imports", {})
    if not isinstance(raw, dict):
        raise _fail(path, "key 'imports'", "expected a table of \"module.field\" entries")
    declared = []
    if memory is not None:
        declared.append(ImportDecl(memory.module, memory.field, "memory", memory.settings))
    for module_name, field_name, value in _import_names(raw):
        if memory is not None and (module_name, field_name) == (memory.module, memory.field):
            raise _fail(path, f"key 'imports.\"{module_name}.{field_name}\"'",
                        "the [memory] table already declares this import")
        declared.append(_check_import(path, module_name, field_name, value))
    return tuple(declared)


_ANY_IMPORT_KEY = set().union(*_IMPORT_KEYS.values()) | {"from"}


def _import_names(raw: dict[str, Any]) -> list[tuple[str, str, Any]]:
    """Each import as (module, field, table).

    ``[imports."env.abort"]`` splits at the first dot. A table of tables,
    ``[imports."./x_bg.js".__wbindgen_string_new]`` (or TOML's dotted
    ``[imports.env.abort]``), names the module and the field apart, so either
    may hold dots.
    """
    entries = []
    for key, value in raw.items():
        if isinstance(value, dict) and value and all(isinstance(v, dict) for v in value.values()) \
                and not set(value) & _ANY_IMPORT_KEY:
            entries.extend((key, inner, inner_value) for inner, inner_value in value.items())
        elif "." in key.strip("."):
            module_name, field_name = key.split(".", 1)
            entries.append((module_name, field_name, value))
        else:
            entries.append((key, "", value))
    return entries


#: scenarios read already, by their file's bytes and kind (JSON or TOML): the text of each is parsed once
#: per process. Only scenarios whose modules are all inline WAT are kept (a ``module`` file is looked up
#: again each time, relative to the scenario's own path), and at most :data:`KEPT_TEXTS` of them.
_read_texts: OrderedDict[tuple[bytes, bool], tuple[Scenario, bool]] = OrderedDict()
_read_lock = threading.Lock()
KEPT_TEXTS = 256


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate one scenario file; raise :class:`ScenarioError` naming what is wrong.

    A text read before (the same bytes, under any name) is not parsed again: its scenario is
    reused under this ``path`` (the title defaults to the file's name).
    """
    path = Path(path)
    try:
        with open(path, "rb", buffering=0) as file:  # Path.read_bytes, without a buffer to fill
            raw = file.read()
    except OSError:
        raw = None  # parse_document says what is wrong with it
    key = (raw, path.name.endswith(".json"))
    with _read_lock:
        known = _read_texts.get(key) if raw is not None else None
        if known is not None:
            _read_texts.move_to_end(key)
    if known is not None:
        scenario, titled = known
        return replace(scenario, path=path, title=scenario.title if titled else path.name)
    scenario, titled = _load_scenario(path, raw)
    if raw is not None and all(source.path is None for source in scenario.modules):
        with _read_lock:
            _read_texts[key] = (scenario, titled)
            while len(_read_texts) > KEPT_TEXTS:
                _read_texts.popitem(last=False)
    return scenario


def _load_scenario(path: Path, raw: bytes | None) -> tuple[Scenario, bool]:
    """The scenario at ``path``, and whether its file gives a title."""
    document = parse_document(path, raw)
    unknown = sorted(set(document) - _TOP_LEVEL_KEYS)
    if unknown:
        raise _fail(path, f"key '{unknown[0]}'", f"not a scenario key; expected one of {', '.join(sorted(_TOP_LEVEL_KEYS))}")
    modules = _read_modules(path, document)
    memory_value = document.get("memory")
    memory_spec = memory_export = None
    if isinstance(memory_value, dict):
        memory_spec = _check_memory_table(path, memory_value)
    elif memory_value is not None:
        memory_export = _string_key(path, document, "memory")
    imports = _read_imports(path, document, memory_spec)
    wasi = _check_wasi(path, document["wasi"]) if "wasi" in document else None
    raw_steps = document.get("steps", [])
    if not isinstance(raw_steps, list):
        raise _fail(path, "key 'steps'", "expected a list of steps ([[steps]] tables)")
    steps = _read_steps(path, raw_steps, tuple(source.name for source in modules))
    title = document.get("title", path.name)
    if not isinstance(title, str):
        raise _fail(path, "key 'title'", "expected a string")
    return Scenario(path, title, modules, memory_spec, memory_export,
                    document.get("expect_instantiate", NO_EXPECT), steps, imports, wasi), "title" in document


def _string_key(path: Path, document: dict[str, Any], key: str, where: str = "") -> str:
    value = document[key]
    if not isinstance(value, str) or not value:
        raise _fail(path, f"{where}key '{key}'", f"expected a non-empty string, got {_show(value)}")
    return value
