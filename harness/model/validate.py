"""Validating a decoded module (the spec's validation rules: WebAssembly 2.0 with SIMD, and 3.0's relaxed SIMD).

Function bodies are type-checked with the spec appendix's algorithm: a stack
of operand types (``None`` for an unknown type after ``unreachable``) and a
stack of control frames. Module-level rules cover limits, indices, constant
expressions, exports and the start function (data counts are the decoder's).
The rules are one version's (:class:`~.versions.SpecVersion`, 3.0 unless told):
3.0 adds several memories, 64-bit memories (an address type per memory, 3.0
spec 2.3 "Memory instructions": every address operand has it), and
``global.get`` of the module's own immutable globals and integer ``add``,
``sub``, ``mul`` in constant expressions.
Raises :class:`~harness.errors.WasmDecodeError` ("invalid module: ...").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

from ..errors import WasmDecodeError
from .binary import FuncType, Instruction, Module
from .memory import MAX_PAGES, MAX_PAGES_64, Limits
from .opcodes import LANE, MEMARG, MEMARG_LANE, OPCODES, SHUFFLE
from .simd import VECTOR_BY_NAME, VectorInstruction
from .versions import DEFAULT_VERSION, SpecVersion

NUMERIC = ("i32", "i64", "f32", "f64")
#: What an untyped ``select`` may choose between: numbers and vectors (not references).
SELECTABLE = NUMERIC + ("v128",)
REFERENCE = ("funcref", "externref")
_WIDTH = {"i32": 4, "i64": 8, "f32": 4, "f64": 8}
_UNARY_SAME = {"clz", "ctz", "popcnt", "abs", "neg", "sqrt", "ceil", "floor", "trunc", "nearest",
               "extend8_s", "extend16_s", "extend32_s"}
_COMPARE = {"eq", "ne", "lt", "lt_s", "lt_u", "gt", "gt_s", "gt_u", "le", "le_s", "le_u", "ge", "ge_s", "ge_u"}


class Invalid(Exception):
    """A validation rule that does not hold."""


def invalid(reason: str) -> WasmDecodeError:
    """The error a validation failure raises."""
    return WasmDecodeError(f"invalid module: {reason}")


def signature(name: str) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
    """``(params, results)`` of a numeric, conversion or memory access instruction, by its name."""
    kind, _, operation = name.partition(".")
    if kind not in NUMERIC:
        return None
    if operation == "const":
        return (), (kind,)
    if operation == "eqz":
        return (kind,), ("i32",)
    if operation in _UNARY_SAME:
        return (kind,), (kind,)
    if operation in _COMPARE:
        return (kind, kind), ("i32",)
    if operation.startswith(("load", "store")):
        return ((("i32",), (kind,)) if operation.startswith("load") else (("i32", kind), ()))
    source = operation.split("_")
    for part in source[1:]:
        if part in NUMERIC:
            return (part,), (kind,)
    return (kind, kind), (kind,)  # add, sub, mul, div*, rem*, and, or, xor, shifts, rotations, min, max, copysign


def natural_alignment(name: str) -> int:
    """log2 of a memory access's width (``i64.load16_s`` -> 1)."""
    for bits, exponent in (("8", 0), ("16", 1), ("32", 2)):
        if name.split(".")[1].startswith(("load" + bits, "store" + bits)):
            return exponent
    return {4: 2, 8: 3}[_WIDTH[name.split(".")[0]]]


@dataclass
class Frame:
    """A control frame of the type checker."""

    opcode: str
    params: tuple[str, ...]
    results: tuple[str, ...]
    height: int
    unreachable: bool = False

    def label_types(self) -> tuple[str, ...]:
        """What a branch to this frame carries."""
        return self.params if self.opcode == "loop" else self.results


