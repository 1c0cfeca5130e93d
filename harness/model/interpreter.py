"""Executing function bodies: the reference model's interpreter.

Code is the decoder's flat ``(opcode, immediate)`` list. Structured control
uses a label stack of ``(arity, stack_height, target_pc, is_loop)``: a branch
truncates the value stack to the label's height plus its arity and jumps to
the target. Integer arithmetic comes from :mod:`numeric`; memory instructions
go through :class:`~harness.model.memory.Memory`, whose bounds checks trap.
An instruction with no handler raises :class:`UnsupportedInstruction`.
"""

from __future__ import annotations

import sys
from typing import Any, Callable

from .binary import FuncType, Instruction
from .instance import Function, HostFunction, Instance, WasmFunction
from .numeric import BINARY, MASK32, MASK64, UNARY, signed
from .opcodes import BY_NAME, OPCODES
from .traps import FuelExhausted, Trap, TrapKind, UnsupportedInstruction

#: Deeper call chains trap with "call stack exhausted" (Python's own stack is the limit).
MAX_CALL_DEPTH = 300
#: Backward branches plus calls one invocation from the host may make before the model gives up.
FUEL_LIMIT = 20_000_000


#: Python frames one wasm call takes at most (invoke, run, the call handler and its helper).
_FRAMES_PER_CALL = 6


def _ensure_python_stack() -> None:
    """Raise Python's recursion limit enough for MAX_CALL_DEPTH wasm calls above the current depth."""
    needed = _current_depth() + MAX_CALL_DEPTH * _FRAMES_PER_CALL + 100
    if sys.getrecursionlimit() < needed:
        sys.setrecursionlimit(needed)


def _current_depth() -> int:
    frame, depth = sys._getframe(), 0
    while frame is not None:
        frame, depth = frame.f_back, depth + 1
    return depth


class Fuel:
    """The budget of one invocation from the host, shared by every call it makes."""

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self.remaining = budget

    def spend(self) -> None:
        """Use one unit; raise :class:`FuelExhausted` when none is left."""
        self.remaining -= 1
        if self.remaining < 0:
            raise FuelExhausted(self.budget)

# load opcode -> (byte width, sign-extend, result bit width)
_LOADS = {
    BY_NAME["i32.load"]: (4, False, 32), BY_NAME["i64.load"]: (8, False, 64),
    BY_NAME["f32.load"]: (4, False, 32), BY_NAME["f64.load"]: (8, False, 64),
    BY_NAME["i32.load8_s"]: (1, True, 32), BY_NAME["i32.load8_u"]: (1, False, 32),
    BY_NAME["i32.load16_s"]: (2, True, 32), BY_NAME["i32.load16_u"]: (2, False, 32),
    BY_NAME["i64.load8_s"]: (1, True, 64), BY_NAME["i64.load8_u"]: (1, False, 64),
    BY_NAME["i64.load16_s"]: (2, True, 64), BY_NAME["i64.load16_u"]: (2, False, 64),
    BY_NAME["i64.load32_s"]: (4, True, 64), BY_NAME["i64.load32_u"]: (4, False, 64),
}
# store opcode -> byte width
_STORES = {
    BY_NAME["i32.store"]: 4, BY_NAME["i64.store"]: 8, BY_NAME["f32.store"]: 4,
    BY_NAME["f64.store"]: 8, BY_NAME["i32.store8"]: 1, BY_NAME["i32.store16"]: 2,
    BY_NAME["i64.store8"]: 1, BY_NAME["i64.store16"]: 2, BY_NAME["i64.store32"]: 4,
}
_CONSTANTS = {BY_NAME["i32.const"]: MASK32, BY_NAME["i64.const"]: MASK64}
_LOCAL_GET_OPCODE, _LOCAL_SET_OPCODE, _LOCAL_TEE_OPCODE = BY_NAME["local.get"], BY_NAME["local.set"], BY_NAME["local.tee"]
_BR_IF_OPCODE = BY_NAME["br_if"]
_FLOAT_CONSTANTS = (BY_NAME["f32.const"], BY_NAME["f64.const"])


def block_arity(instance: Instance, block_type: Any) -> tuple[int, int]:
    """``(parameter count, result count)`` of a block type."""
    if block_type is None:
        return 0, 0
    if isinstance(block_type, str):
        return 0, 1
    signature: FuncType = instance.module.types[block_type]
    return len(signature.params), len(signature.results)


