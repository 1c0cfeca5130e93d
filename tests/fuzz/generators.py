"""Generated inputs: scenario documents, ``.wast`` scripts and wasm binaries built from their grammars.

Each strategy leans towards inputs that get deep into the reader (the keys,
commands and sections it knows, values of about the right shape) and mixes in
wild values at every level, so both the checks and what lies behind them run.
The vocabularies are written out here from the documented formats
(``docs/scenario-format.md``, the spec's script grammar, the binary format),
not read from the code under test.
"""

from __future__ import annotations

import json
from typing import Any

import tomlkit
from hypothesis import strategies as st

# -- scenario documents -------------------------------------------------------------------

#: the keys each op takes (``docs/scenario-format.md`` and the v1 contract)
OP_KEYS = {
    "write": ("view", "offset", "values"), "read": ("view", "offset", "length"),
    "write_string": ("offset", "text", "encoding"), "decode": ("offset", "length", "label", "fatal", "ignore_bom"),
    "call": ("export", "args"), "grow": ("delta",), "size": (), "hold": ("name", "view", "offset", "length"),
    "held": ("name", "values", "read"), "get_global": ("export",), "set_global": ("export", "value"),
    "write_bytes": ("offset", "hex", "base64", "file", "fill", "length"), "read_bytes": ("offset", "length"),
    "calls": ("import",), "output": (), "repeat": ("times", "steps"),
}
COMMON_STEP_KEYS = ("expect", "note", "as", "instance", "memory")
STEP_KEYS = tuple(sorted({key for keys in OP_KEYS.values() for key in keys} | set(COMMON_STEP_KEYS)))
VIEWS = ("Uint8Array", "Int8Array", "Uint16Array", "Int16Array", "Uint32Array", "Int32Array", "Float32Array",
         "Float64Array", "BigInt64Array", "BigUint64Array", "DataView", "Uint8ClampedArray", "Float16Array")
#: Hypothesis favours the first and last items of ``sampled_from``: the usual choices go there, odd ones between
SMALL_WAT = ('(module (memory (export "memory") 1))', '(module (memory 1))', "(module", "", '(module)', '(module)',
             '(module (import "js" "mem" (memory 1)) (func (export "f") (param i32) (result i32) (local.get 0)))')

_scalars = st.one_of(
    st.integers(-(1 << 70), 1 << 70), st.integers(-3, 70000), st.booleans(), st.text(max_size=12),
    st.floats(allow_nan=True, allow_infinity=True), st.sampled_from(("$x", "$x + 4", "$len * 2", "$", "$$", "-0",
                                                                     "NaN", "Infinity", "-Infinity", "0x10")),
    st.datetimes(), st.dates(), st.times())
#: any TOML value: scalars, arrays and tables, nested a little
wild_values = st.recursive(_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.sampled_from(STEP_KEYS + ("kind", "ptr", "format", "x")), inner,
                                                 max_size=4)), max_leaves=12)
#: True about one time in ten (an index in the middle, away from the ends Hypothesis favours)
rarely = st.sampled_from((False,) * 4 + (True,) + (False,) * 5)


def mostly(plausible: st.SearchStrategy[Any], wild: st.SearchStrategy[Any] = wild_values) -> st.SearchStrategy[Any]:
    """``plausible`` nine times in ten, else ``wild``."""
    return rarely.flatmap(lambda wild_one: wild if wild_one else plausible)