@dataclass
class Context:
    """What a function body may refer to."""

    module: Module
    functions: list[FuncType]
    tables: list[str]
    #: each memory's address type (``"i32"``, or ``"i64"`` for a 64-bit memory)
    memories: list[str]
    globals: list[Any]
    references: set[int] = field(default_factory=set)
    #: each table's address type, as ``memories``
    table_addresses: list[str] = field(default_factory=list)

    def table_address(self, index: int) -> str:
        """The address type of table ``index`` (a table known to exist)."""
        return self.table_addresses[index] if index < len(self.table_addresses) else "i32"


class BodyChecker:
    """Type-checks one function body."""

    def __init__(self, context: Context, signature_: FuncType, locals_: Sequence[str]) -> None:
        self.context = context
        self.locals = list(signature_.params) + list(locals_)
        self.values: list[str | None] = []
        self.frames = [Frame("function", (), signature_.results, 0)]

    # -- the operand stack ----------------------------------------------------------------
    def push(self, *types: str | None) -> None:
        self.values.extend(types)

    def pop(self, expected: str | None = None) -> str | None:
        frame = self.frames[-1]
        if len(self.values) == frame.height:
            if frame.unreachable:
                return None  # unknown: the stack is polymorphic after unreachable code
            raise Invalid("type mismatch: operand stack underflow")
        actual = self.values.pop()
        if actual is not None and expected is not None and actual != expected:
            raise Invalid(f"type mismatch: expected {expected}, got {actual}")
        return actual  # the spec's algorithm: an unknown operand stays unknown (br_table meets bottom)

    def pop_all(self, types: Sequence[str]) -> None:
        for value_type in reversed(types):
            self.pop(value_type)

    def unreachable(self) -> None:
        frame = self.frames[-1]
        del self.values[frame.height:]
        frame.unreachable = True

    def block_type(self, block_type: Any) -> tuple[tuple[str, ...], tuple[str, ...]]:
        if block_type is None:
            return (), ()
        if isinstance(block_type, str):
            return (), (block_type,)
        if block_type >= len(self.context.module.types):
            raise Invalid("unknown type")
        found = self.context.module.types[block_type]
        return found.params, found.results

    def label(self, depth: int) -> Frame:
        if depth >= len(self.frames):
            raise Invalid("unknown label")
        return self.frames[-1 - depth]

    # -- instructions -------------------------------------------------------------------
    def check(self, code: Sequence[Instruction]) -> None:
        for opcode, immediate in code:
            self.instruction(OPCODES[opcode][0], immediate)
        if self.frames:
            raise Invalid("function body does not end")

    def instruction(self, name: str, immediate: Any) -> None:
        handler = getattr(self, "op_" + name.replace(".", "_"), None)
        if handler is not None:
            handler(immediate)
            return
        vector = VECTOR_BY_NAME.get(name)
        if vector is not None:
            self.vector(vector, immediate)
            return
        found = signature(name)
        if found is None:
            raise Invalid(f"cannot validate {name}")
        params = found[0]
        if ".load" in name or ".store" in name:
            address = self.memory_access(immediate, 1 << natural_alignment(name))
            params = (address, *params[1:])
        self.pop_all(params)
        self.push(*found[1])

    def memory_access(self, memarg: Any, width: int) -> str:
        """Check a memarg for an access of ``width`` bytes (3.0 spec 2.3, ``Memarg_ok``); the address type."""
        align, offset, memory = memarg
        address = self.need_memory(memory)
        if 1 << align > width:
            raise Invalid("alignment must not be larger than natural")
        if address == "i32" and offset >> 32:
            raise Invalid("offset out of range: a 32-bit memory's offsets are below 2^32")
        return address

    def vector(self, instruction: VectorInstruction, immediate: Any) -> None:
        """A vector instruction: its memory access and lane indices, then its operands and results.

        A memory access's first operand is its address, of the memory's address type.
        """
        params = instruction.params
        if instruction.immediate in (MEMARG, MEMARG_LANE):
            memarg = immediate if instruction.immediate == MEMARG else immediate[0]
            params = (self.memory_access(memarg, instruction.access_bytes or 0), *params[1:])
        if instruction.immediate == MEMARG_LANE:
            self.lanes(instruction, (immediate[1],))
        elif instruction.immediate == LANE:
            self.lanes(instruction, (immediate,))
        elif instruction.immediate == SHUFFLE:
            self.lanes(instruction, immediate)
        self.pop_all(params)
        self.push(*instruction.results)

    def lanes(self, instruction: VectorInstruction, indices: Sequence[int]) -> None:
        if any(index >= (instruction.lane_bound or 0) for index in indices):
            raise Invalid("invalid lane index")

    def need_memory(self, index: int = 0) -> str:
        """The address type of memory ``index``; "unknown memory" when there is none."""
        if index >= len(self.context.memories):
            raise Invalid("unknown memory")
        return self.context.memories[index]

    def op_unreachable(self, _: Any) -> None:
        self.unreachable()

    def op_nop(self, _: Any) -> None:
        pass

    def _enter(self, kind: str, block_type: Any) -> None:
        params, results = self.block_type(block_type)
        self.pop_all(params)
        self.frames.append(Frame(kind, params, results, len(self.values)))
        self.push(*params)

    def op_block(self, immediate: Any) -> None:
        self._enter("block", immediate[0])

    def op_loop(self, immediate: Any) -> None:
        self._enter("loop", immediate[0])

    def op_if(self, immediate: Any) -> None:
        self.pop("i32")
        self._enter("if", immediate[0])

    def _leave(self) -> Frame:
        frame = self.frames[-1]
        self.pop_all(frame.results)
        if len(self.values) != frame.height:
            raise Invalid("type mismatch: values left on the stack at the end of a block")
        return self.frames.pop()

    def op_else(self, _: Any) -> None:
        frame = self._leave()
        if frame.opcode != "if":
            raise Invalid("else without if")
        self.frames.append(Frame("else", frame.params, frame.results, len(self.values)))
        self.push(*frame.params)

    def op_end(self, _: Any) -> None:
        frame = self._leave()
        if frame.opcode == "if" and frame.params != frame.results:
            raise Invalid("type mismatch: if without else must not change the stack")
        if self.frames:
            self.push(*frame.results)

    def op_br(self, depth: int) -> None:
        self.pop_all(self.label(depth).label_types())
        self.unreachable()

    def op_br_if(self, depth: int) -> None:
        self.pop("i32")
        types = self.label(depth).label_types()
        self.pop_all(types)
        self.push(*types)

    def op_br_table(self, immediate: Any) -> None:
        targets, default = immediate
        self.pop("i32")
        arity = len(self.label(default).label_types())
        for depth in (*targets, default):
            types = self.label(depth).label_types()
            if len(types) != arity:
                raise Invalid("type mismatch: br_table targets of different arity")
            popped = [self.pop(t) for t in reversed(types)]
            self.push(*reversed(popped))
        self.pop_all(self.label(default).label_types())
        self.unreachable()

    def op_return(self, _: Any) -> None:
        self.pop_all(self.frames[0].results)
        self.unreachable()

    def _call(self, target: FuncType) -> None:
        self.pop_all(target.params)
        self.push(*target.results)

    def op_call(self, index: int) -> None:
        if index >= len(self.context.functions):
            raise Invalid("unknown function")
        self._call(self.context.functions[index])

    def op_call_indirect(self, immediate: Any) -> None:
        type_index, table = immediate
        if table >= len(self.context.tables) or self.context.tables[table] != "funcref":
            raise Invalid("unknown table")
        if type_index >= len(self.context.module.types):
            raise Invalid("unknown type")
        self.pop(self.context.table_address(table))
        self._call(self.context.module.types[type_index])

    def op_drop(self, _: Any) -> None:
        self.pop()

    def op_select(self, immediate: Any) -> None:
        self.pop("i32")
        if immediate:  # select t*
            self.pop(immediate[0])
            self.pop(immediate[0])
            self.push(immediate[0])
            return
        first, second = self.pop(), self.pop()
        if (first is not None and first not in SELECTABLE) or (second is not None and second not in SELECTABLE):
            raise Invalid("type mismatch: select needs numeric or vector operands")
        if first is not None and second is not None and first != second:
            raise Invalid("type mismatch: select operands differ")
        self.push(first if first is not None else second)

    def _local(self, index: int) -> str:
        if index >= len(self.locals):
            raise Invalid("unknown local")
        return self.locals[index]

    def op_local_get(self, index: int) -> None:
        self.push(self._local(index))

    def op_local_set(self, index: int) -> None:
        self.pop(self._local(index))

    def op_local_tee(self, index: int) -> None:
        value_type = self._local(index)
        self.pop(value_type)
        self.push(value_type)

    def _global(self, index: int) -> Any:
        if index >= len(self.context.globals):
            raise Invalid("unknown global")
        return self.context.globals[index]

    def op_global_get(self, index: int) -> None:
        self.push(self._global(index).value_type)

    def op_global_set(self, index: int) -> None:
        found = self._global(index)
        if not found.mutable:
            raise Invalid("global is immutable")
        self.pop(found.value_type)

    def op_memory_size(self, index: int) -> None:
        self.push(self.need_memory(index))

    def op_memory_grow(self, index: int) -> None:
        address = self.need_memory(index)
        self.pop(address)
        self.push(address)

    def op_memory_fill(self, index: int) -> None:
        address = self.need_memory(index)
        self.pop_all((address, "i32", address))

    def op_memory_copy(self, immediate: Any) -> None:
        """``[at1 at2 min(at1, at2)]``: the length fits both memories (3.0 spec 2.3, ``memory.copy``)."""
        destination, source = (self.need_memory(index) for index in immediate)
        length = "i32" if "i32" in (destination, source) else "i64"
        self.pop_all((destination, source, length))

    def _data(self, index: int) -> None:
        # the data count rules are the decoder's (binary format); it has checked them already
        if index >= len(self.context.module.data):
            raise Invalid("unknown data segment")

    def op_memory_init(self, immediate: Any) -> None:
        data_index, memory = immediate
        address = self.need_memory(memory)
        self._data(data_index)
        self.pop_all((address, "i32", "i32"))

    def op_data_drop(self, index: int) -> None:
        self._data(index)

    def op_ref_null(self, value_type: str) -> None:
        self.push(value_type)

    def op_ref_is_null(self, _: Any) -> None:
        value_type = self.pop()
        if value_type is not None and value_type not in REFERENCE:
            raise Invalid("type mismatch: ref.is_null needs a reference")
        self.push("i32")

    def op_ref_func(self, index: int) -> None:
        if index >= len(self.context.functions):
            raise Invalid("unknown function")
        if index not in self.context.references:
            raise Invalid("undeclared function reference")
        self.push("funcref")


