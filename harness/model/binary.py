"""Decoding the WebAssembly binary format into a :class:`Module`.

The decoder reads every section of the 2.0 format, vector instructions
included (relaxed SIMD too; :mod:`.simd`), and by 3.0's rules (the default;
:mod:`.versions`) the memory64 and multi-memory encodings: limits flags with
an address type, 64-bit memarg offsets, memory indices in memargs and in
memory instructions. Function
bodies become flat lists of ``(opcode, immediate)`` pairs; each structured
instruction's immediate is ``(block_type, else_index, end_index)`` so that the
interpreter can branch without searching. Anything malformed raises
:class:`~harness.errors.WasmDecodeError` with the byte offset.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from ..errors import WasmDecodeError
from . import opcodes as op
from .memory import Limits
from .traps import UnsupportedInstruction
from .versions import DEFAULT_VERSION, SpecVersion

MAGIC = b"\0asm"
VERSION = b"\x01\0\0\0"

VALUE_TYPES = {0x7F: "i32", 0x7E: "i64", 0x7D: "f32", 0x7C: "f64", 0x7B: "v128",
               0x70: "funcref", 0x6F: "externref"}
EXTERNAL_KINDS = {0: "func", 1: "table", 2: "memory", 3: "global"}

Instruction = tuple[int, Any]


@dataclass(frozen=True)
class FuncType:
    """A function signature."""

    params: tuple[str, ...]
    results: tuple[str, ...]


@dataclass(frozen=True)
class TableType:
    """A table's element type and limits."""

    element: str
    limits: Limits


@dataclass(frozen=True)
class GlobalType:
    """A global's value type and mutability."""

    value_type: str
    mutable: bool


@dataclass(frozen=True)
class Import:
    """One import: ``module.name`` of a kind, with its type (index or type record)."""

    module: str
    name: str
    kind: str
    desc: Any


@dataclass(frozen=True)
class Export:
    """One export: a name for the ``index``-th entity of ``kind``."""

    name: str
    kind: str
    index: int


@dataclass(frozen=True)
class Global:
    """A module-defined global and its initialiser."""

    type: GlobalType
    init: tuple[Instruction, ...]


@dataclass(frozen=True)
class ElementSegment:
    """An element segment: mode ``active``/``passive``/``declarative``."""

    mode: str
    table: int
    offset: tuple[Instruction, ...]
    element_type: str
    items: tuple[tuple[Instruction, ...], ...]


@dataclass(frozen=True)
class DataSegment:
    """A data segment: ``active`` (copied at instantiation) or ``passive``."""

    mode: str
    memory: int
    offset: tuple[Instruction, ...]
    data: bytes


@dataclass(eq=False)
class FunctionBody:
    """A function's declared locals (expanded) and its code.

    ``compiled`` caches its translation to Python (see
    :func:`harness.model.codegen.translate`).
    """

    locals: tuple[str, ...]
    code: tuple[Instruction, ...]
    compiled: Any = None


@dataclass
class Module:
    """A decoded module: the sections' contents, in index spaces as the spec defines."""

    types: list[FuncType] = field(default_factory=list)
    imports: list[Import] = field(default_factory=list)
    functions: list[int] = field(default_factory=list)
    tables: list[TableType] = field(default_factory=list)
    memories: list[Limits] = field(default_factory=list)
    globals: list[Global] = field(default_factory=list)
    exports: list[Export] = field(default_factory=list)
    start: int | None = None
    elements: list[ElementSegment] = field(default_factory=list)
    bodies: list[FunctionBody] = field(default_factory=list)
    data: list[DataSegment] = field(default_factory=list)
    data_count: int | None = None

    def imported(self, kind: str) -> list[Import]:
        """The imports of one kind, in index order."""
        return [entry for entry in self.imports if entry.kind == kind]

    def function_types(self) -> list[FuncType]:
        """The function index space's signatures, imports first (type indices must be valid)."""
        return [self.types[entry.desc] for entry in self.imported("func")] + [self.types[t] for t in self.functions]

    def memory_types(self) -> list[Limits]:
        """The memory index space's limits, imports first."""
        return [entry.desc for entry in self.imported("memory")] + list(self.memories)

    def table_types(self) -> list[TableType]:
        """The table index space's types, imports first."""
        return [entry.desc for entry in self.imported("table")] + list(self.tables)

    def global_types(self) -> list[GlobalType]:
        """The global index space's types, imports first."""
        return [entry.desc for entry in self.imported("global")] + [definition.type for definition in self.globals]

    def function_type(self, index: int) -> FuncType:
        """The signature of function ``index`` in the function index space."""
        imported = self.imported("func")
        if index < len(imported):
            return self.types[imported[index].desc]
        return self.types[self.functions[index - len(imported)]]

    def export(self, name: str) -> Export | None:
        """The export called ``name``, if there is one."""
        return next((entry for entry in self.exports if entry.name == name), None)