def evaluate_constant(instance: Instance, expression: tuple[Instruction, ...]) -> int:
    """The value of a constant expression (offsets, global initialisers)."""
    stack: list[int] = []
    for opcode, immediate in expression:
        if opcode in _CONSTANTS:
            stack.append(immediate & _CONSTANTS[opcode])
        elif opcode in _FLOAT_CONSTANTS:
            stack.append(int.from_bytes(immediate, "little"))
        elif opcode == BY_NAME["global.get"]:
            stack.append(instance.globals[immediate].value)
        elif opcode == BY_NAME["ref.func"]:
            stack.append(instance.functions[immediate])
        elif opcode == BY_NAME["ref.null"]:
            stack.append(None)
        elif opcode in BINARY:  # extended constant expressions: add, sub, mul
            right = stack.pop()
            stack.append(BINARY[opcode](stack.pop(), right))
        elif opcode != BY_NAME["end"]:
            raise UnsupportedInstruction(OPCODES[opcode][0] + " in a constant expression")
    return stack[-1]


def invoke(function: Function, args: list[int], depth: int = 0, fuel: Fuel | None = None) -> list[int]:
    """Call ``function`` with canonical ``args``; return its results (canonical).

    Raises :class:`Trap` for traps and :class:`FuelExhausted` when the
    invocation runs past ``FUEL_LIMIT`` loop iterations and calls.
    """
    if depth > MAX_CALL_DEPTH:
        raise Trap(TrapKind.CALL_STACK_EXHAUSTED)
    if fuel is None:  # a call from the host: make room for MAX_CALL_DEPTH nested wasm calls
        _ensure_python_stack()
        try:
            return invoke(function, args, depth, Fuel(FUEL_LIMIT))
        except RecursionError:  # whatever the host's own depth was, exhaustion is a trap, never a crash
            raise Trap(TrapKind.CALL_STACK_EXHAUSTED) from None
    fuel.spend()
    if isinstance(function, HostFunction):
        return function.call(list(args))
    locals_ = list(args) + [0] * len(function.body.locals)
    return Execution(function, locals_, depth, fuel).run()


_BINARY, _UNARY, _LOCAL_GET, _LOCAL_SET, _LOCAL_TEE, _CONSTANT, _BR_IF, _HANDLER = range(8)


def compile_body(body: Any) -> list[tuple[int, Any, Any]]:
    """The dispatch form of a body: ``(kind, function, immediate)`` per instruction, cached on the body.

    An instruction the interpreter does not execute raises
    :class:`UnsupportedInstruction` when the body is first run.
    """
    compiled: list[tuple[int, Any, Any]] = []
    for opcode, immediate in body.code:
        if opcode in BINARY:
            compiled.append((_BINARY, BINARY[opcode], None))
        elif opcode in UNARY:
            compiled.append((_UNARY, UNARY[opcode], None))
        elif opcode == _LOCAL_GET_OPCODE:
            compiled.append((_LOCAL_GET, None, immediate))
        elif opcode == _LOCAL_SET_OPCODE:
            compiled.append((_LOCAL_SET, None, immediate))
        elif opcode == _LOCAL_TEE_OPCODE:
            compiled.append((_LOCAL_TEE, None, immediate))
        elif opcode in _CONSTANTS:
            compiled.append((_CONSTANT, None, immediate & _CONSTANTS[opcode]))
        elif opcode == _BR_IF_OPCODE:
            compiled.append((_BR_IF, None, immediate))
        elif opcode in _HANDLERS:
            compiled.append((_HANDLER, _HANDLERS[opcode], immediate))
        else:
            raise UnsupportedInstruction(OPCODES[opcode][0])
    body.compiled = compiled
    return compiled