def _table_ops(checker: type[BodyChecker]) -> None:
    """table.* and elem.drop (kept apart to keep the class readable); indices have the table's address type."""
    def table(self: BodyChecker, index: int) -> str:
        if index >= len(self.context.tables):
            raise Invalid("unknown table")
        return self.context.tables[index]

    def elem(self: BodyChecker, index: int) -> None:
        if index >= len(self.context.module.elements):
            raise Invalid("unknown elem segment")

    def get(self: BodyChecker, index: int) -> None:
        element = table(self, index)
        self.pop(self.context.table_address(index))
        self.push(element)

    def set_(self: BodyChecker, index: int) -> None:
        self.pop(table(self, index))
        self.pop(self.context.table_address(index))

    def size(self: BodyChecker, index: int) -> None:
        table(self, index)
        self.push(self.context.table_address(index))

    def grow(self: BodyChecker, index: int) -> None:
        element, address = table(self, index), self.context.table_address(index)
        self.pop(address)
        self.pop(element)
        self.push(address)

    def fill(self: BodyChecker, index: int) -> None:
        element, address = table(self, index), self.context.table_address(index)
        self.pop(address)
        self.pop(element)
        self.pop(address)

    def copy(self: BodyChecker, immediate: Any) -> None:
        destination, source = immediate
        if table(self, destination) != table(self, source):
            raise Invalid("type mismatch: table.copy between tables of different types")
        addresses = (self.context.table_address(destination), self.context.table_address(source))
        self.pop_all((*addresses, "i32" if "i32" in addresses else "i64"))

    def init(self: BodyChecker, immediate: Any) -> None:
        element, index = immediate
        elem(self, element)
        if self.context.module.elements[element].element_type != table(self, index):
            raise Invalid("type mismatch: table.init element type")
        self.pop_all((self.context.table_address(index), "i32", "i32"))

    for name, function in (("table_get", get), ("table_set", set_), ("table_size", size), ("table_grow", grow),
                           ("table_fill", fill), ("table_copy", copy), ("table_init", init),
                           ("elem_drop", elem)):
        setattr(checker, "op_" + name, function)


