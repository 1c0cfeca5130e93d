"""Checking a script's actions against the exports they reach, before anything runs.

A script is input like a scenario file, and is checked like one: every module
command is compiled (wabt's cache keeps the binary for the run) and decoded,
and every action on it must name an export of the right kind with arguments of
its parameters' number and types; an ``assert_return`` must expect as many
results, of the types the export returns. A mismatch is a :class:`WastError`
naming the action's file, line and column (exit 2, nothing run): at run time
it would be a failure of the engine or of the model that is really the
script's. Modules are followed as the script names them (the latest one, or
``$name``); a module that does not compile or decode here is not checked
against (running it says why it fails).
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence, Union

from .. import model
from ..compiler.wabt import Compiler
from ..errors import HarnessError, InputError
from ..model.binary import FuncType, GlobalType, Module
from ..model.traps import UnsupportedInstruction
from ..model.versions import DEFAULT_VERSION, SpecVersion
from .read_cache import cached_read
from .script import (
    Action,
    Assertion,
    Command,
    Either,
    ModuleCommand,
    Result,
    Value,
    WastError,
    read_script,
)

#: what an action can reach: the export's signature (a function's, or a global's type)
Signature = Union[FuncType, GlobalType]


def read_checked(path: Path, compiler: Compiler, version: SpecVersion = DEFAULT_VERSION) -> list[Command]:
    """Every command of a script, its actions checked against the exports they reach.

    Text modules are compiled with the wabt features of ``version`` (the spec version that judges the run)
    and decoded by its rules.
    """
    def read() -> tuple[list[Command], bool]:
        commands = read_script(path)
        return commands, check_script(path, commands, compiler, version)
    return cached_read(Path(path), compiler, version.value, read)


def check_script(path: Path, commands: Sequence[Command], compiler: Compiler,
                 version: SpecVersion = DEFAULT_VERSION) -> bool:
    """Raise :class:`WastError` at the first action that does not fit the export it reaches.

    Returns whether the check depended on the script's bytes alone: False when a module went unchecked
    because wabt's process failed (not because wabt or the decoder rejected the module).
    """
    current: tuple[int, Module | None] | None = None
    named: dict[str, tuple[int, Module | None]] = {}
    complete = True
    for command in commands:
        if isinstance(command, ModuleCommand):
            if not command.definition:
                decoded, settled = _decoded(path, command, compiler, version)
                complete = complete and settled
                current = (command.line, decoded)
                if command.name:
                    named[command.name] = current
            continue
        action = command.subject if isinstance(command, Assertion) else command
        if not isinstance(action, Action):
            continue
        reached = named.get(action.module) if action.module else current
        if reached is None:
            where = f"module named {action.module}" if action.module else "module"
            raise _error(path, action, f"{action.kind} {action.name!r}: there is no {where} before this line")
        line, decoded = reached
        if decoded is None:
            continue
        problem = action_problem(action, decoded, command.results if isinstance(command, Assertion)
                                 and command.kind == "assert_return" else None)
        if problem:
            raise _error(path, action, f"{action.kind} {action.name!r} (module of line {line}): {problem}")
    return complete


def action_problem(action: Action, module: Module, results: Sequence[Result] | None) -> str:
    """Why ``action`` (with ``results`` expected, if given) does not fit ``module``'s export; empty if it does."""
    export = module.export(action.name)
    wanted = "global" if action.kind == "get" else "func"
    if export is None or export.kind != wanted:
        found = f"is a {export.kind} export" if export is not None else "is not exported"
        return f"it {found}; {action.kind} needs an exported {'function' if wanted == 'func' else 'global'}"
    try:
        signature: Signature = (module.global_types()[export.index] if wanted == "global"
                                else module.function_type(export.index))
    except (IndexError, KeyError):  # an invalid module: instantiating it says so
        return ""
    if isinstance(signature, GlobalType):
        params, returned = (), (signature.value_type,)
    else:
        params, returned = signature.params, signature.results
    return _arguments_problem(action.args, params) or (_results_problem(results, returned) if results is not None
                                                        else "")


def _arguments_problem(args: Sequence[Value], params: Sequence[str]) -> str:
    takes = f"(param {' '.join(params)})" if params else "no parameters"
    if len(args) != len(params):
        return f"{len(args)} argument{'s' if len(args) != 1 else ''} given, the function takes {takes}"
    for number, (argument, param) in enumerate(zip(args, params), start=1):
        if argument.type != param:
            return f"argument {number} is {_kind(argument)}, the function takes {takes}"
    return ""


def _results_problem(results: Sequence[Result], returned: Sequence[str]) -> str:
    gives = f"(result {' '.join(returned)})" if returned else "no results"
    if len(results) != len(returned):
        return f"{len(results)} result{'s' if len(results) != 1 else ''} expected, it returns {gives}"
    for number, (expected, result_type) in enumerate(zip(results, returned), start=1):
        alternatives = expected.alternatives if isinstance(expected, Either) else (expected,)
        for alternative in alternatives:
            if isinstance(alternative, Value) and alternative.type != result_type:
                return f"expected result {number} is {_kind(alternative)}, it returns {gives}"
    return ""


def _kind(value: Value) -> str:
    """``f64``, or ``funcref (ref.null)``."""
    return f"{value.type} (ref.{value.reference})" if value.reference is not None else value.type


def _decoded(path: Path, command: ModuleCommand, compiler: Compiler,
             version: SpecVersion) -> tuple[Module | None, bool]:
    """The module as the reference decoder reads it (``None`` when it does not compile or decode here), and
    whether that depends on its bytes alone (not on a wabt process that failed)."""
    try:
        wasm = command.source if command.form == "binary" else compiler.compile_text(
            command.source, filename=f"{path}:{command.line}", features=version.wabt_features).wasm_bytes
        return model.decode_module(wasm, version=version), True
    except (InputError, UnsupportedInstruction):
        return None, True
    except HarnessError:
        return None, False


def _error(path: Path, action: Action, message: str) -> WastError:
    return WastError(message, path=path, line=action.line, column=action.column or None)
