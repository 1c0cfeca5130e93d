"""Function bodies translated to Python source: how the reference model executes code.

Each validated body is translated once into one Python function, ``run(depth,
fuel, *params) -> results``; the translation is cached on the body and bound
to each instance that uses it (see :mod:`harness.model.interpreter`).

The translation removes the interpreter's per-instruction work:

- every operand-stack position is a Python local ``s<height>`` and every wasm
  local a Python local ``l<index>``, so pushes, pops and local accesses are
  plain assignments. Validation guarantees each instruction's stack height is
  known statically.
- pure, non-trapping operands (constants, ``local.get``, integer arithmetic
  and comparisons written inline) stay expressions until they are consumed
  (``l1 >= l0`` becomes the test of a ``br_if``); anything that can trap or has
  an effect (loads, stores, calls, division, float helpers) is emitted at its
  own place, so traps happen in the spec's order.
- structured control becomes a small state machine over basic blocks: a
  block starts where a label is branched to (a ``loop`` that is branched back
  to, the code after a ``block`` or ``if`` that is branched out of) and each
  block is one ``if pc == N:`` suite. Forward branches set ``pc`` and fall
  through the later suites; backward branches (to loops) spend one unit of
  fuel and ``continue`` the dispatch loop.
- scalar loads and stores are inline on the memory's flat buffer
  (``memory<N>.data``, exactly as long as the memory: see
  :mod:`harness.model.memory`): ``unpack_4(memory0.data, address)[0]``,
  ``memory0.data[address] = value & 255``. The buffer does the bounds check;
  the error it raises becomes the trap "out of bounds memory access" in one
  handler around the body (``_ACCESS_HANDLER``), at the access that raised it,
  and a store out of bounds writes nothing.
- integer ``add``/``sub``/``shl``/``and``/``or``/``xor`` and rotations by a
  constant keep their results *loose* (not yet masked to 32 or 64 bits, but
  congruent) while only such operators consume them, and i32/i64 locals may
  hold loose values within a straight run of code: a value is masked once,
  where something reads it exactly (a comparison, a shift right, an address,
  a call, a branch), and every loose local is masked before each control
  instruction, so values never grow across loop iterations.
- rotations by a constant and constant addresses are written inline and
  folded.

Vector instructions (2.0 SIMD) are calls to the functions of
:mod:`harness.model.vectors`, named ``vector_<opcode>`` in the generated code;
vector loads and stores go through the memory's ``load_int``/``store_int``
(``load<memory>``/``store<memory>`` in the generated code). An instruction the model does not execute (relaxed SIMD)
becomes ``raise UnsupportedInstruction(name, feature)`` in its place: a gap
only for the paths that reach it, after its operands have been evaluated; the
rest of the body translates and runs as usual.
"""

from __future__ import annotations

import math
import re
import struct
from dataclasses import dataclass, field
from typing import Any, Callable

from . import bulk
from .binary import FunctionBody, FuncType, Module
from .load_runs import READERS, fuse_loads, read_run
from .numeric import BINARY, MASK32, MASK64, UNARY
from .opcodes import BY_NAME, OPCODES, VECTOR_BASE
from .simd import VECTOR_INSTRUCTIONS
from .traps import FuelExhausted, Trap, TrapKind, UnsupportedInstruction
from .vectors import VECTOR_OPERATIONS, VectorOperation

#: Deeper call chains trap with "call stack exhausted". The spec leaves the depth to the implementation;
#: V8 gets through 10,000 to 20,000 calls of a small function, so the model goes past that.
MAX_CALL_DEPTH = 50_000
#: A pending expression nesting more operators than this is settled into its slot.
MAX_PENDING_DEPTH = 12
#: Functions with more basic blocks than this dispatch through bands of blocks.
GROUPED_DISPATCH = 16

# load opcode -> (byte width, sign-extend, result bit width)
LOADS = {
    BY_NAME["i32.load"]: (4, False, 32), BY_NAME["i64.load"]: (8, False, 64),
    BY_NAME["f32.load"]: (4, False, 32), BY_NAME["f64.load"]: (8, False, 64),
    BY_NAME["i32.load8_s"]: (1, True, 32), BY_NAME["i32.load8_u"]: (1, False, 32),
    BY_NAME["i32.load16_s"]: (2, True, 32), BY_NAME["i32.load16_u"]: (2, False, 32),
    BY_NAME["i64.load8_s"]: (1, True, 64), BY_NAME["i64.load8_u"]: (1, False, 64),
    BY_NAME["i64.load16_s"]: (2, True, 64), BY_NAME["i64.load16_u"]: (2, False, 64),
    BY_NAME["i64.load32_s"]: (4, True, 64), BY_NAME["i64.load32_u"]: (4, False, 64),
}
# store opcode -> byte width
STORES = {
    BY_NAME["i32.store"]: 4, BY_NAME["i64.store"]: 8, BY_NAME["f32.store"]: 4,
    BY_NAME["f64.store"]: 8, BY_NAME["i32.store8"]: 1, BY_NAME["i32.store16"]: 2,
    BY_NAME["i64.store8"]: 1, BY_NAME["i64.store16"]: 2, BY_NAME["i64.store32"]: 4,
}

_REFERENCE_TYPES = ("funcref", "externref")