class Execution:
    """One activation of a :class:`WasmFunction`."""

    def __init__(self, function: WasmFunction, locals_: list[int], depth: int, fuel: Fuel) -> None:
        self.instance = function.instance
        self.code = function.body.code
        self.compiled = function.body.compiled or compile_body(function.body)
        self.results = len(function.type.results)
        self.locals = locals_
        self.depth = depth
        self.fuel = fuel
        self.stack: list[int] = []
        self.labels: list[tuple[int, int, int, bool]] = [(self.results, 0, len(self.code), False)]

    def run(self) -> list[int]:
        """Execute until the function's last ``end`` or a ``return``.

        The hot instructions (binary and unary operators, locals, constants)
        are dispatched inline; everything else goes through its handler.
        """
        code, stack, locals_ = self.compiled, self.stack, self.locals
        pop, push = stack.pop, stack.append
        end = len(code)
        pc = 0
        while pc < end:
            kind, operation, immediate = code[pc]
            pc += 1
            if kind == _BINARY:
                right = pop()
                stack[-1] = operation(stack[-1], right)
            elif kind == _LOCAL_GET:
                push(locals_[immediate])
            elif kind == _CONSTANT:
                push(immediate)
            elif kind == _LOCAL_SET:
                locals_[immediate] = pop()
            elif kind == _UNARY:
                stack[-1] = operation(stack[-1])
            elif kind == _LOCAL_TEE:
                locals_[immediate] = stack[-1]
            elif kind == _BR_IF:
                if pop():
                    pc = self.branch(immediate)
            else:
                target = operation(self, immediate, pc)
                if target is not None:
                    pc = target
        return stack[len(stack) - self.results:] if self.results else []

    def branch(self, depth: int) -> int:
        """Leave ``depth`` enclosing labels plus the target's; return the new pc."""
        arity, height, target, is_loop = self.labels[-1 - depth]
        if arity:
            values = self.stack[-arity:]
            del self.stack[height:]
            self.stack.extend(values)
        else:
            del self.stack[height:]
        if is_loop:
            self.fuel.spend()
            del self.labels[len(self.labels) - depth:]
        else:
            del self.labels[len(self.labels) - depth - 1:]
        return target



Handler = Callable[[Execution, Any, int], "int | None"]


def _enter_block(execution: Execution, immediate: Any, pc: int) -> None:
    block_type, _else, end = immediate
    params, results = block_arity(execution.instance, block_type)
    execution.labels.append((results, len(execution.stack) - params, end + 1, False))


def _enter_loop(execution: Execution, immediate: Any, pc: int) -> None:
    params, _results = block_arity(execution.instance, immediate[0])
    execution.labels.append((params, len(execution.stack) - params, pc, True))


def _enter_if(execution: Execution, immediate: Any, pc: int) -> int | None:
    block_type, else_index, end = immediate
    condition = execution.stack.pop()
    params, results = block_arity(execution.instance, block_type)
    execution.labels.append((results, len(execution.stack) - params, end + 1, False))
    if condition:
        return None
    return else_index + 1 if else_index is not None else end


def _else(execution: Execution, immediate: Any, pc: int) -> int:
    # Reached at the end of a taken then-branch: skip to the matching end,
    # which pops the label.
    return execution.labels[-1][2] - 1


def _end(execution: Execution, immediate: Any, pc: int) -> None:
    execution.labels.pop()


def _br_if(execution: Execution, depth: int, pc: int) -> int | None:
    return execution.branch(depth) if execution.stack.pop() else None


def _br_table(execution: Execution, immediate: Any, pc: int) -> int:
    targets, default = immediate
    index = execution.stack.pop()
    return execution.branch(targets[index] if index < len(targets) else default)


def _return(execution: Execution, immediate: Any, pc: int) -> int:
    return execution.branch(len(execution.labels) - 1)


def _call_function(execution: Execution, function: Function) -> None:
    """Move the arguments from the stack into a call and push its results."""
    count = len(function.type.params)
    stack = execution.stack
    args = stack[len(stack) - count:] if count else []
    del stack[len(stack) - count:]
    stack.extend(invoke(function, args, execution.depth + 1, execution.fuel))


def _call(execution: Execution, function_index: int, pc: int) -> None:
    _call_function(execution, execution.instance.functions[function_index])


def _call_indirect(execution: Execution, immediate: Any, pc: int) -> None:
    type_index, table_index = immediate
    table = execution.instance.tables[table_index]
    slot = execution.stack.pop()
    if slot >= len(table.elements):
        raise Trap(TrapKind.OUT_OF_BOUNDS_TABLE)
    function = table.elements[slot]
    if function is None:
        raise Trap(TrapKind.UNINITIALIZED_ELEMENT)
    if function.type != execution.instance.module.types[type_index]:
        raise Trap(TrapKind.INDIRECT_CALL)
    _call_function(execution, function)