_numbers = st.integers(-(1 << 64), 1 << 64) | st.floats() | st.sampled_from(("NaN", "-0", "Infinity", "$v", "$v + 1"))
STEP_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "view": st.sampled_from(VIEWS), "offset": st.integers(-2, 70000) | st.sampled_from(("$p", "$p + 8", "$p +")),
    "values": st.lists(_numbers, max_size=5), "args": st.lists(_numbers, max_size=3),
    "length": st.integers(-1, 70000), "export": st.sampled_from(("f", "sum", "memory", "g", "")),
    "text": st.text(max_size=8), "encoding": st.sampled_from(("utf-8", "utf-16le", "latin1")),
    "label": st.sampled_from(("utf-8", "utf-16be", "latin1", "bogus")), "fatal": st.booleans(),
    "ignore_bom": st.booleans(), "delta": st.integers(-1, 1 << 40) | st.floats() | st.sampled_from(("$n", "$n - 1")),
    "name": st.sampled_from(("v", "w", "")), "read": st.booleans(), "value": _numbers,
    "hex": st.sampled_from(("00ff", "0", "zz", "$b", "$1", "00 ff\n")), "base64": st.sampled_from(("AA==", "!!", "")),
    "file": st.sampled_from(("data.bin", "")), "fill": st.integers(-1, 300), "import": st.sampled_from(("js.f", "x")),
    "times": st.integers(-1, 2_000_000), "note": st.text(max_size=8), "as": st.sampled_from(("$p", "p", "$")),
    "instance": st.sampled_from(("a", "b", "")), "memory": st.sampled_from(("memory", "a.memory", "")),
    "expect": st.one_of(st.fixed_dictionaries({"error": st.sampled_from(("RuntimeError", "TypeError", "x"))},
                                              optional={"trap": st.text(max_size=8)}),
                        st.lists(_numbers, max_size=3), _numbers, st.text(max_size=6)),
}


@st.composite
def steps(draw: st.DrawFn, depth: int = 0) -> dict[str, Any]:
    """One ``[[steps]]`` table: a known op with its keys (mostly), each value of about the right shape (mostly)."""
    op = draw(mostly(st.sampled_from(sorted(OP_KEYS))))
    keys = list(OP_KEYS.get(op, ())) if isinstance(op, str) else []
    keys = [key for key in keys if not draw(rarely)]
    keys += draw(st.lists(st.sampled_from(COMMON_STEP_KEYS), max_size=2, unique=True))
    if draw(rarely):
        keys.append(draw(st.sampled_from(STEP_KEYS) | st.text(min_size=1, max_size=4)))
    step: dict[str, Any] = {"op": op}
    for key in keys:
        if key == "steps":
            step[key] = draw(st.lists(steps(depth + 1), max_size=3)) if depth < 2 else []
        else:
            step[key] = draw(mostly(STEP_VALUES.get(key, wild_values)))
    return step


_address_types = st.sampled_from(("i32", "i64", "i65", 64, ""))
_memory_tables = st.fixed_dictionaries(
    {"import": st.sampled_from(("js.mem", "mem", ".", "env.memory")), "initial": st.integers(-1, 70000)},
    optional={"maximum": st.integers(-1, 70000), "shared": st.booleans(), "address": _address_types})
_import_entries = st.fixed_dictionaries({}, optional={
    "kind": st.sampled_from(("func", "memory", "global", "table", "x")),
    "params": st.lists(st.sampled_from(("i32", "i64", "f32", "x")), max_size=2),
    "results": st.lists(st.sampled_from(("i32", "f64")), max_size=2), "returns": _numbers,
    "throws": st.sampled_from(("Error", "x")), "record": st.booleans(), "initial": st.integers(-1, 10),
    "maximum": st.integers(-1, 10) | st.floats(), "element": st.sampled_from(("anyfunc", "externref", "x")),
    "address": _address_types,
    "type": st.sampled_from(("i32", "i64", "f64")), "value": _numbers, "mutable": st.booleans(),
    "from": st.sampled_from(("a.memory", "b", "")),
    "text": st.lists(st.fixed_dictionaries({"ptr": st.integers(-1, 3)}, optional={
        "format": st.sampled_from(("cstring", "utf-8", "utf-16le", "assemblyscript", "x")),
        "len": st.integers(-1, 3)}), max_size=2)})