class Reader:
    """A cursor over the binary with the format's primitive decoders."""

    def __init__(self, data: bytes, offset: int = 0, end: int | None = None, *,
                 version: SpecVersion = DEFAULT_VERSION) -> None:
        self.data = data
        self.offset = offset
        self.end = len(data) if end is None else end
        self.version = version

    def within(self, end: int) -> "Reader":
        """A reader of the bytes from here up to ``end`` (a section, a function body), by the same rules."""
        return Reader(self.data, self.offset, end, version=self.version)

    def fail(self, message: str) -> WasmDecodeError:
        """An error at the current offset."""
        return WasmDecodeError(message, offset=self.offset)

    def at_end(self) -> bool:
        """True when every byte up to ``end`` has been read."""
        return self.offset >= self.end

    def byte(self) -> int:
        """One byte."""
        if self.offset >= self.end:
            raise self.fail("unexpected end of section or function")
        value = self.data[self.offset]
        self.offset += 1
        return value

    def bytes(self, count: int) -> bytes:
        """``count`` raw bytes."""
        if self.offset + count > self.end:
            raise self.fail(f"unexpected end: {count} bytes needed")
        chunk = self.data[self.offset:self.offset + count]
        self.offset += count
        return chunk

    def _leb128(self) -> tuple[int, int, int]:
        """The raw LEB128 value, how many bits it spans, and its last byte."""
        result = shift = 0
        while True:
            value = self.byte()
            result |= (value & 0x7F) << shift
            shift += 7
            if not value & 0x80:
                return result, shift, value
            if shift >= 70:
                raise self.fail("integer representation too long")

    def unsigned(self, bits: int = 32) -> int:
        """An unsigned LEB128 integer of at most ``bits`` bits."""
        result, shift, _ = self._leb128()
        if shift > bits + 7 or result >> bits:
            raise self.fail("integer too large")
        return result

    def signed(self, bits: int) -> int:
        """A signed LEB128 integer of at most ``bits`` bits."""
        result, shift, last = self._leb128()
        if last & 0x40:
            result -= 1 << shift
        if shift > bits + 7 or not -(1 << (bits - 1)) <= result < (1 << (bits - 1)):
            raise self.fail("integer too large")
        return result

    def name(self) -> str:
        """A UTF-8 name."""
        raw = self.bytes(self.unsigned())
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            raise self.fail("malformed UTF-8 encoding") from None

    def vector(self, item: Callable[[], Any]) -> list[Any]:
        """A length-prefixed vector of ``item()``."""
        return [item() for _ in range(self.unsigned())]

    def value_type(self) -> str:
        """A value type."""
        code = self.byte()
        if code not in VALUE_TYPES:
            raise WasmDecodeError(f"malformed value type 0x{code:02x}", offset=self.offset - 1)
        return VALUE_TYPES[code]

    def reference_type(self) -> str:
        """A reference type (``funcref`` or ``externref``)."""
        value_type = self.value_type()
        if value_type not in ("funcref", "externref"):
            raise WasmDecodeError("malformed reference type", offset=self.offset - 1)
        return value_type

    def memory_index(self) -> int:
        """A memory index (3.0: a u32, multi-memory); 2.0 has one memory and wants a single zero byte."""
        if self.version.multi_memory:
            return self.unsigned()
        if self.byte() != 0:
            raise WasmDecodeError("zero byte expected", offset=self.offset - 1)
        return 0

    def limits(self) -> Limits:
        """Memory or table limits (3.0 spec 5.2 "Limits": bit 0 a maximum, bit 2 the i64 address type).

        Bit 1 (shared) is the threads proposal's, which linmem's scenarios use. 3.0
        reads both bounds as u64 (validation keeps an i32 memory's within 2^16 pages);
        2.0 knows no address type and reads u32 bounds.
        """
        start = self.offset
        flags = self.byte()
        allowed = 7 if self.version.memory64 else 3
        if flags > allowed:
            raise WasmDecodeError(f"malformed limits flags 0x{flags:02x}", offset=start)
        bits = 64 if self.version.memory64 else 32
        minimum = self.unsigned(bits)
        maximum = self.unsigned(bits) if flags & 1 else None
        return Limits(minimum, maximum, shared=bool(flags & 2), address="i64" if flags & 4 else "i32")