def _inline_binary() -> dict[int, tuple[str, str | None]]:
    """opcode -> (value template, condition template) for integer operators written inline."""
    table: dict[int, tuple[str, str | None]] = {}
    for prefix, bits in (("i32", 32), ("i64", 64)):
        mask, sign, shift = (1 << bits) - 1, 1 << (bits - 1), bits - 1
        arithmetic = {
            "add": f"({{a}} + {{b}}) & {mask}", "sub": f"({{a}} - {{b}}) & {mask}",
            "mul": f"({{a}} * {{b}}) & {mask}", "and": "{a} & {b}", "or": "{a} | {b}", "xor": "{a} ^ {b}",
            "shl": f"({{a}} << ({{b}} & {shift})) & {mask}", "shr_u": f"{{a}} >> ({{b}} & {shift})",
            "shr_s": f"((({{a}} ^ {sign}) - {sign}) >> ({{b}} & {shift})) & {mask}",
        }
        comparisons = {
            "eq": "{a} == {b}", "ne": "{a} != {b}", "lt_u": "{a} < {b}", "gt_u": "{a} > {b}",
            "le_u": "{a} <= {b}", "ge_u": "{a} >= {b}",
            # flipping the sign bit maps signed order onto unsigned order
            "lt_s": f"({{a}} ^ {sign}) < ({{b}} ^ {sign})", "gt_s": f"({{a}} ^ {sign}) > ({{b}} ^ {sign})",
            "le_s": f"({{a}} ^ {sign}) <= ({{b}} ^ {sign})", "ge_s": f"({{a}} ^ {sign}) >= ({{b}} ^ {sign})",
        }
        for name, template in arithmetic.items():
            table[BY_NAME[f"{prefix}.{name}"]] = (template, None)
        for name, test in comparisons.items():
            table[BY_NAME[f"{prefix}.{name}"]] = ("(1 if " + test + " else 0)", test)
    return table


def _inline_unary() -> dict[int, tuple[str, str | None]]:
    """opcode -> (value template, condition template) for unary operators written inline."""
    table: dict[int, tuple[str, str | None]] = {
        BY_NAME["i32.eqz"]: ("(0 if {a} else 1)", "not {a}"),
        BY_NAME["i64.eqz"]: ("(0 if {a} else 1)", "not {a}"),
        BY_NAME["i32.wrap_i64"]: (f"{{a}} & {MASK32}", None),
        BY_NAME["i64.extend_i32_u"]: ("{a}", None),
        BY_NAME["i64.extend_i32_s"]: (f"(({{a}} ^ {1 << 31}) - {1 << 31}) & {MASK64}", None),
    }
    for name in ("i32.reinterpret_f32", "i64.reinterpret_f64", "f32.reinterpret_i32", "f64.reinterpret_i64"):
        table[BY_NAME[name]] = ("{a}", None)  # values are bit patterns already
    return table


def _loose_binary() -> dict[int, tuple[str, int, bool]]:
    """opcode -> (template, mask, exact) for the integer operators whose result modulo 2^bits needs only
    its operands modulo 2^bits: their operands may be *loose* (not yet masked), and so may their result
    (masked once, where an exact value is needed). ``exact``: exact operands give an exact result."""
    table: dict[int, tuple[str, int, bool]] = {}
    for prefix, bits in (("i32", 32), ("i64", 64)):
        mask, shift = (1 << bits) - 1, bits - 1
        for name, template, exact in (("add", "{a} + {b}", False), ("sub", "{a} - {b}", False),
                                      ("shl", f"{{a}} << ({{b}} & {shift})", False), ("and", "{a} & {b}", True),
                                      ("or", "{a} | {b}", True), ("xor", "{a} ^ {b}", True)):
            table[BY_NAME[f"{prefix}.{name}"]] = (template, mask, exact)
    return table


INLINE_BINARY = _inline_binary()
LOOSE_BINARY = _loose_binary()
INLINE_UNARY = _inline_unary()
_OPERAND = re.compile(r"\b[sl]\d+\b")
#: Around a body with inline loads and stores: the error an access raises out of bounds (IndexError from
#: indexing the memory's buffer, struct.error from unpack_from/pack_into on it, OverflowError for an offset
#: past the platform's) becomes the trap, where it happens. Only an error raised by this very frame (by a
#: C-level access in it; ``tb_next`` is None) is an access's: one from a deeper Python frame (a helper, a
#: host function) propagates unchanged.
_ACCESS_HANDLER = (
    "except ACCESS_ERRORS as error:",
    "    if error.__traceback__.tb_next is None:",
    "        raise Trap(OUT_OF_BOUNDS_MEMORY) from None",
    "    raise",
)
#: A label's placeholder in the source (:attr:`Label.token`).
_TOKEN = re.compile(r"@\d+@")
#: Instructions before which loose locals are masked (:meth:`Translator._settle_locals`).
_CONTROL = frozenset({"block", "loop", "if", "else", "end", "br", "br_if", "br_table", "return", "unreachable"})
_INTEGER_MASKS = {"i32": MASK32, "i64": MASK64}
#: Rotations: opcode -> bit width (inline when the count is a constant).
ROTATIONS = {BY_NAME["i32.rotl"]: 32, BY_NAME["i32.rotr"]: -32, BY_NAME["i64.rotl"]: 64, BY_NAME["i64.rotr"]: -64}


@dataclass
class Value:
    """One operand-stack entry during translation: a Python expression for it."""

    text: str
    #: as a condition, when that reads better than ``text`` (``a < b`` for ``(1 if a < b else 0)``)
    test: str | None = None
    #: how many pending operators the expression nests (Python's parser limits nesting)
    depth: int = 0
    #: the same value before its final mask (congruent modulo 2^bits, maybe out of range), for the
    #: operators of ``LOOSE_BINARY``; ``text`` is always the exact value
    loose: str | None = None
    #: the mask that makes ``loose`` exact (``2^bits - 1``)
    mask: int | None = None

    @property
    def reads(self) -> set[str]:
        """The Python locals (``s``/``l`` variables) the expression reads."""
        return set(_OPERAND.findall(self.text))

    def condition(self) -> str:
        """The expression as a Python condition."""
        return self.test if self.test is not None else self.text