TOP_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "title": st.text(max_size=20), "description": st.text(max_size=20),
    "features": st.lists(st.sampled_from(("simd", "threads", "multi_memory", "bogus")), max_size=3),
    "memory": _memory_tables | st.sampled_from(("memory", "")),
    "expect_instantiate": st.fixed_dictionaries({"error": st.sampled_from(("LinkError", "CompileError", "x"))}),
    "imports": st.dictionaries(st.sampled_from(("js.f", "js.mem", "env.g", "nodot", "a.b.c")), _import_entries,
                               max_size=3),
    "wasi": st.fixed_dictionaries({}, optional={"args": st.lists(st.text(max_size=4), max_size=2),
                                                "env": st.dictionaries(st.text(max_size=3), st.text(max_size=3),
                                                                       max_size=2),
                                                "seed": st.integers(-1, 9), "clock_ns": st.integers(-1, 9)}),
}
_module_tables = st.fixed_dictionaries({"name": st.sampled_from(("a", "", "b"))},
                                       optional={"wat": st.sampled_from(SMALL_WAT), "features": TOP_VALUES["features"]})


@st.composite
def scenario_documents(draw: st.DrawFn) -> dict[str, Any]:
    """A scenario's top-level table: a module, steps, some other known keys; values mostly of the right shape."""
    document: dict[str, Any] = {}
    source = draw(st.sampled_from(("wat",) * 3 + ("modules", "module", "none", "wat and module", "modules") + ("wat",) * 3))
    if "wat" in source:
        document["wat"] = draw(mostly(st.sampled_from(SMALL_WAT)))
    if "module" in source.split():
        document["module"] = draw(mostly(st.sampled_from(("m.wasm", ""))))
    if source == "modules":
        document["modules"] = draw(mostly(st.lists(_module_tables, min_size=1, max_size=3)))
    document["steps"] = draw(mostly(st.lists(steps(), max_size=4)))
    for key in draw(st.lists(st.sampled_from(sorted(TOP_VALUES)), max_size=3, unique=True)):
        document[key] = draw(mostly(TOP_VALUES[key]))
    if draw(rarely):
        document[draw(st.text(min_size=1, max_size=6))] = draw(wild_values)
    return document


def _json_default(value: Any) -> str:
    return value.isoformat()


@st.composite
def scenario_files(draw: st.DrawFn) -> tuple[str, bytes]:
    """``(suffix, bytes)`` of a scenario file: a document written as TOML or JSON."""
    document = draw(scenario_documents())
    if draw(st.booleans()):
        try:
            return ".scenario.toml", tomlkit.dumps(document).encode("utf-8", "surrogatepass")
        except Exception:  # noqa: BLE001 - a document TOML cannot spell (tomlkit's limits): write it as JSON
            pass
    return ".scenario.json", json.dumps(document, default=_json_default).encode("utf-8", "surrogatepass")


# -- .wast scripts --------------------------------------------------------------------------

_digits = st.integers(0, 1 << 70).map(str) | st.text("0123456789_", min_size=1, max_size=8)
_hex_digits = st.integers(0, 1 << 70).map(lambda n: f"0x{n:x}") | st.text("0123456789abcdefABCDEF_x", max_size=6)
_exponent = st.integers(-400, 400) | st.integers()
integer_literals = st.tuples(st.sampled_from(("", "-", "+")), _digits | _hex_digits).map("".join)
float_literals = st.one_of(
    integer_literals,
    st.builds("{}{}.{}e{}".format, st.sampled_from(("", "-")), _digits, _digits, _exponent),
    st.builds("{}0x{}.{}p{}".format, st.sampled_from(("", "-")), st.text("0123456789abcdef", max_size=4),
              st.text("0123456789abcdef", max_size=4), _exponent),
    st.sampled_from(("inf", "-inf", "nan", "-nan", "nan:canonical", "nan:arithmetic", "nan:0x1", "nan:0x0",
                     "nan:0x7fffff", "nan:0xfffffffffffff", "nan:", "0x", "1e", ".5", "1.")),
    st.text(max_size=6))
