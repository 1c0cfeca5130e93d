"""Validating a decoded module (the spec's validation rules: WebAssembly 2.0 with SIMD, and 3.0's relaxed SIMD).

Function bodies are type-checked with the spec appendix's algorithm: a stack
of operand types (``None`` for an unknown type after ``unreachable``) and a
stack of control frames. Module-level rules cover limits, indices, constant
expressions, exports and the start function (data counts are the decoder's). ``multi_memory``
allows more than one memory (a later proposal the scenarios use).
Raises :class:`~harness.errors.WasmDecodeError` ("invalid module: ...").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

from ..errors import WasmDecodeError
from .binary import FuncType, Instruction, Module
from .memory import MAX_PAGES
from .opcodes import LANE, MEMARG, MEMARG_LANE, OPCODES, SHUFFLE
from .simd import VECTOR_BY_NAME, VectorInstruction

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
    memories: int
    globals: list[Any]
    references: set[int] = field(default_factory=set)


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
        if ".load" in name or ".store" in name:
            self.memory_access(name, immediate)
        self.pop_all(found[0])
        self.push(*found[1])

    def memory_access(self, name: str, memarg: Any) -> None:
        align, _offset, memory = memarg
        if memory >= self.context.memories:
            raise Invalid("unknown memory")
        if align > natural_alignment(name):
            raise Invalid("alignment must not be larger than natural")

    def vector(self, instruction: VectorInstruction, immediate: Any) -> None:
        """A vector instruction: its memory access and lane indices, then its operands and results."""
        if instruction.immediate == MEMARG:
            self.vector_access(instruction, immediate)
        elif instruction.immediate == MEMARG_LANE:
            self.vector_access(instruction, immediate[0])
            self.lanes(instruction, (immediate[1],))
        elif instruction.immediate == LANE:
            self.lanes(instruction, (immediate,))
        elif instruction.immediate == SHUFFLE:
            self.lanes(instruction, immediate)
        self.pop_all(instruction.params)
        self.push(*instruction.results)

    def vector_access(self, instruction: VectorInstruction, memarg: Any) -> None:
        align, _offset, memory = memarg
        self.need_memory(memory)
        if 1 << align > (instruction.access_bytes or 0):
            raise Invalid("alignment must not be larger than natural")

    def lanes(self, instruction: VectorInstruction, indices: Sequence[int]) -> None:
        if any(index >= (instruction.lane_bound or 0) for index in indices):
            raise Invalid("invalid lane index")

    def need_memory(self, index: int = 0) -> None:
        if index >= self.context.memories:
            raise Invalid("unknown memory")

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
        self.pop("i32")
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
        self.need_memory(index)
        self.push("i32")

    def op_memory_grow(self, index: int) -> None:
        self.need_memory(index)
        self.pop("i32")
        self.push("i32")

    def op_memory_fill(self, index: int) -> None:
        self.need_memory(index)
        self.pop_all(("i32", "i32", "i32"))

    def op_memory_copy(self, immediate: Any) -> None:
        for index in immediate:
            self.need_memory(index)
        self.pop_all(("i32", "i32", "i32"))

    def _data(self, index: int) -> None:
        # the data count rules are the decoder's (binary format); it has checked them already
        if index >= len(self.context.module.data):
            raise Invalid("unknown data segment")

    def op_memory_init(self, immediate: Any) -> None:
        data_index, memory = immediate
        self.need_memory(memory)
        self._data(data_index)
        self.pop_all(("i32", "i32", "i32"))

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
    """table.* and elem.drop (kept apart to keep the class readable)."""
    def table(self: BodyChecker, index: int) -> str:
        if index >= len(self.context.tables):
            raise Invalid("unknown table")
        return self.context.tables[index]

    def elem(self: BodyChecker, index: int) -> None:
        if index >= len(self.context.module.elements):
            raise Invalid("unknown elem segment")

    def get(self: BodyChecker, index: int) -> None:
        self.pop("i32")
        self.push(table(self, index))

    def set_(self: BodyChecker, index: int) -> None:
        self.pop(table(self, index))
        self.pop("i32")

    def size(self: BodyChecker, index: int) -> None:
        table(self, index)
        self.push("i32")

    def grow(self: BodyChecker, index: int) -> None:
        self.pop("i32")
        self.pop(table(self, index))
        self.push("i32")

    def fill(self: BodyChecker, index: int) -> None:
        self.pop("i32")
        self.pop(table(self, index))
        self.pop("i32")

    def copy(self: BodyChecker, immediate: Any) -> None:
        destination, source = immediate
        if table(self, destination) != table(self, source):
            raise Invalid("type mismatch: table.copy between tables of different types")
        self.pop_all(("i32", "i32", "i32"))

    def init(self: BodyChecker, immediate: Any) -> None:
        element, index = immediate
        elem(self, element)
        if self.context.module.elements[element].element_type != table(self, index):
            raise Invalid("type mismatch: table.init element type")
        self.pop_all(("i32", "i32", "i32"))

    for name, function in (("table_get", get), ("table_set", set_), ("table_size", size), ("table_grow", grow),
                           ("table_fill", fill), ("table_copy", copy), ("table_init", init),
                           ("elem_drop", elem)):
        setattr(checker, "op_" + name, function)


_table_ops(BodyChecker)


def _constant_type(context: Context, expression: Sequence[Instruction], imported_globals: int) -> str:
    checker = BodyChecker(context, FuncType((), ()), ())
    checker.frames[0].results = ()
    for opcode, immediate in expression[:-1]:
        name = OPCODES[opcode][0]
        if name not in ("i32.const", "i64.const", "f32.const", "f64.const", "v128.const", "global.get", "ref.null",
                        "ref.func"):
            raise Invalid("constant expression required")
        if name == "global.get" and (immediate >= imported_globals or context.globals[immediate].mutable):
            raise Invalid("unknown global: constant expressions may only read imported immutable globals")
        checker.instruction(name, immediate)
    if len(checker.values) != 1:
        raise Invalid("type mismatch: a constant expression must produce one value")
    return str(checker.values[0])


def validate(module: Module, *, multi_memory: bool = False) -> None:
    """Raise ``WasmDecodeError('invalid module: ...')`` unless the module is valid."""
    try:
        _validate(module, multi_memory)
    except Invalid as reason:
        raise invalid(str(reason)) from None


def _validate(module: Module, multi_memory: bool) -> None:
    imported_functions = [module.types[entry.desc] for entry in module.imported("func")
                          if entry.desc < len(module.types)]
    if len(imported_functions) != len(module.imported("func")) or any(t >= len(module.types) for t in module.functions):
        raise Invalid("unknown type")
    memories = module.memory_types()
    if len(memories) > 1 and not multi_memory:
        raise Invalid("multiple memories")
    for limits in memories:
        if limits.minimum > MAX_PAGES or (limits.maximum is not None and limits.maximum > MAX_PAGES):
            raise Invalid("memory size must be at most 65536 pages (4GiB)")
        if limits.maximum is not None and limits.minimum > limits.maximum:
            raise Invalid("size minimum must not be greater than maximum")
        if limits.shared and limits.maximum is None:
            raise Invalid("shared memory must have maximum")
    tables = module.table_types()
    for table in tables:
        if table.limits.maximum is not None and table.limits.minimum > table.limits.maximum:
            raise Invalid("size minimum must not be greater than maximum")
    imported_globals = [entry.desc for entry in module.imported("global")]
    references = {export.index for export in module.exports if export.kind == "func"}
    for segment in module.elements:
        references.update(immediate for item in segment.items for opcode, immediate in item if opcode == 0xD2)
    for definition in module.globals:
        references.update(immediate for opcode, immediate in definition.init if opcode == 0xD2)
    context = Context(module, imported_functions + [module.types[t] for t in module.functions],
                      [table.element for table in tables], len(memories), module.global_types(),
                      references)
    for index, definition in enumerate(module.globals):
        partial = Context(module, context.functions, context.tables, context.memories, imported_globals, references)
        if _constant_type(partial, definition.init, len(imported_globals)) != definition.type.value_type:
            raise Invalid("type mismatch in a global's initialiser")
    for segment in module.data:
        if segment.mode == "active":
            if segment.memory >= len(memories):
                raise Invalid("unknown memory")
            if _constant_type(context, segment.offset, len(imported_globals)) != "i32":
                raise Invalid("type mismatch in a data segment's offset")
    for segment in module.elements:
        if segment.mode == "active":
            if segment.table >= len(tables):
                raise Invalid("unknown table")
            if _constant_type(context, segment.offset, len(imported_globals)) != "i32":
                raise Invalid("type mismatch in an element segment's offset")
            if tables[segment.table].element != segment.element_type:
                raise Invalid("type mismatch: element segment and table element types differ")
        for item in segment.items:
            if _constant_type(context, item, len(imported_globals)) != segment.element_type:
                raise Invalid("type mismatch in an element segment")
    names = [export.name for export in module.exports]
    if len(set(names)) != len(names):
        raise Invalid("duplicate export name")
    spaces = {"func": len(context.functions), "table": len(tables), "memory": len(memories),
              "global": len(context.globals)}
    for export in module.exports:
        if export.index >= spaces[export.kind]:
            raise Invalid(f"unknown {export.kind}")
    if module.start is not None:
        if module.start >= len(context.functions):
            raise Invalid("unknown function")
        if context.functions[module.start] != FuncType((), ()):
            raise Invalid("start function must have no parameters and no results")
    for type_index, body in zip(module.functions, module.bodies):
        BodyChecker(context, module.types[type_index], body.locals).check(body.code)