@dataclass
class Label:
    """A branch target; ``block`` is its basic block's number once it is placed."""

    backward: bool
    block: int | None = None
    used: bool = False

    @property
    def token(self) -> str:
        """A placeholder for the block number, replaced when the source is assembled."""
        return f"@{id(self)}@"


@dataclass
class Frame:
    """A structured instruction being translated (or the function itself)."""

    kind: str  # "function", "block", "loop" or "if"
    base: int  # stack height below the frame's parameters
    params: int
    results: int
    label: Label | None  # where a branch to this frame goes (None for the function: a branch returns)
    else_label: Label | None = None

    @property
    def branch_arity(self) -> int:
        """How many values a branch to this frame carries: a loop's parameters, else its results."""
        return self.params if self.kind == "loop" else self.results


@dataclass
class Translation:
    """A translated body: ``source`` defines ``bind(env) -> run``; ``names`` are what env must hold."""

    source: str
    names: tuple[str, ...]
    constants: dict[str, Any]
    factory: Callable[..., Callable[..., list[Any]]] = field(repr=False, default=None)  # type: ignore[assignment]


def translate(module: Module, body: FunctionBody, signature: FuncType, name: str = "run") -> Translation:
    """Translate one validated function body; cached on the body."""
    if body.compiled is None:
        translation = Translator(module, body, signature, name).translate()
        namespace: dict[str, Any] = dict(_GLOBALS)
        exec(compile(translation.source, f"<wasm {name}>", "exec"), namespace)
        translation.factory = namespace["bind"]
        body.compiled = translation
    return body.compiled