def _table_access(execution: Execution, table_index: int, slot: int) -> Any:
    table = execution.instance.tables[table_index]
    if slot >= len(table.elements):
        raise Trap(TrapKind.OUT_OF_BOUNDS_TABLE)
    return table


def _table_get(execution: Execution, table_index: int, pc: int) -> None:
    slot = execution.stack.pop()
    execution.stack.append(_table_access(execution, table_index, slot).elements[slot])


def _table_set(execution: Execution, table_index: int, pc: int) -> None:
    value, slot = execution.stack.pop(), execution.stack.pop()
    _table_access(execution, table_index, slot).elements[slot] = value


def _table_size(execution: Execution, table_index: int, pc: int) -> None:
    execution.stack.append(len(execution.instance.tables[table_index].elements))


def _table_grow(execution: Execution, table_index: int, pc: int) -> None:
    delta, value = execution.stack.pop(), execution.stack.pop()
    execution.stack.append(execution.instance.tables[table_index].grow(delta, value) & MASK32)


def _table_fill(execution: Execution, table_index: int, pc: int) -> None:
    stack = execution.stack
    length, value, start = stack.pop(), stack.pop(), stack.pop()
    table = execution.instance.tables[table_index]
    if start + length > len(table.elements):
        raise Trap(TrapKind.OUT_OF_BOUNDS_TABLE)
    table.elements[start:start + length] = [value] * length


def _table_copy(execution: Execution, immediate: Any, pc: int) -> None:
    destination_table, source_table = (execution.instance.tables[i] for i in immediate)
    stack = execution.stack
    length, source, destination = stack.pop(), stack.pop(), stack.pop()
    if source + length > len(source_table.elements) or destination + length > len(destination_table.elements):
        raise Trap(TrapKind.OUT_OF_BOUNDS_TABLE)
    destination_table.elements[destination:destination + length] = source_table.elements[source:source + length]


def _table_init(execution: Execution, immediate: Any, pc: int) -> None:
    element_index, table_index = immediate
    instance = execution.instance
    stack = execution.stack
    length, source, destination = stack.pop(), stack.pop(), stack.pop()
    values = [] if element_index in instance.dropped_elements else instance.element_values[element_index]
    table = instance.tables[table_index]
    if source + length > len(values) or destination + length > len(table.elements):
        raise Trap(TrapKind.OUT_OF_BOUNDS_TABLE)
    table.elements[destination:destination + length] = values[source:source + length]


def _elem_drop(execution: Execution, element_index: int, pc: int) -> None:
    execution.instance.dropped_elements.add(element_index)


def _unreachable(execution: Execution, immediate: Any, pc: int) -> None:
    raise Trap(TrapKind.UNREACHABLE)


def _drop(execution: Execution, immediate: Any, pc: int) -> None:
    execution.stack.pop()


def _select(execution: Execution, immediate: Any, pc: int) -> None:
    stack = execution.stack
    condition, second = stack.pop(), stack.pop()
    if not condition:
        stack[-1] = second


def _local_set(execution: Execution, index: int, pc: int) -> None:
    execution.locals[index] = execution.stack.pop()


def _local_tee(execution: Execution, index: int, pc: int) -> None:
    execution.locals[index] = execution.stack[-1]


def _global_set(execution: Execution, index: int, pc: int) -> None:
    execution.instance.globals[index].value = execution.stack.pop()


def _load(opcode: int) -> Handler:
    width, sign_extend, result_bits = _LOADS[opcode]

    def load(execution: Execution, memarg: Any, pc: int) -> None:
        stack = execution.stack
        value = execution.instance.memories[memarg[2]].load_int(stack[-1] + memarg[1], width)
        if sign_extend:
            value = signed(value, width * 8) & ((1 << result_bits) - 1)
        stack[-1] = value
    return load


def _store(opcode: int) -> Handler:
    width = _STORES[opcode]

    def store(execution: Execution, memarg: Any, pc: int) -> None:
        stack = execution.stack
        value = stack.pop()
        execution.instance.memories[memarg[2]].store_int(stack.pop() + memarg[1], width, value)
    return store


def _memory_size(execution: Execution, memory_index: int, pc: int) -> None:
    execution.stack.append(execution.instance.memories[memory_index].size())


def _memory_grow(execution: Execution, memory_index: int, pc: int) -> None:
    delta = execution.stack.pop()
    execution.stack.append(execution.instance.memories[memory_index].grow(delta) & MASK32)