_escapes = st.sampled_from(("\\n", "\\t", "\\\\", '\\"', "\\'", "\\00", "\\ff", "\\zz", "\\u{41}", "\\u{1F600}",
                            "\\u{110000}", "\\u{d800}", "\\u{}", "\\u{_}", "\\u{41", "\\"))
strings = st.lists(st.text(st.characters(blacklist_characters='"\\\n'), max_size=4) | _escapes,
                   max_size=4).map(lambda parts: '"' + "".join(parts) + '"')
names = st.sampled_from(("", "$M ", "$R ", "$nope "))


def constants() -> st.SearchStrategy[str]:
    """``(T.const literal)`` and the reference constants."""
    return st.one_of(
        st.builds("({}.const {})".format, st.sampled_from(("i32", "i64")), integer_literals),
        st.builds("({}.const {})".format, st.sampled_from(("f32", "f64")), float_literals),
        st.builds("(ref.null {})".format, st.sampled_from(("func", "extern", "any", ""))),
        st.builds("(ref.{} {})".format, st.sampled_from(("extern", "func", "host")), st.just("") | integer_literals),
        st.builds("({} {})".format, st.sampled_from(("v128.const i32x4", "i32.add", "either")), integer_literals))


def actions() -> st.SearchStrategy[str]:
    """``(invoke ...)`` and ``(get ...)``."""
    return st.one_of(
        st.builds("(invoke {}{} {})".format, names, strings, st.lists(constants(), max_size=3).map(" ".join)),
        st.builds("(get {}{})".format, names, strings))


_fields = st.sampled_from(('(memory 1)', '(memory (export "mem") 1 2)', '(func (export "f") (result i32) (i32.const 1))',
                           "(func", "(global i32 (i32.const 0))", "(data (i32.const 0) \"x\")", ""))


def modules() -> st.SearchStrategy[str]:
    """A module command in one of its forms."""
    return st.one_of(
        st.builds("(module {}{})".format, names, st.lists(_fields, max_size=3).map(" ".join)),
        st.builds("(module {}binary {})".format, names, st.lists(strings, max_size=3).map(" ".join)),
        st.builds("(module {}quote {})".format, names, st.lists(strings, max_size=3).map(" ".join)),
        st.builds("(module definition {}{})".format, names, _fields),
        st.builds("(module instance {}{})".format, names, names))


def commands() -> st.SearchStrategy[str]:
    """One command of the script grammar (with wrong arities and heads mixed in)."""
    results = st.lists(constants() | st.builds("(either {})".format, st.lists(constants(), max_size=2).map(" ".join)),
                       max_size=2).map(" ".join)
    return st.one_of(
        modules(), actions(),
        st.builds("(register {} {})".format, strings, names),
        st.builds("(assert_return {} {})".format, actions(), results),
        st.builds("({} {} {})".format, st.sampled_from(("assert_trap", "assert_exhaustion", "assert_exception")),
                  actions() | modules(), strings),
        st.builds("({} {} {})".format, st.sampled_from(("assert_invalid", "assert_malformed", "assert_unlinkable",
                                                        "assert_uninstantiable", "assert_trap")), modules(), strings),
        st.builds("({} {})".format, st.sampled_from(("assert_return", "script", "input", "output", "meta", "x")),
                  st.lists(constants() | strings, max_size=2).map(" ".join)))


_blank = st.sampled_from((" ", "\n", " ;; a comment\n", " (; block (; nested ;) ;) ", "\t", ""))


@st.composite
def wast_scripts(draw: st.DrawFn) -> bytes:
    """A script: commands separated by blanks and comments, now and then with a stray delimiter."""
    parts = []
    for command in draw(st.lists(commands(), max_size=5)):
        parts += [command, draw(_blank)]
    if draw(st.integers(0, 7)) == 0:
        parts.insert(draw(st.integers(0, len(parts))), draw(st.sampled_from(("(", ")", '"', ";", "(;", "$", "\\"))))
    return "".join(parts).encode("utf-8", "surrogatepass")


# -- wasm binaries ----------------------------------------------------------------------------

