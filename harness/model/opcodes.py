"""The instruction set's binary encoding: opcode -> (name, immediate kind).

Prefixed instructions (``0xFC n``) are keyed as ``0xFC00 | n``; vector
instructions (``0xFD n``, :mod:`.simd`) as ``0xFD0000 | n``, since their
numbers run past a byte. The decoder reads immediates by kind; the
interpreter looks instructions up by opcode. Covers the 2.0 core instruction
set and relaxed SIMD.
"""

from __future__ import annotations

from .simd import VECTOR_INSTRUCTIONS

PREFIX_FC = 0xFC
PREFIX_FD = 0xFD
#: What a vector instruction's number after the prefix is added to, to make its key.
VECTOR_BASE = PREFIX_FD << 16

# Immediate kinds.
NONE, BLOCK, LABEL, BR_TABLE, FUNC, CALL_INDIRECT, LOCAL, GLOBAL, TABLE = (
    "none", "block", "label", "br_table", "func", "call_indirect", "local", "global", "table")
MEMARG, MEMORY, I32, I64, F32, F64, SELECT_T, REF_TYPE = (
    "memarg", "memory", "i32", "i64", "f32", "f64", "select_t", "ref_type")
DATA, MEMORY_INIT, MEMORY_COPY, ELEM, TABLE_INIT, TABLE_COPY = (
    "data", "memory_init", "memory_copy", "elem", "table_init", "table_copy")
# Vector immediates, spelled as the spec (and :mod:`.simd`'s table) writes them.
LANE, MEMARG_LANE, V128, SHUFFLE = "laneidx", "memarg laneidx", "i128", "laneidx16"

_CONTROL = {
    0x00: ("unreachable", NONE), 0x01: ("nop", NONE), 0x02: ("block", BLOCK),
    0x03: ("loop", BLOCK), 0x04: ("if", BLOCK), 0x05: ("else", NONE), 0x0B: ("end", NONE),
    0x0C: ("br", LABEL), 0x0D: ("br_if", LABEL), 0x0E: ("br_table", BR_TABLE),
    0x0F: ("return", NONE), 0x10: ("call", FUNC), 0x11: ("call_indirect", CALL_INDIRECT),
    0x1A: ("drop", NONE), 0x1B: ("select", NONE), 0x1C: ("select", SELECT_T),
    0x20: ("local.get", LOCAL), 0x21: ("local.set", LOCAL), 0x22: ("local.tee", LOCAL),
    0x23: ("global.get", GLOBAL), 0x24: ("global.set", GLOBAL),
    0x25: ("table.get", TABLE), 0x26: ("table.set", TABLE),
    0x3F: ("memory.size", MEMORY), 0x40: ("memory.grow", MEMORY),
    0x41: ("i32.const", I32), 0x42: ("i64.const", I64), 0x43: ("f32.const", F32),
    0x44: ("f64.const", F64),
    0xD0: ("ref.null", REF_TYPE), 0xD1: ("ref.is_null", NONE), 0xD2: ("ref.func", FUNC),
}

_MEMORY_ACCESS = [
    "i32.load", "i64.load", "f32.load", "f64.load", "i32.load8_s", "i32.load8_u", "i32.load16_s",
    "i32.load16_u", "i64.load8_s", "i64.load8_u", "i64.load16_s", "i64.load16_u", "i64.load32_s",
    "i64.load32_u", "i32.store", "i64.store", "f32.store", "f64.store", "i32.store8",
    "i32.store16", "i64.store8", "i64.store16", "i64.store32",
]  # 0x28 ..= 0x3E

_NUMERIC = """
i32.eqz i32.eq i32.ne i32.lt_s i32.lt_u i32.gt_s i32.gt_u i32.le_s i32.le_u i32.ge_s i32.ge_u
i64.eqz i64.eq i64.ne i64.lt_s i64.lt_u i64.gt_s i64.gt_u i64.le_s i64.le_u i64.ge_s i64.ge_u
f32.eq f32.ne f32.lt f32.gt f32.le f32.ge f64.eq f64.ne f64.lt f64.gt f64.le f64.ge
i32.clz i32.ctz i32.popcnt i32.add i32.sub i32.mul i32.div_s i32.div_u i32.rem_s i32.rem_u
i32.and i32.or i32.xor i32.shl i32.shr_s i32.shr_u i32.rotl i32.rotr
i64.clz i64.ctz i64.popcnt i64.add i64.sub i64.mul i64.div_s i64.div_u i64.rem_s i64.rem_u
i64.and i64.or i64.xor i64.shl i64.shr_s i64.shr_u i64.rotl i64.rotr
f32.abs f32.neg f32.ceil f32.floor f32.trunc f32.nearest f32.sqrt f32.add f32.sub f32.mul
f32.div f32.min f32.max f32.copysign
f64.abs f64.neg f64.ceil f64.floor f64.trunc f64.nearest f64.sqrt f64.add f64.sub f64.mul
f64.div f64.min f64.max f64.copysign
i32.wrap_i64 i32.trunc_f32_s i32.trunc_f32_u i32.trunc_f64_s i32.trunc_f64_u i64.extend_i32_s
i64.extend_i32_u i64.trunc_f32_s i64.trunc_f32_u i64.trunc_f64_s i64.trunc_f64_u
f32.convert_i32_s f32.convert_i32_u f32.convert_i64_s f32.convert_i64_u f32.demote_f64
f64.convert_i32_s f64.convert_i32_u f64.convert_i64_s f64.convert_i64_u f64.promote_f32
i32.reinterpret_f32 i64.reinterpret_f64 f32.reinterpret_i32 f64.reinterpret_i64
i32.extend8_s i32.extend16_s i64.extend8_s i64.extend16_s i64.extend32_s
""".split()  # 0x45 ..= 0xC4

_PREFIXED = {
    0: ("i32.trunc_sat_f32_s", NONE), 1: ("i32.trunc_sat_f32_u", NONE),
    2: ("i32.trunc_sat_f64_s", NONE), 3: ("i32.trunc_sat_f64_u", NONE),
    4: ("i64.trunc_sat_f32_s", NONE), 5: ("i64.trunc_sat_f32_u", NONE),
    6: ("i64.trunc_sat_f64_s", NONE), 7: ("i64.trunc_sat_f64_u", NONE),
    8: ("memory.init", MEMORY_INIT), 9: ("data.drop", DATA), 10: ("memory.copy", MEMORY_COPY),
    11: ("memory.fill", MEMORY), 12: ("table.init", TABLE_INIT), 13: ("elem.drop", ELEM),
    14: ("table.copy", TABLE_COPY), 15: ("table.grow", TABLE), 16: ("table.size", TABLE),
    17: ("table.fill", TABLE),
}


def _build_table() -> dict[int, tuple[str, str]]:
    table = dict(_CONTROL)
    table.update({0x28 + i: (name, MEMARG) for i, name in enumerate(_MEMORY_ACCESS)})
    table.update({0x45 + i: (name, NONE) for i, name in enumerate(_NUMERIC)})
    table.update({(PREFIX_FC << 8) | sub: entry for sub, entry in _PREFIXED.items()})
    table.update({VECTOR_BASE | sub: (vector.name, vector.immediate or NONE)
                  for sub, vector in VECTOR_INSTRUCTIONS.items()})
    return table


#: opcode -> (mnemonic, immediate kind)
OPCODES: dict[int, tuple[str, str]] = _build_table()
#: mnemonic -> opcode (``select`` maps to the untyped form)
BY_NAME: dict[str, int] = {}
for _code, (_name, _kind) in sorted(OPCODES.items(), reverse=True):
    BY_NAME[_name] = _code