_table_ops(BodyChecker)


#: What a constant expression may hold besides ``global.get`` (3.0 spec 2.3, ``Instr_const``).
_CONSTANT_INSTRUCTIONS = frozenset({"i32.const", "i64.const", "f32.const", "f64.const", "v128.const", "ref.null",
                                    "ref.func"})
#: Extended constant expressions (3.0): integer add, sub and mul.
_EXTENDED_CONSTANT_INSTRUCTIONS = frozenset({"i32.add", "i32.sub", "i32.mul", "i64.add", "i64.sub", "i64.mul"})


def _constant_type(context: Context, expression: Sequence[Instruction], readable_globals: int,
                   version: SpecVersion) -> str:
    """The type a constant expression produces; it may read the first ``readable_globals`` globals (immutable ones)."""
    allowed = _CONSTANT_INSTRUCTIONS | (_EXTENDED_CONSTANT_INSTRUCTIONS if version.extended_constants else frozenset())
    checker = BodyChecker(context, FuncType((), ()), ())
    checker.frames[0].results = ()
    for opcode, immediate in expression[:-1]:
        name = OPCODES[opcode][0]
        if name == "global.get":
            if immediate >= readable_globals:
                raise Invalid(f"unknown global {immediate}: this constant expression reads only the first "
                              f"{readable_globals}")
            if context.globals[immediate].mutable:
                raise Invalid("constant expression required: global.get of a mutable global")
        elif name not in allowed:
            raise Invalid("constant expression required")
        checker.instruction(name, immediate)
    if len(checker.values) != 1:
        raise Invalid("type mismatch: a constant expression must produce one value")
    return str(checker.values[0])