def leb_u(value: int) -> bytes:
    """``value`` as unsigned LEB128."""
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def leb_s(value: int) -> bytes:
    """``value`` as signed LEB128."""
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        done = (value == 0 and not byte & 0x40) or (value == -1 and byte & 0x40)
        out.append(byte | (0 if done else 0x80))
        if done:
            return bytes(out)


def vector(items: list[bytes]) -> bytes:
    """A length-prefixed vector."""
    return leb_u(len(items)) + b"".join(items)


def name(text: bytes) -> bytes:
    """A length-prefixed name."""
    return leb_u(len(text)) + text


_small = st.integers(0, 4) | st.integers(0, 1 << 33)
_uleb = _small.map(leb_u)
_value_type = mostly(st.sampled_from((b"\x7f", b"\x7e", b"\x7d", b"\x7c", b"\x7b", b"\x70", b"\x6f")),
                     st.binary(min_size=1, max_size=1))
_limits = st.one_of(st.builds(lambda low: b"\x00" + leb_u(low), _small),
                    st.builds(lambda flags, low, high: flags + leb_u(low) + leb_u(high),
                              st.sampled_from((b"\x01", b"\x03", b"\x05")), _small, _small))
_names = mostly(st.sampled_from((b"", b"f", b"memory", b"js", b"mem")), st.sampled_from((b"\xff", b"\xc3(", b"f"))).map(name)
_memarg = st.builds(lambda align, offset: leb_u(align) + leb_u(offset), st.integers(0, 70), _small)
#: an instruction with well-formed immediates (or a raw byte)
instructions = st.one_of(
    st.sampled_from(range(0x45, 0xC5)).map(lambda code: bytes([code])),  # numeric, no immediates
    st.builds(lambda value: b"\x41" + leb_s(value), st.integers(-(1 << 31), (1 << 31) - 1)),
    st.builds(lambda value: b"\x42" + leb_s(value), st.integers(-(1 << 63), (1 << 63) - 1)),
    st.builds(lambda raw: b"\x43" + raw, st.binary(min_size=4, max_size=4)),
    st.builds(lambda raw: b"\x44" + raw, st.binary(min_size=8, max_size=8)),
    st.builds(lambda code, arg: bytes([code]) + arg, st.integers(0x28, 0x3E), _memarg),
    st.builds(lambda code, index: bytes([code]) + leb_u(index), st.sampled_from((0x20, 0x21, 0x22, 0x23, 0x24, 0x0C,
                                                                                 0x0D, 0x10, 0xD2, 0x25, 0x26)),
              st.integers(0, 3)),
    st.builds(lambda code, block: bytes([code]) + block, st.sampled_from((0x02, 0x03, 0x04)),
              st.sampled_from((b"\x40", b"\x7f", b"\x00", b"\x7a"))),
    st.sampled_from((b"\x05", b"\x0b", b"\x00", b"\x01", b"\x0f", b"\x1a", b"\x1b", b"\x3f\x00", b"\x40\x00",
                     b"\x1c\x01\x7f", b"\x0e\x01\x00\x00", b"\x11\x00\x00", b"\xd0\x70", b"\xd1")),
    st.builds(lambda sub, rest: b"\xfc" + leb_u(sub) + rest, st.integers(0, 20),
              st.sampled_from((b"", b"\x00", b"\x00\x00", b"\x01\x00"))),
    st.builds(lambda sub, rest: b"\xfd" + leb_u(sub) + rest, st.integers(0, 0x120) | st.integers(0, 1 << 32),
              st.sampled_from((b"", b"\x00\x00", b"\x04\x00", bytes(16), b"\x00", b"\x04\x00\x01"))),
    st.binary(min_size=1, max_size=3))


def _body(code: bytes, locals_vector: bytes) -> bytes:
    body = locals_vector + code + b"\x0b"
    return leb_u(len(body)) + body


_bodies = st.builds(_body, st.lists(instructions, max_size=12).map(b"".join),
                    st.lists(st.builds(lambda count, kind: leb_u(count) + kind, _small, _value_type),
                             max_size=2).map(vector))