def _memory_fill(execution: Execution, memory_index: int, pc: int) -> None:
    stack = execution.stack
    length, value, address = stack.pop(), stack.pop(), stack.pop()
    execution.instance.memories[memory_index].fill(address, value, length)


def _memory_copy(execution: Execution, immediate: Any, pc: int) -> None:
    destination_memory, source_memory = (execution.instance.memories[i] for i in immediate)
    stack = execution.stack
    length, source, destination = stack.pop(), stack.pop(), stack.pop()
    source_memory.check_range(source, length)
    destination_memory.check_range(destination, length)
    destination_memory.store(destination, source_memory.load(source, length))


def _memory_init(execution: Execution, immediate: Any, pc: int) -> None:
    data_index, memory_index = immediate
    stack = execution.stack
    length, source, destination = stack.pop(), stack.pop(), stack.pop()
    instance = execution.instance
    segment = b"" if data_index in instance.dropped_data else instance.module.data[data_index].data
    memory = instance.memories[memory_index]
    if source + length > len(segment):
        raise Trap(TrapKind.OUT_OF_BOUNDS_MEMORY)
    memory.check_range(destination, length)
    memory.store(destination, segment[source:source + length])


def _data_drop(execution: Execution, data_index: int, pc: int) -> None:
    execution.instance.dropped_data.add(data_index)


def _push_constant(mask: int) -> Handler:
    return lambda execution, value, pc: execution.stack.append(value & mask)


def _push_float_bits(execution: Execution, raw: bytes, pc: int) -> None:
    execution.stack.append(int.from_bytes(raw, "little"))


_HANDLERS: dict[int, Handler] = {
    BY_NAME["unreachable"]: _unreachable,
    BY_NAME["nop"]: lambda execution, immediate, pc: None,
    BY_NAME["block"]: _enter_block,
    BY_NAME["loop"]: _enter_loop,
    BY_NAME["if"]: _enter_if,
    BY_NAME["else"]: _else,
    BY_NAME["end"]: _end,
    BY_NAME["br"]: lambda execution, depth, pc: execution.branch(depth),
    BY_NAME["br_if"]: _br_if,
    BY_NAME["br_table"]: _br_table,
    BY_NAME["return"]: _return,
    BY_NAME["call"]: _call,
    BY_NAME["call_indirect"]: _call_indirect,
    BY_NAME["table.get"]: _table_get,
    BY_NAME["table.set"]: _table_set,
    BY_NAME["table.size"]: _table_size,
    BY_NAME["table.grow"]: _table_grow,
    BY_NAME["table.fill"]: _table_fill,
    BY_NAME["table.copy"]: _table_copy,
    BY_NAME["table.init"]: _table_init,
    BY_NAME["elem.drop"]: _elem_drop,
    BY_NAME["ref.null"]: lambda execution, immediate, pc: execution.stack.append(None),
    BY_NAME["ref.is_null"]: lambda execution, immediate, pc: execution.stack.append(int(execution.stack.pop() is None)),
    BY_NAME["ref.func"]: lambda execution, index, pc: execution.stack.append(execution.instance.functions[index]),
    BY_NAME["drop"]: _drop,
    BY_NAME["select"]: _select,
    0x1C: _select,
    BY_NAME["local.get"]: lambda execution, index, pc: execution.stack.append(execution.locals[index]),
    BY_NAME["local.set"]: _local_set,
    BY_NAME["local.tee"]: _local_tee,
    BY_NAME["global.get"]: lambda execution, index, pc: execution.stack.append(
        execution.instance.globals[index].value),
    BY_NAME["global.set"]: _global_set,
    BY_NAME["memory.size"]: _memory_size,
    BY_NAME["memory.grow"]: _memory_grow,
    BY_NAME["memory.fill"]: _memory_fill,
    BY_NAME["memory.copy"]: _memory_copy,
    BY_NAME["memory.init"]: _memory_init,
    BY_NAME["data.drop"]: _data_drop,
    BY_NAME["i32.const"]: _push_constant(MASK32),
    BY_NAME["i64.const"]: _push_constant(MASK64),
    BY_NAME["f32.const"]: _push_float_bits,
    BY_NAME["f64.const"]: _push_float_bits,
}
_HANDLERS.update({opcode: _load(opcode) for opcode in _LOADS})
_HANDLERS.update({opcode: _store(opcode) for opcode in _STORES})