def validate(module: Module, *, version: SpecVersion = DEFAULT_VERSION) -> None:
    """Raise ``WasmDecodeError('invalid module: ...')`` unless the module is valid by ``version``'s rules."""
    try:
        _validate(module, version)
    except Invalid as reason:
        raise invalid(str(reason)) from None


def _check_memory_types(memories: Sequence[Limits], version: SpecVersion) -> None:
    """Each memory's limits within its address type's (3.0 spec 2.1, ``Memtype_ok``); one memory in 2.0."""
    if len(memories) > 1 and not version.multi_memory:
        raise Invalid("multiple memories")
    for limits in memories:
        ceiling = MAX_PAGES_64 if limits.address == "i64" else MAX_PAGES
        if limits.minimum > ceiling or (limits.maximum is not None and limits.maximum > ceiling):
            raise Invalid(f"memory size must be at most {ceiling} pages")
        if limits.maximum is not None and limits.minimum > limits.maximum:
            raise Invalid("size minimum must not be greater than maximum")
        if limits.shared and limits.maximum is None:
            raise Invalid("shared memory must have maximum")


def _check_table_types(tables: Sequence[Any]) -> None:
    for table in tables:
        ceiling = (1 << 64 if table.limits.address == "i64" else 1 << 32) - 1
        if table.limits.minimum > ceiling or (table.limits.maximum is not None and table.limits.maximum > ceiling):
            raise Invalid("table size must be at most 2^32-1 (2^64-1 for a 64-bit table)")
        if table.limits.maximum is not None and table.limits.minimum > table.limits.maximum:
            raise Invalid("size minimum must not be greater than maximum")