#: Instruction prefixes of proposals the model does not decode: reported as a model gap, not as malformed.
UNMODELLED_PREFIXES = {0xFB: "GC", 0xFE: "threads (atomic)"}


def read_block_type(reader: Reader) -> Any:
    """``None`` (empty), a value type name, or a type index."""
    first = reader.data[reader.offset] if reader.offset < reader.end else None
    if first == 0x40:
        reader.offset += 1
        return None
    if first in VALUE_TYPES:
        reader.offset += 1
        return VALUE_TYPES[first]
    return reader.signed(33)


def _memarg(reader: Reader) -> tuple[int, int, int]:
    """``(align, offset, memory)`` (3.0 spec 5.3, ``memarg``).

    Flags of 2^6 or more name a memory index after them (multi-memory, 3.0); 2^7 or
    more, or an alignment exponent of 32 or more, is malformed. 3.0 reads the offset as
    a u64 (memory64; validation bounds it by the memory's address type), 2.0 as a u32.
    """
    start = reader.offset
    flags = reader.unsigned()
    explicit_memory = bool(flags & 0x40) and reader.version.multi_memory
    align = flags & ~0x40 if explicit_memory else flags
    if flags >= 0x80 or align >= 32:
        raise WasmDecodeError("malformed memop flags", offset=start)
    memory = reader.unsigned() if explicit_memory else 0
    return align, reader.unsigned(64 if reader.version.memory64 else 32), memory


_IMMEDIATE_READERS: dict[str, Callable[[Reader], Any]] = {
    op.NONE: lambda r: None,
    op.LABEL: lambda r: r.unsigned(),
    op.FUNC: lambda r: r.unsigned(),
    op.LOCAL: lambda r: r.unsigned(),
    op.GLOBAL: lambda r: r.unsigned(),
    op.TABLE: lambda r: r.unsigned(),
    op.DATA: lambda r: r.unsigned(),
    op.ELEM: lambda r: r.unsigned(),
    op.MEMORY: lambda r: r.memory_index(),
    op.BR_TABLE: lambda r: (tuple(r.vector(r.unsigned)), r.unsigned()),
    op.CALL_INDIRECT: lambda r: (r.unsigned(), r.unsigned()),
    op.MEMARG: _memarg,
    op.I32: lambda r: r.signed(32),
    op.I64: lambda r: r.signed(64),
    op.F32: lambda r: r.bytes(4),
    op.F64: lambda r: r.bytes(8),
    op.SELECT_T: lambda r: tuple(r.vector(r.value_type)),
    op.REF_TYPE: lambda r: r.value_type(),
    op.MEMORY_INIT: lambda r: (r.unsigned(), r.memory_index()),
    op.MEMORY_COPY: lambda r: (r.memory_index(), r.memory_index()),
    op.TABLE_INIT: lambda r: (r.unsigned(), r.unsigned()),
    op.TABLE_COPY: lambda r: (r.unsigned(), r.unsigned()),
    op.LANE: lambda r: r.byte(),
    op.MEMARG_LANE: lambda r: (_memarg(r), r.byte()),
    op.V128: lambda r: r.bytes(16),
    op.SHUFFLE: lambda r: tuple(r.bytes(16)),
}


def _read_opcode(reader: Reader) -> int:
    """An instruction's key in :data:`~.opcodes.OPCODES`: its byte, or its prefix and number (a u32)."""
    opcode = reader.byte()
    if opcode in UNMODELLED_PREFIXES:
        raise UnsupportedInstruction(f"{UNMODELLED_PREFIXES[opcode]} instructions (prefix 0x{opcode:02x})")
    if opcode == op.PREFIX_FC:
        return (op.PREFIX_FC << 8) | reader.unsigned()
    if opcode == op.PREFIX_FD:
        return op.VECTOR_BASE | reader.unsigned()
    return opcode


def _opcode_text(opcode: int) -> str:
    """An opcode as its bytes are written (``0xfd 0x114`` for a vector instruction)."""
    if opcode >= op.VECTOR_BASE:
        return f"0x{op.PREFIX_FD:x} 0x{opcode - op.VECTOR_BASE:x}"
    return f"0x{opcode:x}"