class Translator:
    """Turns one function body into Python source (see the module docstring)."""

    def __init__(self, module: Module, body: FunctionBody, signature: FuncType, name: str) -> None:
        self.module = module
        self.body = body
        self.code = body.code
        self.signature = signature
        self.name = name
        self.functions = module.function_types()
        self.stack: list[Value] = []
        self.frames: list[Frame] = [Frame("function", 0, 0, len(signature.results), None)]
        self.blocks: list[list[str]] = [[]]  # basic blocks' lines; block 0 runs once, before dispatch
        self.reachable = True
        self.has_backward_branch = False
        self.environment: set[str] = set()
        self.labels: list[Label] = []
        self.constants: dict[str, Any] = {}
        self.targeted_loops = self._targeted_loops()
        self._rotations = 0  # temporaries named by inline rotations
        self.has_access = False  # an inline load or store: the body runs under _ACCESS_HANDLER
        self.local_types = (*signature.params, *body.locals)
        self.loose_locals: dict[int, int] = {}  # locals now holding a loose value -> their mask

    # -- the result -------------------------------------------------------------------------

    def translate(self) -> Translation:
        """The whole source of ``bind``."""
        index = 0
        while index < len(self.code):
            index = self._step(index)
        return Translation(self._assemble(), tuple(sorted(self.environment)), self.constants)

    def _fused_blocks(self) -> None:
        """Each block's runs of loads from one base read at once (:mod:`harness.model.load_runs`)."""
        memories = frozenset(f"memory{index}" for index, limits in enumerate(self.module.memory_types())
                             if limits.address == "i32")
        names = 0
        for number, block in enumerate(self.blocks):
            self.blocks[number], names = fuse_loads(block, memories, names)

    def _assemble(self) -> str:
        if self.has_access:
            self._fused_blocks()
        params = "".join(f", l{index}" for index in range(len(self.signature.params)))
        names = sorted(self.environment)
        lines = [f"def bind({', '.join(names)}):" if names else "def bind():",
                 f"    def {self.name}(depth, fuel{params}):",
                 f"        if depth > {MAX_CALL_DEPTH}:",
                 "            raise Trap(CALL_STACK_EXHAUSTED)",
                 "        fuel.remaining -= 1",
                 "        if fuel.remaining < 0:",
                 "            raise FuelExhausted(fuel.budget)"]
        first_local = len(self.signature.params)
        for offset, kind in enumerate(self.body.locals):
            lines.append(f"        l{first_local + offset} = {'None' if kind in _REFERENCE_TYPES else '0'}")
        indent = "        "
        if self.has_access:  # see _ACCESS_HANDLER
            lines.append("        try:")
            indent += "    "
        lines.extend(indent + line for line in self.blocks[0])
        if len(self.blocks) > 1:
            if self.has_backward_branch:
                lines.append(f"{indent}while True:")
            lines.extend(self._dispatch(indent + "    " if self.has_backward_branch else indent))
        if self.has_access:
            lines.extend("        " + line for line in _ACCESS_HANDLER)
        lines.append(f"    return {self.name}")
        source = "\n".join(lines) + "\n"
        blocks = {label.token: str(label.block) for label in self.labels}
        return _TOKEN.sub(lambda found: blocks[found.group(0)], source) if blocks else source

    def _dispatch(self, indent: str) -> list[str]:
        """One ``if pc == N:`` suite per basic block, in order (a forward jump falls through to its
        suite). Past ``GROUPED_DISPATCH`` blocks the suites are banded under ``if pc < K:`` tests, so
        reaching block N costs about 2*sqrt(N) comparisons instead of N."""
        numbered = list(enumerate(self.blocks[1:], start=1))
        band = len(numbered) if len(numbered) <= GROUPED_DISPATCH else math.isqrt(len(numbered)) + 1
        lines: list[str] = []
        for start in range(0, len(numbered), band):
            members, inner = numbered[start:start + band], indent
            if band < len(numbered):
                lines.append(f"{indent}if pc < {members[-1][0] + 1}:")
                inner += "    "
            for number, block in members:
                lines.append(f"{inner}if pc == {number}:")
                lines.extend(f"{inner}    {line}" for line in block or ["pass"])
        return lines

    # -- the walk ---------------------------------------------------------------------------

    def _targeted_loops(self) -> set[int]:
        """Indices of the ``loop`` instructions some branch goes back to."""
        open_frames: list[int] = [-1]
        targeted: set[int] = set()
        for index, (opcode, immediate) in enumerate(self.code):
            name = OPCODES[opcode][0]
            if name in ("block", "loop", "if"):
                open_frames.append(index)
            elif name == "end":
                open_frames.pop()
            elif name in ("br", "br_if"):
                targeted.add(open_frames[-1 - immediate])
            elif name == "br_table":
                targeted.update(open_frames[-1 - depth] for depth in (*immediate[0], immediate[1]))
        return {index for index in targeted if index >= 0 and self.code[index][0] == BY_NAME["loop"]}

    def _step(self, index: int) -> int:
        """Translate the instruction at ``index``; return the index of the next one."""
        opcode, immediate = self.code[index]
        name = OPCODES[opcode][0]
        if not self.reachable:
            if name in ("block", "loop", "if"):
                return immediate[2] + 1  # nothing inside unreachable code is reachable
            if name == "else":
                self._else()
            elif name == "end":
                self._end()
            return index + 1
        handler = _HANDLERS.get(name)
        if name in _CONTROL and self.loose_locals:
            self._settle_locals()
        if handler is not None:
            handler(self, index, immediate)
        elif opcode in INLINE_BINARY:
            self._inline_binary(opcode)
        elif opcode in INLINE_UNARY:
            self._inline_unary(opcode)
        elif opcode in ROTATIONS and self.stack[-1].text.isdigit():
            self._rotation(opcode)
        elif opcode in BINARY:
            right, left = self.stack.pop(), self.stack.pop()
            self._push_effect(f"binary_{opcode:x}({left.text}, {right.text})")  # helpers are in _GLOBALS
        elif opcode in UNARY:
            operand = self.stack.pop()
            self._push_effect(f"unary_{opcode:x}({operand.text})")
        elif opcode in LOADS:
            self._load(opcode, immediate)
        elif opcode in STORES:
            self._store(opcode, immediate)
        elif opcode in VECTOR_OPERATIONS:
            self._vector(opcode, immediate)
        else:
            self._gap(opcode, name)
        return index + 1

    def _gap(self, opcode: int, name: str) -> None:
        """An instruction the model does not execute: reaching it raises, and nothing after it is reachable."""
        vector = VECTOR_INSTRUCTIONS.get(opcode - VECTOR_BASE) if opcode >= VECTOR_BASE else None
        feature = vector.feature if vector is not None else ""
        self.emit(f"raise UnsupportedInstruction({name!r}, {feature!r})")
        self.reachable = False

    # -- emitting ---------------------------------------------------------------------------

    def emit(self, line: str) -> None:
        """Append a line to the current basic block."""
        self.blocks[-1].append(line)

    def _use(self, name: str) -> str:
        """Name an environment value the bound function needs (memories, globals, runners...)."""
        self.environment.add(name)
        return name

    def slot(self, height: int) -> str:
        """The Python local for stack position ``height``."""
        return f"s{height}"

    def materialize(self, position: int, loose: bool = False) -> None:
        """Make the entry at ``position`` live in its own slot; with ``loose``, a loose value may stay loose
        there (only within the basic block: every join materializes exactly)."""
        value = self.stack[position]
        target = self.slot(position)
        if value.text == target or (loose and value.loose == target):
            return
        self._protect(target, keep=position)
        if loose and value.loose is not None:
            self.emit(f"{target} = {value.loose}")
            self.stack[position] = Value(f"({target} & {value.mask})", loose=target, mask=value.mask)
            return
        self.emit(f"{target} = {value.text}")
        self.stack[position] = Value(target)

    def materialize_all(self) -> None:
        """Every entry in its slot: what a join point between paths needs."""
        for position in range(len(self.stack)):
            self.materialize(position)

    def _protect(self, variable: str, keep: int | None = None) -> None:
        """Before ``variable`` is assigned, settle the pending entries that still read it."""
        for position, value in enumerate(self.stack):
            if position != keep and value.text != self.slot(position) and variable in value.reads:
                self.materialize(position, loose=True)

    def assign(self, variable: str, text: str) -> None:
        """Emit ``variable = text`` once nothing pending needs the variable's old value."""
        self._protect(variable)
        self.emit(f"{variable} = {text}")

    def _push_effect(self, text: str) -> None:
        """Evaluate ``text`` now (it may trap or have effects) into the next stack slot."""
        target = self.slot(len(self.stack))
        self.assign(target, text)
        self.stack.append(Value(target))

    def _push_results(self, call: str, count: int) -> None:
        """Emit a call and put its ``count`` results on the stack."""
        if count == 0:
            self.emit(call)
            return
        targets = [self.slot(len(self.stack) + offset) for offset in range(count)]
        for target in targets:
            self._protect(target)
        if count == 1:
            self.emit(f"{targets[0]} = {call}[0]")
        else:
            self.emit(f"{', '.join(targets)} = {call}")
        self.stack.extend(Value(target) for target in targets)

    def _pop_texts(self, count: int) -> list[str]:
        if not count:
            return []
        values = self.stack[len(self.stack) - count:]
        del self.stack[len(self.stack) - count:]
        return [value.text for value in values]

    def _push_pending(self, text: str, test: str | None, *operands: Value) -> None:
        """Push a pure expression of ``operands``; settle it when it nests too deeply."""
        depth = 1 + max((operand.depth for operand in operands), default=0)
        self.stack.append(Value(text, test, depth))
        if depth > MAX_PENDING_DEPTH:
            self.materialize(len(self.stack) - 1)

    def _inline_binary(self, opcode: int) -> None:
        if opcode in LOOSE_BINARY:
            self._loose_binary(opcode)
            return
        template, test = INLINE_BINARY[opcode]
        right, left = self.stack.pop(), self.stack.pop()
        a, b = _operand(left.text), _operand(right.text)
        self._push_pending(template.format(a=a, b=b), test.format(a=a, b=b) if test else None, left, right)

    def _loose_binary(self, opcode: int) -> None:
        """An operator of ``LOOSE_BINARY``: written on its operands' loose forms, masked only when read exactly."""
        template, mask, exact = LOOSE_BINARY[opcode]
        right, left = self.stack.pop(), self.stack.pop()
        a, b = _operand(left.loose or left.text), _operand(right.loose or right.text)
        loose = template.format(a=a, b=b)
        both_exact = left.loose is None and right.loose is None
        masked_by_constant = template == "{a} & {b}" and any(
            value.text.isdigit() and int(value.text) <= mask for value in (left, right))
        if (exact and both_exact) or masked_by_constant:
            self._push_pending(loose, None, left, right)
        else:
            self._push_pending(f"({loose}) & {mask}", None, left, right)
            if self.stack[-1].text != self.slot(len(self.stack) - 1):  # not settled: keep the loose form
                self.stack[-1].loose, self.stack[-1].mask = loose, mask

    def _rotation(self, opcode: int) -> None:
        """``rotl``/``rotr`` by a constant count, inline (the operand is named once, by ``:=``)."""
        bits = abs(ROTATIONS[opcode])
        count, operand = int(self.stack.pop().text) % bits, self.stack.pop()
        if ROTATIONS[opcode] < 0:
            count = (bits - count) % bits  # a right rotation is the left one by the complement
        if count == 0:
            self.stack.append(operand)
            return
        name = operand.text
        first = name
        if not (name.isidentifier() or name.isdigit()):
            name = f"r{self._rotations}"
            self._rotations += 1
            first = f"({name} := {operand.text})"
        loose = f"({first} << {count}) | ({name} >> {bits - count})"
        self._push_pending(f"({loose}) & {(1 << bits) - 1}", None, operand)
        if self.stack[-1].text != self.slot(len(self.stack) - 1):  # not settled: keep the loose form
            self.stack[-1].loose, self.stack[-1].mask = loose, (1 << bits) - 1

    def _inline_unary(self, opcode: int) -> None:
        template, test = INLINE_UNARY[opcode]
        operand = self.stack.pop()
        a = _operand(operand.text)
        self._push_pending(template.format(a=a), test.format(a=a) if test else None, operand)

    def _memory(self, index: int) -> str:
        return self._use(f"memory{index}")

    def _load(self, opcode: int, memarg: Any) -> None:
        """A scalar load, inline: the memory's buffer is exactly as long as the memory, so indexing it
        (one byte) or ``struct.unpack_from`` on it (more) is the bounds check; out of bounds, the error
        it raises becomes the trap, at the same place."""
        width, sign_extend, bits = LOADS[opcode]
        address = _address(self.stack.pop().text, memarg[1])
        data = f"{self._memory(memarg[2])}.data"
        loaded = f"{data}[{address}]" if width == 1 else f"unpack_{width}({data}, {address})[0]"
        if sign_extend:
            sign = 1 << (width * 8 - 1)
            loaded = f"(({loaded} ^ {sign}) - {sign}) & {(1 << bits) - 1}"
        target = self.slot(len(self.stack))
        self._protect(target)
        self._emit_access(f"{target} = {loaded}")
        self.stack.append(Value(target))

    def _store(self, opcode: int, memarg: Any) -> None:
        """A scalar store, inline (see :meth:`_load`); it writes all its bytes or none."""
        width = STORES[opcode]
        value, address = self.stack.pop(), self.stack.pop()
        target = _address(address.text, memarg[1])
        mask = (1 << (8 * width)) - 1
        stored = str(int(value.text) & mask) if value.text.isdigit() else f"{_operand(value.text)} & {mask}"
        data = f"{self._memory(memarg[2])}.data"
        if width == 1:
            self._emit_access(f"{data}[{target}] = {stored}")
        else:
            self._emit_access(f"pack_{width}({data}, {target}, {stored})")

    def _emit_access(self, line: str) -> None:
        """A memory access statement whose out-of-bounds error is the trap (see ``_ACCESS_HANDLER``)."""
        self.has_access = True
        self.emit(line)

    def _vector(self, opcode: int, immediate: Any) -> None:
        """A vector instruction (see :class:`~harness.model.vectors.VectorOperation` for its kinds)."""
        operation, function = VECTOR_OPERATIONS[opcode], f"vector_{opcode:x}"  # helpers are in _GLOBALS
        if operation.kind == "constant":
            self.stack.append(Value(str(int.from_bytes(immediate, "little"))))
        elif operation.kind == "pure":  # nothing pure traps: it may stay pending
            operands = self.stack[len(self.stack) - operation.operands:]
            args = self._pop_texts(operation.operands) + ([repr(immediate)] if operation.takes_immediate else [])
            self._push_pending(f"{function}({', '.join(args)})", None, *operands)
        else:
            self._vector_access(operation, function, immediate)

    def _vector_access(self, operation: VectorOperation, function: str, immediate: Any) -> None:
        """A vector load or store: the scalar access of ``operation.width`` bytes, and what it does around it."""
        kind = operation.kind
        memarg, lane = immediate if kind.endswith("_lane") else (immediate, 0)
        vector = self.stack.pop().text if kind != "load" else ""
        address = _address(self.stack.pop().text, memarg[1])
        if kind.startswith("store"):  # a store writes the low bytes: a lane is shifted down to them
            stored = f"{_operand(vector)} >> {lane * operation.width * 8}" if lane else vector
            self.emit(f"{self._use(f'store{memarg[2]}')}({address}, {operation.width}, {stored})")
            return
        loaded = f"{self._use(f'load{memarg[2]}')}({address}, {operation.width})"
        if kind == "load_lane":
            loaded = f"{function}({vector}, {loaded}, {lane})"
        elif operation.function is not None:
            loaded = f"{function}({loaded})"
        self._push_effect(loaded)

    # -- control ----------------------------------------------------------------------------

    def _block_arity(self, block_type: Any) -> tuple[int, int]:
        if block_type is None:
            return 0, 0
        if isinstance(block_type, str):
            return 0, 1
        signature = self.module.types[block_type]
        return len(signature.params), len(signature.results)

    def _new_label(self, backward: bool) -> Label:
        label = Label(backward)
        self.labels.append(label)
        return label

    def _start_block(self, label: Label | None = None) -> None:
        """End the current basic block (falling through if reachable) and start the next."""
        number = len(self.blocks)
        if self.reachable:
            self._settle_locals()
            self.emit(f"pc = {number}")
        self.loose_locals = {}  # paths join here exact (an unreachable end, after a gap, leaves nothing)
        self.blocks.append([])
        if label is not None:
            label.block = number

    def _reset_stack(self, height: int) -> None:
        """At a join point every entry below ``height`` is in its slot."""
        self.stack = [Value(self.slot(position)) for position in range(height)]

    def _enter(self, kind: str, immediate: Any) -> Frame:
        params, results = self._block_arity(immediate[0])
        self.materialize_all()
        frame = Frame(kind, len(self.stack) - params, params, results, None)
        self.frames.append(frame)
        return frame

    def _block(self, index: int, immediate: Any) -> None:
        frame = self._enter("block", immediate)
        frame.label = self._new_label(backward=False)

    def _loop(self, index: int, immediate: Any) -> None:
        frame = self._enter("loop", immediate)
        if index in self.targeted_loops:
            frame.label = self._new_label(backward=True)
            self._start_block(frame.label)

    def _if(self, index: int, immediate: Any) -> None:
        for position in range(len(self.stack) - 1):  # the condition stays pending, and protected
            self.materialize(position)
        test = self.stack.pop().condition()
        frame = self._enter("if", immediate)
        frame.label = self._new_label(backward=False)
        frame.else_label = self._new_label(backward=False)
        then_block = len(self.blocks)
        self.emit(f"pc = {then_block} if {test} else {frame.else_label.token}")
        frame.else_label.used = True
        self.reachable = False  # the dispatch goes on from here, not a fall-through
        self._start_block()
        self.reachable = True

    def _else(self) -> None:
        frame = self.frames[-1]
        if self.reachable:
            self.materialize_all()
            self._jump(frame.label)  # the then-arm is done: skip the else-arm
        assert frame.else_label is not None
        self.reachable = False
        self._start_block(frame.else_label)
        frame.else_label = None
        self._reset_stack(frame.base + frame.params)
        self.reachable = True

    def _end(self) -> None:
        frame = self.frames.pop()
        if frame.kind == "function":
            if self.reachable:
                self.emit(f"return [{', '.join(self._pop_texts(frame.results))}]")
            return
        if frame.else_label is not None:  # an if without else: a false condition comes here
            if self.reachable:
                self.materialize_all()
            self._start_block(frame.else_label)
            if frame.label is not None and frame.label.used:
                frame.label.block = frame.else_label.block
            self._reset_stack(frame.base + frame.results)
            self.reachable = True
            return
        label = frame.label
        if label is not None and not label.backward and label.used:
            if self.reachable:
                self.materialize_all()
            self._start_block(label)
            self._reset_stack(frame.base + frame.results)
            self.reachable = True

    def _target(self, depth: int) -> Frame:
        return self.frames[-1 - depth]

    def _moves(self, frame: Frame) -> list[str]:
        """Lines that put a branch's values where the target frame expects them."""
        arity = frame.branch_arity
        values = self.stack[len(self.stack) - arity:] if arity else []
        targets = [self.slot(frame.base + offset) for offset in range(arity)]
        if [value.text for value in values] == targets:
            return []
        return [f"{', '.join(targets)} = {', '.join(value.text for value in values)}"]

    def _jump_lines(self, frame: Frame) -> list[str]:
        """The lines of a branch to ``frame`` (values moved, then the jump or the return)."""
        if frame.kind == "function":
            values = self.stack[len(self.stack) - frame.results:] if frame.results else []
            return [f"return [{', '.join(value.text for value in values)}]"]
        if frame.label is None:  # a loop nobody else branches to: only possible from unreachable code
            raise AssertionError("branch to an unlabelled loop")
        return self._moves(frame) + self._jump_to(frame.label)

    def _jump_to(self, label: Label) -> list[str]:
        label.used = True
        if not label.backward:
            return [f"pc = {label.token}"]
        self.has_backward_branch = True
        return ["fuel.remaining -= 1", "if fuel.remaining < 0:", "    raise FuelExhausted(fuel.budget)",
                f"pc = {label.token}", "continue"]

    def _jump(self, label: Label | None) -> None:
        assert label is not None
        for line in self._jump_to(label):
            self.emit(line)

    def _br(self, index: int, depth: int) -> None:
        for line in self._jump_lines(self._target(depth)):
            self.emit(line)
        self.reachable = False

    def _br_if(self, index: int, depth: int) -> None:
        test = self.stack.pop().condition()
        frame = self._target(depth)
        lines = self._jump_lines(frame)
        self.emit(f"if {test}:")
        for line in lines:
            self.emit("    " + line)
        if frame.kind != "function" and not frame.label.backward:  # type: ignore[union-attr]
            # a forward jump falls through the later suites: the untaken path needs its own block
            self.emit("else:")
            self.emit(f"    pc = {len(self.blocks)}")
            self.reachable = False
            self._start_block()
            self.reachable = True

    def _br_table(self, index: int, immediate: Any) -> None:
        targets, default = immediate
        selector = self.stack.pop().text
        depths = [*targets, default]
        chosen = selector
        if targets:
            table = self._use_constant(tuple(targets))
            chosen = "d"
            self.emit(f"d = {table}[{selector}] if {selector} < {len(targets)} else {default}")
        distinct = sorted(set(depths))
        for number, depth in enumerate(distinct):
            lines = self._jump_lines(self._target(depth))
            if len(distinct) == 1:
                for line in lines:
                    self.emit(line)
                break
            keyword = "if" if number == 0 else "elif"
            self.emit(f"{keyword} {chosen} == {depth}:" if number < len(distinct) - 1 else "else:")
            for line in lines:
                self.emit("    " + line)
        self.reachable = False

    def _use_constant(self, value: Any) -> str:
        name = f"constant_{len(self.constants)}"
        self.constants[name] = value
        self.environment.add(name)
        return name

    def _return(self, index: int, immediate: Any) -> None:
        self._br(index, len(self.frames) - 1)

    def _unreachable(self, index: int, immediate: Any) -> None:
        self.emit("raise Trap(UNREACHABLE)")
        self.reachable = False

    # -- calls ------------------------------------------------------------------------------

    def _call(self, index: int, function_index: int) -> None:
        signature = self.functions[function_index]
        args = self._pop_texts(len(signature.params))
        runners = self._use("runners")
        call = f"{runners}[{function_index}](depth + 1, fuel{''.join(', ' + arg for arg in args)})"
        self._push_results(call, len(signature.results))

    def _call_indirect(self, index: int, immediate: Any) -> None:
        type_index, table_index = immediate
        signature = self.module.types[type_index]
        slot = self.stack.pop().text
        args = self._pop_texts(len(signature.params))
        function = f"bulk.indirect_function({self._use(f'table{table_index}')}, {self._use('types')}[{type_index}], {slot})"
        self.emit(f"callee = {self._use('runner_of')}({function})")
        call = f"callee(depth + 1, fuel{''.join(', ' + arg for arg in args)})"
        self._push_results(call, len(signature.results))

    # -- variables, memory and tables ---------------------------------------------------------

    def _local_get(self, index: int, local: int) -> None:
        self.stack.append(self._local_value(local))

    def _local_value(self, local: int) -> Value:
        """A read of local ``local``: masked when it holds a loose value (and its loose form beside)."""
        mask = self.loose_locals.get(local)
        if mask is None:
            return Value(f"l{local}")
        return Value(f"(l{local} & {mask})", loose=f"l{local}", mask=mask)

    def _local_set(self, index: int, local: int) -> None:
        self._set_local(local, self.stack.pop())

    def _local_tee(self, index: int, local: int) -> None:
        self._set_local(local, self.stack.pop())
        self.stack.append(self._local_value(local))

    def _set_local(self, local: int, value: Value) -> None:
        """``l<local> = value``: a loose value stays loose (within the basic block: see :meth:`_settle_locals`)."""
        mask = _INTEGER_MASKS.get(self.local_types[local])
        if value.loose is not None and mask is not None:
            self.assign(f"l{local}", value.loose)
            self.loose_locals[local] = mask
        else:
            self.assign(f"l{local}", value.text)
            self.loose_locals.pop(local, None)

    def _settle_locals(self) -> None:
        """Mask every local holding a loose value. Done before every control instruction, so that locals are
        exact wherever paths join and loose values never grow across loop iterations (only within a
        straight run of code). Pending expressions stay right: a masked read is unchanged, a loose one
        stays congruent."""
        for local, mask in sorted(self.loose_locals.items()):
            self.emit(f"l{local} &= {mask}")
        self.loose_locals = {}

    def _global_get(self, index: int, global_index: int) -> None:
        self._push_effect(f"{self._use('globals_')}[{global_index}].value")

    def _global_set(self, index: int, global_index: int) -> None:
        self.emit(f"{self._use('globals_')}[{global_index}].value = {self.stack.pop().text}")

    def _constant(self, index: int, immediate: Any) -> None:
        opcode = self.code[index][0]
        if opcode == BY_NAME["i32.const"]:
            self.stack.append(Value(str(immediate & MASK32)))
        elif opcode == BY_NAME["i64.const"]:
            self.stack.append(Value(str(immediate & MASK64)))
        else:
            self.stack.append(Value(str(int.from_bytes(immediate, "little"))))

    def _drop(self, index: int, immediate: Any) -> None:
        self.stack.pop()

    def _select(self, index: int, immediate: Any) -> None:
        condition, second, first = self.stack.pop(), self.stack.pop(), self.stack.pop()
        self._push_pending(f"({first.text} if {condition.condition()} else {second.text})", None,
                           condition, second, first)

    def _nop(self, index: int, immediate: Any) -> None:
        pass

    def _memory_size(self, index: int, memory: int) -> None:
        self._push_effect(f"{self._memory(memory)}.pages")

    def _memory_grow(self, index: int, memory: int) -> None:
        """The old size, or -1 as the memory's address type (2^64 - 1 in bits for a 64-bit memory)."""
        delta = self.stack.pop().text
        mask = MASK64 if self.module.memory_types()[memory].address == "i64" else MASK32
        self._push_effect(f"{self._memory(memory)}.grow({delta}) & {mask}")

    def _operation(self, helper: str, operands: int, *environment: str, pushes: bool = False) -> None:
        """An instruction done by a :mod:`bulk` helper: ``helper(environment..., operands...)``."""
        args = ", ".join([*environment, *self._pop_texts(operands)])
        call = f"bulk.{helper}({args})"
        if pushes:
            self._push_effect(call)
        else:
            self.emit(call)

    def _memory_fill(self, index: int, memory: int) -> None:
        address, value, length = self._pop_texts(3)
        self.emit(f"{self._memory(memory)}.fill({address}, {value}, {length})")

    def _memory_copy(self, index: int, immediate: Any) -> None:
        self._operation("memory_copy", 3, self._memory(immediate[0]), self._memory(immediate[1]))

    def _memory_init(self, index: int, immediate: Any) -> None:
        data_index, memory = immediate
        self._operation("memory_init", 3, self._use("instance"), str(data_index), self._memory(memory))

    def _data_drop(self, index: int, data_index: int) -> None:
        self.emit(f"{self._use('instance')}.dropped_data.add({data_index})")

    def _table(self, index: int) -> str:
        return self._use(f"table{index}")

    def _table_get(self, index: int, table: int) -> None:
        self._operation("table_get", 1, self._table(table), pushes=True)

    def _table_set(self, index: int, table: int) -> None:
        self._operation("table_set", 2, self._table(table))

    def _table_size(self, index: int, table: int) -> None:
        self._push_effect(f"len({self._table(table)}.elements)")

    def _table_grow(self, index: int, table: int) -> None:
        self._operation("table_grow", 2, self._table(table), pushes=True)

    def _table_fill(self, index: int, table: int) -> None:
        self._operation("table_fill", 3, self._table(table))

    def _table_copy(self, index: int, immediate: Any) -> None:
        self._operation("table_copy", 3, self._table(immediate[0]), self._table(immediate[1]))

    def _table_init(self, index: int, immediate: Any) -> None:
        element_index, table = immediate
        self._operation("table_init", 3, self._use("instance"), str(element_index), self._table(table))

    def _elem_drop(self, index: int, element_index: int) -> None:
        self.emit(f"{self._use('instance')}.dropped_elements.add({element_index})")

    def _ref_null(self, index: int, immediate: Any) -> None:
        self.stack.append(Value("None"))

    def _ref_is_null(self, index: int, immediate: Any) -> None:
        value = self.stack.pop()
        operand = _operand(value.text)
        self._push_pending(f"(1 if {operand} is None else 0)", f"{operand} is None", value)

    def _ref_func(self, index: int, function_index: int) -> None:
        self._push_effect(f"{self._use('functions')}[{function_index}]")