def _declared_references(module: Module) -> set[int]:
    """The functions ``ref.func`` may name in bodies: those exported or named outside functions."""
    references = {export.index for export in module.exports if export.kind == "func"}
    for segment in module.elements:
        references.update(immediate for item in segment.items for opcode, immediate in item if opcode == 0xD2)
    for definition in module.globals:
        references.update(immediate for opcode, immediate in definition.init if opcode == 0xD2)
    return references


def _check_globals(module: Module, context: Context, version: SpecVersion) -> None:
    """Each global's initialiser: 2.0 reads imported globals only, 3.0 the globals before it too."""
    imported = len(module.imported("global"))
    for index, definition in enumerate(module.globals):
        readable = imported + index if version.extended_constants else imported
        partial = Context(module, context.functions, context.tables, context.memories,
                          context.globals[:readable], context.references, context.table_addresses)
        if _constant_type(partial, definition.init, readable, version) != definition.type.value_type:
            raise Invalid("type mismatch in a global's initialiser")


def _check_segments(module: Module, context: Context, version: SpecVersion) -> None:
    """Data and element segments: their memory or table, and their constant offsets and items."""
    readable = len(context.globals) if version.extended_constants else len(module.imported("global"))
    tables = module.table_types()
    for segment in module.data:
        if segment.mode == "active":
            if segment.memory >= len(context.memories):
                raise Invalid("unknown memory")
            if _constant_type(context, segment.offset, readable, version) != context.memories[segment.memory]:
                raise Invalid("type mismatch in a data segment's offset")
    for element in module.elements:
        if element.mode == "active":
            if element.table >= len(tables):
                raise Invalid("unknown table")
            if _constant_type(context, element.offset, readable, version) != tables[element.table].limits.address:
                raise Invalid("type mismatch in an element segment's offset")
            if tables[element.table].element != element.element_type:
                raise Invalid("type mismatch: element segment and table element types differ")
        for item in element.items:
            if _constant_type(context, item, readable, version) != element.element_type:
                raise Invalid("type mismatch in an element segment")


def _check_exports_and_start(module: Module, context: Context) -> None:
    names = [export.name for export in module.exports]
    if len(set(names)) != len(names):
        raise Invalid("duplicate export name")
    spaces = {"func": len(context.functions), "table": len(context.tables), "memory": len(context.memories),
              "global": len(context.globals)}
    for export in module.exports:
        if export.index >= spaces[export.kind]:
            raise Invalid(f"unknown {export.kind}")
    if module.start is not None:
        if module.start >= len(context.functions):
            raise Invalid("unknown function")
        if context.functions[module.start] != FuncType((), ()):
            raise Invalid("start function must have no parameters and no results")


def _validate(module: Module, version: SpecVersion) -> None:
    imported_functions = [module.types[entry.desc] for entry in module.imported("func")
                          if entry.desc < len(module.types)]
    if len(imported_functions) != len(module.imported("func")) or any(t >= len(module.types) for t in module.functions):
        raise Invalid("unknown type")
    memories = module.memory_types()
    _check_memory_types(memories, version)
    tables = module.table_types()
    _check_table_types(tables)
    context = Context(module, imported_functions + [module.types[t] for t in module.functions],
                      [table.element for table in tables], [limits.address for limits in memories],
                      module.global_types(), _declared_references(module),
                      [table.limits.address for table in tables])
    _check_globals(module, context, version)
    _check_segments(module, context, version)
    _check_exports_and_start(module, context)
    for type_index, body in zip(module.functions, module.bodies):
        BodyChecker(context, module.types[type_index], body.locals).check(body.code)