def read_expression(reader: Reader) -> tuple[Instruction, ...]:
    """Instructions up to and including the ``end`` that closes the expression.

    Structured instructions get ``(block_type, else_index, end_index)``.
    """
    code: list[Instruction] = []
    open_blocks: list[int] = []
    elses: dict[int, int] = {}
    while True:
        start = reader.offset
        opcode = _read_opcode(reader)
        entry = op.OPCODES.get(opcode)
        if entry is None:
            raise WasmDecodeError(f"illegal opcode {_opcode_text(opcode)}", offset=start)
        kind = entry[1]
        immediate = read_block_type(reader) if kind == op.BLOCK else _IMMEDIATE_READERS[kind](reader)
        index = len(code)
        code.append((opcode, immediate))
        if kind == op.BLOCK:
            open_blocks.append(index)
        elif opcode == 0x05:
            if not open_blocks or code[open_blocks[-1]][0] != 0x04:
                raise WasmDecodeError("else without if", offset=start)
            elses[open_blocks[-1]] = index
        elif opcode == 0x0B:
            if not open_blocks:
                return tuple(code)
            block = open_blocks.pop()
            code[block] = (code[block][0], (code[block][1], elses.get(block), index))


def _section_types(reader: Reader, module: Module) -> None:
    def func_type() -> FuncType:
        if reader.byte() != 0x60:
            raise reader.fail("malformed function type")
        return FuncType(tuple(reader.vector(reader.value_type)), tuple(reader.vector(reader.value_type)))
    module.types = reader.vector(func_type)


def _global_type(reader: Reader) -> GlobalType:
    value_type = reader.value_type()
    mutability = reader.byte()
    if mutability > 1:
        raise reader.fail("malformed mutability")
    return GlobalType(value_type, bool(mutability))


def _section_imports(reader: Reader, module: Module) -> None:
    def one() -> Import:
        module_name, name = reader.name(), reader.name()
        kind = EXTERNAL_KINDS.get(reader.byte())
        if kind is None:
            raise reader.fail("malformed import kind")
        desc = {"func": reader.unsigned, "table": lambda: TableType(reader.value_type(), reader.limits()),
                "memory": reader.limits, "global": lambda: _global_type(reader)}[kind]()
        return Import(module_name, name, kind, desc)
    module.imports = reader.vector(one)


def _section_globals(reader: Reader, module: Module) -> None:
    module.globals = reader.vector(lambda: Global(_global_type(reader), read_expression(reader)))


def _section_exports(reader: Reader, module: Module) -> None:
    def one() -> Export:
        name = reader.name()
        kind = EXTERNAL_KINDS.get(reader.byte())
        if kind is None:
            raise reader.fail("malformed export kind")
        return Export(name, kind, reader.unsigned())
    module.exports = reader.vector(one)


def _section_elements(reader: Reader, module: Module) -> None:
    def one() -> ElementSegment:
        flags = reader.unsigned()
        if flags > 7:
            raise reader.fail("malformed element segment flags")
        passive_or_declarative, explicit_table, uses_expressions = flags & 1, flags & 2, flags & 4
        table, offset = 0, ()
        if not passive_or_declarative:
            table = reader.unsigned() if explicit_table else 0
            offset = read_expression(reader)
        mode = "active" if not passive_or_declarative else ("declarative" if explicit_table else "passive")
        element_type = "funcref"
        if flags & 3:
            element_type = reader.reference_type() if uses_expressions else ("funcref" if reader.byte() == 0 else "?")
        if uses_expressions:
            items = tuple(reader.vector(lambda: read_expression(reader)))
        else:
            items = tuple(((0xD2, index), (0x0B, None)) for index in reader.vector(reader.unsigned))
        return ElementSegment(mode, table, offset, element_type, items)
    module.elements = reader.vector(one)


def _section_code(reader: Reader, module: Module) -> None:
    def one() -> FunctionBody:
        size = reader.unsigned()
        if reader.offset + size > reader.end:
            raise reader.fail("function body size runs past the end of the code section")
        body = reader.within(reader.offset + size)
        declared: list[str] = []
        for _ in range(body.unsigned()):
            count, value_type = body.unsigned(), body.value_type()
            if len(declared) + count > 50000:
                raise body.fail("too many locals")
            declared.extend([value_type] * count)
        code = read_expression(body)
        if not body.at_end():
            raise body.fail("section size mismatch: bytes after the function's end")
        reader.offset = body.end
        return FunctionBody(tuple(declared), code)
    module.bodies = reader.vector(one)