def _operand(text: str) -> str:
    """``text`` safe to embed in a larger expression."""
    return text if text.isidentifier() or text.isdigit() or text == "None" else f"({text})"


def _address(text: str, offset: int) -> str:
    """The effective address ``address + offset``: Python's ints do not wrap, so past 2^32 (2^64 for a
    64-bit memory) it stays beyond the memory and traps out of bounds, as the spec's sum does."""
    if text.isdigit():
        return str(int(text) + offset)
    return f"{_operand(text)} + {offset}" if offset else text


_HANDLERS: dict[str, Callable[[Translator, int, Any], None]] = {
    "unreachable": Translator._unreachable, "nop": Translator._nop,
    "block": Translator._block, "loop": Translator._loop, "if": Translator._if,
    "else": lambda translator, index, immediate: translator._else(),
    "end": lambda translator, index, immediate: translator._end(),
    "br": Translator._br, "br_if": Translator._br_if, "br_table": Translator._br_table,
    "return": Translator._return, "call": Translator._call, "call_indirect": Translator._call_indirect,
    "drop": Translator._drop, "select": Translator._select,
    "local.get": Translator._local_get, "local.set": Translator._local_set, "local.tee": Translator._local_tee,
    "global.get": Translator._global_get, "global.set": Translator._global_set,
    "i32.const": Translator._constant, "i64.const": Translator._constant,
    "f32.const": Translator._constant, "f64.const": Translator._constant,
    "memory.size": Translator._memory_size, "memory.grow": Translator._memory_grow,
    "memory.fill": Translator._memory_fill, "memory.copy": Translator._memory_copy,
    "memory.init": Translator._memory_init, "data.drop": Translator._data_drop,
    "table.get": Translator._table_get, "table.set": Translator._table_set,
    "table.size": Translator._table_size, "table.grow": Translator._table_grow,
    "table.fill": Translator._table_fill, "table.copy": Translator._table_copy,
    "table.init": Translator._table_init, "elem.drop": Translator._elem_drop,
    "ref.null": Translator._ref_null, "ref.is_null": Translator._ref_is_null, "ref.func": Translator._ref_func,
}

