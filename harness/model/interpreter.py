"""Executing functions: the reference model's entry point into code.

Function bodies run as Python functions translated from their code by
:mod:`harness.model.codegen`. This module binds a translation to an instance
(its memories, tables, globals and the functions it can call), keeps one
runner per function, and guards each invocation from the host: a shared
budget of fuel (loop iterations plus calls) turns a computation that may
never end into :class:`FuelExhausted`, and a call chain deeper than
``MAX_CALL_DEPTH`` (or than Python's own stack) into the trap "call stack
exhausted". Each invocation from the host runs on a deep stack
(:mod:`.deep_stack`), so the model's calls go as deep as engines' do.

A runner is ``runner(depth, fuel, *args) -> results``: canonical values in
(ints as bit patterns, ``None`` or a function for references), a list out.
"""

from __future__ import annotations

from typing import Any, Callable

from .binary import Instruction
from .codegen import MAX_CALL_DEPTH, translate
from .deep_stack import run_deep
from .numeric import BINARY, MASK32, MASK64
from .opcodes import BY_NAME, OPCODES
from .store import Function, HostFunction, Instance, WasmFunction
from .traps import FuelExhausted, Trap, TrapKind, UnsupportedInstruction

__all__ = ["FUEL_LIMIT", "MAX_CALL_DEPTH", "Fuel", "evaluate_constant", "invoke", "runner_of"]

#: Backward branches plus calls one invocation from the host may make before the model gives up.
FUEL_LIMIT = 20_000_000
#: Python frames one wasm call takes: its runner (a function's first call adds a trampoline frame, once;
#: should Python's stack still run out, the RecursionError becomes the same trap).
_FRAMES_PER_CALL = 1
#: Extra frames for host functions, the first call's trampolines and Python's own calls in between.
_HEADROOM = 1000

Runner = Callable[..., list[Any]]


class Fuel:
    """The budget of one invocation from the host, shared by every call it makes.

    Generated code spends it inline (``remaining -= 1``) and raises
    :class:`FuelExhausted` below zero.
    """

    __slots__ = ("budget", "remaining")

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self.remaining = budget


def invoke(function: Function, args: list[Any], depth: int = 0, fuel: Fuel | None = None) -> list[Any]:
    """Call ``function`` with canonical ``args``; return its results (canonical).

    Raises :class:`Trap` for traps, :class:`FuelExhausted` when the
    invocation runs past ``FUEL_LIMIT`` loop iterations and calls, and
    :class:`UnsupportedInstruction` for code the model does not execute.
    """
    if fuel is not None:
        return runner_of(function)(depth, fuel, *args)
    runner = runner_of(function)
    try:
        return run_deep(lambda: runner(depth, Fuel(FUEL_LIMIT), *args), MAX_CALL_DEPTH * _FRAMES_PER_CALL + _HEADROOM)
    except RecursionError:  # whatever the host's own depth was, exhaustion is a trap, never a crash
        raise Trap(TrapKind.CALL_STACK_EXHAUSTED) from None


def runner_of(function: Function) -> Runner:
    """The runner of any function value (translated and bound on first use, then cached)."""
    if isinstance(function, HostFunction):
        return _host_runner(function)
    runners = function.instance.runners
    runner = runners.get(id(function))
    if runner is None:
        runner = runners[id(function)] = _bind(function)
    return runner


def _host_runner(function: HostFunction) -> Runner:
    def call_host(depth: int, fuel: Fuel, *args: Any) -> list[Any]:
        if depth > MAX_CALL_DEPTH:
            raise Trap(TrapKind.CALL_STACK_EXHAUSTED)
        fuel.remaining -= 1
        if fuel.remaining < 0:
            raise FuelExhausted(fuel.budget)
        return function.call(list(args))
    return call_host


def _bind(function: WasmFunction) -> Runner:
    instance = function.instance
    index = instance.functions.index(function)
    translation = translate(instance.module, function.body, function.type, name=f"func_{index}")
    environment = {name: _environment_value(instance, name, translation.constants)
                   for name in translation.names}
    return translation.factory(**environment)


def _environment_value(instance: Instance, name: str, constants: dict[str, Any]) -> Any:
    """What a name in a translation's environment stands for in ``instance``."""
    if name in constants:
        return constants[name]
    fixed = {"instance": instance, "globals_": instance.globals, "types": instance.module.types,
             "functions": instance.functions, "runner_of": runner_of}
    if name in fixed:
        return fixed[name]
    if name == "runners":
        return _direct_runners(instance)
    for prefix, lookup in (("memory", lambda i: instance.memories[i]),
                           ("load", lambda i: instance.memories[i].load_int),
                           ("store", lambda i: instance.memories[i].store_int),
                           ("table", lambda i: instance.tables[i])):
        if name.startswith(prefix) and name[len(prefix):].isdigit():
            return lookup(int(name[len(prefix):]))
    raise KeyError(f"no environment value {name!r}")


def _direct_runners(instance: Instance) -> list[Runner]:
    """One runner per function index for ``call``: each binds its function on first use."""
    if instance.direct_runners is None:
        runners: list[Runner] = []
        for index, function in enumerate(instance.functions):
            runners.append(_first_call(runners, index, function))
        instance.direct_runners = runners
    return instance.direct_runners


def _first_call(runners: list[Runner], index: int, function: Function) -> Runner:
    def first_call(depth: int, fuel: Fuel, *args: Any) -> list[Any]:
        runner = runners[index] = runner_of(function)
        return runner(depth, fuel, *args)
    return first_call


_CONSTANTS = {BY_NAME["i32.const"]: MASK32, BY_NAME["i64.const"]: MASK64}
_FLOAT_CONSTANTS = (BY_NAME["f32.const"], BY_NAME["f64.const"])
_V128_CONST = BY_NAME["v128.const"]


def evaluate_constant(instance: Instance, expression: tuple[Instruction, ...]) -> Any:
    """The value of a constant expression (offsets, global initialisers, element items)."""
    stack: list[Any] = []
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
        elif opcode == _V128_CONST:
            stack.append(int.from_bytes(immediate, "little"))
        elif opcode != BY_NAME["end"]:
            raise UnsupportedInstruction(OPCODES[opcode][0] + " in a constant expression")
    return stack[-1]