def _section_data(reader: Reader, module: Module) -> None:
    def one() -> DataSegment:
        flags = reader.unsigned()
        if flags == 1:
            return DataSegment("passive", 0, (), reader.bytes(reader.unsigned()))
        if flags not in (0, 2):
            raise reader.fail("malformed data segment flags")
        memory = reader.unsigned() if flags == 2 else 0
        offset = read_expression(reader)
        return DataSegment("active", memory, offset, reader.bytes(reader.unsigned()))
    module.data = reader.vector(one)


def _set(attribute: str, read: Callable[[Reader], Any]) -> Callable[[Reader, Module], None]:
    return lambda reader, module: setattr(module, attribute, read(reader))


_SECTIONS: dict[int, Callable[[Reader, Module], None]] = {
    1: _section_types,
    2: _section_imports,
    3: _set("functions", lambda r: r.vector(r.unsigned)),
    4: _set("tables", lambda r: r.vector(lambda: TableType(r.value_type(), r.limits()))),
    5: _set("memories", lambda r: r.vector(r.limits)),
    6: _section_globals,
    7: _section_exports,
    8: _set("start", lambda r: r.unsigned()),
    9: _section_elements,
    10: _section_code,
    11: _section_data,
    12: _set("data_count", lambda r: r.unsigned()),
}
# The order non-custom sections must appear in (data count sits between element and code).
_SECTION_ORDER = {1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 6: 6, 7: 7, 8: 8, 9: 9, 12: 10, 10: 11, 11: 12}


def decode_module(wasm_bytes: bytes, *, version: SpecVersion = DEFAULT_VERSION) -> Module:
    """Decode a binary module by ``version``'s rules; raise :class:`WasmDecodeError` if it is malformed.

    >>> decode_module(bytes.fromhex("0061736d01000000050301000107")).memories
    Traceback (most recent call last):
    ...
    harness.errors.WasmDecodeError: unexpected end of section or function (at byte offset 14)
    """
    if wasm_bytes[:4] != MAGIC:
        raise WasmDecodeError("magic header not detected: not a WebAssembly binary", offset=0)
    if wasm_bytes[4:8] != VERSION:
        raise WasmDecodeError("unknown binary version", offset=4)
    reader = Reader(wasm_bytes, 8, version=version)
    module = Module()
    last_rank = 0
    while not reader.at_end():
        section_id = reader.byte()
        size = reader.unsigned()
        section = reader.within(reader.offset + size)
        if section.end > len(wasm_bytes):
            raise reader.fail("section size runs past the end of the module")
        if section_id == 0:
            section.name()  # a custom section's name must be valid UTF-8; its contents are not read
        if section_id != 0:
            rank = _SECTION_ORDER.get(section_id)
            if rank is None:
                raise WasmDecodeError(f"malformed section id {section_id}", offset=reader.offset - 1)
            if rank <= last_rank:
                raise reader.fail(f"section {section_id} out of order or duplicated")
            last_rank = rank
            _SECTIONS[section_id](section, module)
            if not section.at_end():
                raise section.fail("section size mismatch")
        reader.offset = section.end
    if len(module.functions) != len(module.bodies):
        raise WasmDecodeError("function and code section have inconsistent lengths")
    _check_data_count(module)
    check_segments(module)
    return module


#: memory.init and data.drop: a module using them must declare its data count up front.
_DATA_COUNT_USERS = frozenset({(op.PREFIX_FC << 8) | 8, (op.PREFIX_FC << 8) | 9})


def _check_data_count(module: Module) -> None:
    if module.data_count is not None and module.data_count != len(module.data):
        raise WasmDecodeError("data count and data section have inconsistent lengths")
    if module.data_count is None and any(opcode in _DATA_COUNT_USERS for body in module.bodies
                                         for opcode, _ in body.code):
        raise WasmDecodeError("data count section required")


#: Instructions a constant expression may use (extended constant expressions included).
CONSTANT_OPCODES = frozenset({0x41, 0x42, 0x43, 0x44, 0x23, 0xD0, 0xD2, 0x6A, 0x6B, 0x6C, 0x7C, 0x7D, 0x7E, 0x0B})


def check_segments(module: Module) -> None:
    """Reject segments a validator would: a memory index out of range, a non-constant offset."""
    memory_count = len(module.memory_types())
    for index, segment in enumerate(module.data):
        if segment.mode == "active" and segment.memory >= memory_count:
            raise WasmDecodeError(f"invalid module: data segment {index} names memory {segment.memory}, "
                                  f"and there are {memory_count}")
        for opcode, _ in segment.offset:
            if opcode not in CONSTANT_OPCODES:
                raise WasmDecodeError(f"invalid module: data segment {index}'s offset is not a constant expression")