#: What every generated function can name: traps, fuel, helpers (operator helpers are added as used).
_GLOBALS: dict[str, Any] = {
    "Trap": Trap, "FuelExhausted": FuelExhausted, "UnsupportedInstruction": UnsupportedInstruction, "bulk": bulk,
    "CALL_STACK_EXHAUSTED": TrapKind.CALL_STACK_EXHAUSTED, "UNREACHABLE": TrapKind.UNREACHABLE,
    "OUT_OF_BOUNDS_MEMORY": TrapKind.OUT_OF_BOUNDS_MEMORY, "ACCESS_ERRORS": (IndexError, struct.error, OverflowError),
    **{f"unpack_{width}": struct.Struct(f"<{code}").unpack_from for width, code in ((2, "H"), (4, "I"), (8, "Q"))},
    **{f"pack_{width}": struct.Struct(f"<{code}").pack_into for width, code in ((2, "H"), (4, "I"), (8, "Q"))},
    "read_run": read_run, **READERS,
    **{f"binary_{opcode:x}": function for opcode, function in BINARY.items()},
    **{f"unary_{opcode:x}": function for opcode, function in UNARY.items()},
    **{f"vector_{opcode:x}": operation.function for opcode, operation in VECTOR_OPERATIONS.items()
       if operation.function is not None},
}