_constant = st.one_of(st.builds(lambda code: code + b"\x0b", instructions),
                      st.builds(lambda value: b"\x41" + leb_s(value) + b"\x0b", st.integers(-5, 70000)))
SECTION_CONTENTS = {
    1: st.lists(st.builds(lambda params, results: b"\x60" + vector(params) + vector(results),
                          st.lists(_value_type, max_size=3), st.lists(_value_type, max_size=2)),
                max_size=3).map(vector),
    2: st.lists(st.builds(lambda module, field, desc: module + field + desc, _names, _names, st.one_of(
        st.builds(lambda index: b"\x00" + leb_u(index), st.integers(0, 3)), st.builds(b"\x01".__add__, _value_type),
        st.builds(b"\x02".__add__, _limits), st.builds(lambda vt, mut: b"\x03" + vt + mut, _value_type,
                                                       st.sampled_from((b"\x00", b"\x01", b"\x02"))),
        st.binary(max_size=3))), max_size=3).map(vector),
    3: st.lists(st.integers(0, 4).map(leb_u), max_size=4).map(vector),
    4: st.lists(st.builds(bytes.__add__, _value_type, _limits), max_size=2).map(vector),
    5: st.lists(_limits, max_size=2).map(vector),
    6: st.lists(st.builds(lambda vt, mut, init: vt + mut + init, _value_type, st.sampled_from((b"\x00", b"\x01")),
                          _constant), max_size=2).map(vector),
    7: st.lists(st.builds(lambda field, kind, index: field + bytes([kind]) + leb_u(index), _names,
                          st.integers(0, 4), st.integers(0, 3)), max_size=3).map(vector),
    8: st.integers(0, 3).map(leb_u),
    9: st.lists(st.builds(lambda flags, rest: leb_u(flags) + rest, st.integers(0, 8),
                          st.lists(instructions, max_size=4).map(b"".join)), max_size=2).map(vector),
    10: st.lists(_bodies, max_size=3).map(vector),
    11: st.lists(st.one_of(st.builds(lambda init, data: b"\x00" + init + name(data), _constant, st.binary(max_size=6)),
                           st.builds(lambda data: b"\x01" + name(data), st.binary(max_size=6)),
                           st.builds(lambda index, init, data: b"\x02" + leb_u(index) + init + name(data),
                                     st.integers(0, 2), _constant, st.binary(max_size=4))), max_size=2).map(vector),
    12: _uleb,
    0: st.builds(bytes.__add__, _names, st.binary(max_size=6)),
}


@st.composite
def sections(draw: st.DrawFn) -> bytes:
    """One section: an id and its contents (well-formed for the id, mostly), with its size."""
    # a module has several sections: each goes wrong rarely, so that most modules get past their headers
    section_id = draw(mostly(st.sampled_from(sorted(SECTION_CONTENTS)), mostly(st.sampled_from(sorted(SECTION_CONTENTS)), st.integers(0, 255))))
    contents = draw(mostly(SECTION_CONTENTS.get(section_id, st.binary(max_size=12)), st.binary(max_size=12)))
    size = draw(mostly(st.just(len(contents)), st.integers(0, len(contents) + 3)))
    return bytes([section_id]) + leb_u(size) + contents


#: the order the binary format wants non-custom sections in (data count between element and code)
SECTION_ORDER = (1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 10, 11)


@st.composite
def wasm_modules(draw: st.DrawFn) -> bytes:
    """A module: the header and sections, in the required order unless the draw says otherwise."""
    header = draw(mostly(st.just(b"\x00asm\x01\x00\x00\x00"), st.binary(min_size=8, max_size=8)))
    chosen = draw(st.lists(sections(), max_size=7))
    if not draw(rarely):
        rank = {section_id: position for position, section_id in enumerate(SECTION_ORDER)}
        chosen.sort(key=lambda section: rank.get(section[0], -1))
    return header + b"".join(chosen)
