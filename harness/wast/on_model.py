"""Running ``.wast`` scripts on the reference model (JavaScript runtimes come next).

One case per command (``file.wast:LINE``), judged by the script's own
expectation. Modules are compiled by wabt (without its validation when the
script expects the module to be invalid); malformed *text* is judged against
wabt itself, separately (runtime ``wabt``), because it is a property of the
text parser, not of any engine. The ``spectest`` host module provides a
one-page memory (maximum 2), the ``global_*`` globals (666 / 666.6) and the
``print*`` functions.

Modules are decoded and validated by one version's rules (:class:`SpecVersion`,
3.0 unless told: ``linmem run --spec-version``) and their text compiled with
wabt's features for it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Sequence

from .. import model
from ..case import REFERENCE, WABT, Case, CaseKind, RuntimeId, Status
from ..compiler.wabt import Compiler
from ..errors import HarnessError, WasmDecodeError
from ..model.binary import FuncType, GlobalType
from ..model.codegen import MAX_CALL_DEPTH
from ..model.deep_stack import run_deep
from ..model.floats import F32, F64, Format
from ..model.instance import invoke_function
from ..model.store import (
    ExternRef,
    GlobalInstance,
    HostFunction,
    Instance,
    TableInstance,
    WasmFunction,
)
from ..model.traps import (
    FuelExhausted,
    JsException,
    Trap,
    TrapKind,
    UnsupportedInstruction,
)
from ..model.validate import validate
from ..model.versions import DEFAULT_VERSION, SpecVersion
from .malformed import wabt_rejects
from .script import (
    Action,
    Assertion,
    Command,
    Either,
    ModuleCommand,
    Register,
    Result,
    ScriptStateError,
    Value,
    is_malformed_text,
)
from .signatures import read_checked

#: how the spec scripts word each trap kind (prefixes of their messages)
SPEC_TRAP_MESSAGES = {
    "out of bounds memory access": TrapKind.OUT_OF_BOUNDS_MEMORY, "integer divide by zero": TrapKind.INTEGER_DIVIDE_BY_ZERO,
    "integer overflow": TrapKind.INTEGER_OVERFLOW, "invalid conversion to integer": TrapKind.INVALID_CONVERSION,
    "unreachable": TrapKind.UNREACHABLE, "call stack exhausted": TrapKind.CALL_STACK_EXHAUSTED,
    "indirect call type mismatch": TrapKind.INDIRECT_CALL, "undefined element": TrapKind.OUT_OF_BOUNDS_TABLE,
    "uninitialized element": TrapKind.UNINITIALIZED_ELEMENT, "out of bounds table access": TrapKind.OUT_OF_BOUNDS_TABLE,
}


#: called with each case as soon as it is judged (progress)
OnCase = Callable[[Case], None]


def wast_case(path: Path, line: int, command: str, runtime: RuntimeId, status: str, detail: str = "") -> Case:
    """The case record of one command on one runtime (``id`` = ``file.wast:LINE``)."""
    return Case(CaseKind.WAST, f"{path.name}:{line}", path, runtime, Status(status), line=line,
                command=command, detail=detail)


def spectest_imports() -> dict[tuple[str, str], Any]:
    """The ``spectest`` module's exports, as the spec interpreter defines them."""
    def printer(*params: str) -> HostFunction:
        return HostFunction(FuncType(tuple(params), ()), lambda args: [])
    return {
        ("spectest", "memory"): model.Memory(model.Limits(1, 2)),
        ("spectest", "global_i32"): GlobalInstance(GlobalType("i32", False), 666),
        ("spectest", "global_i64"): GlobalInstance(GlobalType("i64", False), 666),
        ("spectest", "global_f32"): GlobalInstance(GlobalType("f32", False), F32.from_float(666.6)),
        ("spectest", "global_f64"): GlobalInstance(GlobalType("f64", False), F64.from_float(666.6)),
        ("spectest", "table"): TableInstance("funcref", [None] * 10, 20),
        ("spectest", "table64"): TableInstance("funcref", [None] * 10, 20, address="i64"),
        ("spectest", "print"): printer(),
        ("spectest", "print_i32"): printer("i32"),
        ("spectest", "print_i64"): printer("i64"),
        ("spectest", "print_f32"): printer("f32"),
        ("spectest", "print_f64"): printer("f64"),
        ("spectest", "print_i32_f32"): printer("i32", "f32"),
        ("spectest", "print_f64_f64"): printer("f64", "f64"),
    }


class ModelScript:
    """The reference model's state while it runs one script, by one version's rules."""

    def __init__(self, path: Path, compiler: Compiler, version: SpecVersion = DEFAULT_VERSION) -> None:
        self.path = path
        self.compiler = compiler
        self.version = version
        self.instances: dict[str, Instance] = {}
        self.registered: dict[str, Instance] = {}
        self.current: Instance | None = None
        self.module_gap = False  # a module the model could not instantiate: later actions may need it
        self.spectest = spectest_imports()

    # -- modules ------------------------------------------------------------
    def wasm_bytes(self, command: ModuleCommand, *, validate: bool = True) -> bytes:
        """The module's binary: as given, or compiled from its text by wabt."""
        if command.form == "binary":
            return command.source
        return self.compiler.compile_text(command.source, filename=f"{self.path}:{command.line}",
                                          features=self.version.wabt_features, validate=validate).wasm_bytes

    def decode(self, wasm_bytes: bytes) -> model.Module:
        """Decode by the script's version's rules."""
        return model.decode_module(wasm_bytes, version=self.version)

    def validate(self, module: model.Module) -> model.Module:
        """Validate by the script's version's rules; the module, when valid."""
        validate(module, version=self.version)
        return module

    def imports_for(self, module: model.Module) -> dict[tuple[str, str], Any]:
        """Every import resolved from registered instances or ``spectest``; missing ones stay missing."""
        provided: dict[tuple[str, str], Any] = {}
        for entry in module.imports:
            key = (entry.module, entry.name)
            if entry.module in self.registered and entry.name in self.registered[entry.module].exports:
                provided[key] = self.registered[entry.module].exports[entry.name]
            elif key in self.spectest:
                provided[key] = self.spectest[key]
        return provided

    def instantiate(self, command: ModuleCommand) -> Instance:
        """Decode, validate and instantiate (raises what instantiation raises)."""
        module = self.validate(self.decode(self.wasm_bytes(command)))
        return model.instantiate(module, self.imports_for(module))

    def define(self, command: ModuleCommand) -> None:
        """A module command: instantiate it and make it current (and named)."""
        if command.definition:
            self.validate(self.decode(self.wasm_bytes(command)))
            return
        self.current = None  # until this module is instantiated, actions have no module to run in
        instance = self.instantiate(command)
        self.current = instance
        if command.name:
            self.instances[command.name] = instance

    # -- actions ------------------------------------------------------------
    def perform(self, action: Action) -> list[int]:
        """Run an action; its results as canonical bits."""
        instance = self.instances.get(action.module) if action.module else self.current
        if instance is None:
            if self.module_gap:
                raise UnsupportedInstruction("a module the model could not instantiate")
            raise ScriptStateError(f"no module to run {action.name!r} on: none was instantiated")
        extern = instance.exports.get(action.name)
        if extern is None:
            raise ScriptStateError(f"the module has no export {action.name!r}")
        if action.kind == "get":
            assert isinstance(extern, GlobalInstance)
            return [extern.value]
        assert isinstance(extern, (WasmFunction, HostFunction))
        return invoke_function(extern, [argument_value(arg) for arg in action.args])


def argument_value(argument: Value) -> Any:
    """An action's argument as a canonical value: bits, or a reference (``None`` for null)."""
    if argument.reference == "null":
        return None
    if argument.reference is not None:
        return ExternRef(argument.bits or 0)
    return argument.bits or 0


def describe_results(results: list[Any]) -> str:
    """Results for a report: numbers in hex, references by kind."""
    def one(value: Any) -> str:
        if isinstance(value, int):
            return hex(value)
        if value is None:
            return "ref.null"
        if isinstance(value, ExternRef):
            return f"ref.extern {value.number}"
        if isinstance(value, str):  # a runtime's value the scripts have no name for
            return value
        return "ref.func"
    return "[" + ", ".join(one(value) for value in results) + "]"


def result_matches(expected: Result, bits: Any) -> bool:
    """Whether a result satisfies an expectation (NaN patterns, references and ``either`` included).

    ``bits`` is a canonical value: an int, or a reference (``None``, an
    :class:`ExternRef`, anything else a function).
    """
    if isinstance(expected, Either):
        return any(result_matches(alternative, bits) for alternative in expected.alternatives)
    if expected.reference is not None:
        return _reference_matches(expected, bits)
    if not isinstance(bits, int):
        return False
    if expected.lane_nans is not None:
        return _lanes_match(expected, bits)
    if expected.nan is not None:
        return nan_matches(expected.nan, F32 if expected.type == "f32" else F64, bits)
    return expected.bits == bits


def nan_matches(pattern: str, fmt: Format, bits: int) -> bool:
    """Whether ``bits`` is a NaN of the pattern: ``canonical`` (only the quiet bit set) or ``arithmetic`` (quiet bit set)."""
    if not fmt.is_nan(bits):
        return False
    payload = bits & fmt.mantissa_mask
    return payload == fmt.quiet if pattern == "canonical" else bool(payload & fmt.quiet)


def _lanes_match(expected: Value, bits: int) -> bool:
    """A v128 result with per-lane NaN patterns: each lane is its pattern's NaN or its exact bits."""
    assert expected.lane_nans is not None and expected.bits is not None
    count = len(expected.lane_nans)
    width = 128 // count
    fmt: Format = F32 if width == 32 else F64
    mask = (1 << width) - 1
    for lane, pattern in enumerate(expected.lane_nans):
        got = (bits >> (lane * width)) & mask
        if pattern is not None:
            if not nan_matches(pattern, fmt, got):
                return False
        elif got != (expected.bits >> (lane * width)) & mask:
            return False
    return True


def _reference_matches(expected: Value, value: Any) -> bool:
    if expected.reference == "null":
        return value is None
    if expected.reference == "func":  # any non-null function reference
        return value is not None and not isinstance(value, (int, str, ExternRef))
    return isinstance(value, ExternRef) and (expected.bits is None or value.number == expected.bits)


def _judge(script: ModelScript, command: Command) -> tuple[str, str, str]:
    """``(command name, status, detail)`` for one command on the model."""
    if isinstance(command, ModuleCommand):
        script.define(command)
        return "module", "pass", ""
    if isinstance(command, Register):
        instance = script.instances[command.module] if command.module else script.current
        assert instance is not None
        script.registered[command.as_name] = instance
        return "register", "pass", ""
    if isinstance(command, Action):
        script.perform(command)
        return command.kind, "pass", ""
    return command.kind, *_judge_assertion(script, command)


def _expect_failure(action: Callable[[], object], wanted: type[BaseException], check: Callable[[BaseException], str]) -> tuple[str, str]:
    try:
        action()
    except wanted as failure:
        problem = check(failure)
        return ("fail", problem) if problem else ("pass", "")
    return "fail", f"expected {wanted.__name__}, but it succeeded"


def _trap_check(message: str) -> Callable[[BaseException], str]:
    wanted = next((kind for prefix, kind in SPEC_TRAP_MESSAGES.items() if message.startswith(prefix)), None)

    def check(failure: BaseException) -> str:
        assert isinstance(failure, Trap)
        return "" if wanted is None or failure.kind is wanted else f"trapped with {failure.kind.value!r}, expected {message!r}"
    return check


def _judge_assertion(script: ModelScript, assertion: Assertion) -> tuple[str, str]:
    kind, subject = assertion.kind, assertion.subject
    if kind == "assert_return":
        assert isinstance(subject, Action)
        results = script.perform(subject)
        if len(results) != len(assertion.results) or not all(
                result_matches(expected, bits) for expected, bits in zip(assertion.results, results)):
            return "fail", f"results {describe_results(results)} do not match the expectation"
        return "pass", ""
    if kind in ("assert_trap", "assert_exhaustion"):
        run = (lambda: script.perform(subject)) if isinstance(subject, Action) else (lambda: script.instantiate(subject))
        return _expect_failure(run, Trap, _trap_check(assertion.message or ""))
    assert isinstance(subject, ModuleCommand)
    if kind == "assert_uninstantiable":
        return _expect_failure(lambda: script.instantiate(subject), Trap, lambda failure: "")
    if kind == "assert_unlinkable":
        def link_error(failure: BaseException) -> str:
            return "" if getattr(failure, "name", "") == "LinkError" else f"failed with {failure}, not a LinkError"
        return _expect_failure(lambda: script.instantiate(subject), JsException, link_error)
    if kind == "assert_malformed" and subject.form == "binary":
        return _expect_failure(lambda: script.decode(subject.source), WasmDecodeError, lambda failure: "")
    if kind == "assert_invalid":
        # Rejected while decoding or validating, as a JS engine's CompileError would be: wabt's binary
        # can turn a validation error into a decoding one (it leaves out a data count section nothing needs).
        return _expect_failure(lambda: script.validate(script.decode(script.wasm_bytes(subject, validate=False))),
                               WasmDecodeError, lambda failure: "")
    raise AssertionError(kind)


def run_on_model(path: Path, compiler: Compiler, on_case: OnCase = lambda case: None,
                 commands: Sequence[Command] | None = None, *, version: SpecVersion = DEFAULT_VERSION) -> list[Case]:
    """Every command of a script (``commands``, when it was read already), judged on the reference
    model by ``version``'s rules (malformed text on wabt).

    The whole script runs on the model's deep-stack thread (:mod:`harness.model.deep_stack`), so its
    thousands of invocations are direct calls there instead of one hand-off between threads each.
    """
    return run_deep(lambda: _run_commands(path, compiler, on_case, commands, version), SCRIPT_FRAMES)


#: the Python frames a script may need on the deep thread: a full wasm call chain (as
#: :func:`harness.model.interpreter.invoke` asks for it), with room for the script's own frames below it
SCRIPT_FRAMES = MAX_CALL_DEPTH + 1000 + 100


def _run_commands(path: Path, compiler: Compiler, on_case: OnCase, commands: Sequence[Command] | None,
                  version: SpecVersion) -> list[Case]:
    script = ModelScript(path, compiler, version)
    cases = []
    for command in read_checked(path, compiler, version) if commands is None else commands:
        if is_malformed_text(command):
            cases.append(_malformed_text(path, command, compiler, version))  # type: ignore[arg-type]
            on_case(cases[-1])
            continue
        try:
            name, status, detail = _judge(script, command)
        except (UnsupportedInstruction, FuelExhausted) as gap:
            name, status, detail = type(command).__name__, "error", f"reference model: {gap}"
            script.module_gap = script.module_gap or isinstance(command, ModuleCommand)
        except HarnessError as failure:
            name, status, detail = type(command).__name__, "fail", failure.one_line()
        except (Trap, JsException, AssertionError) as failure:
            name, status, detail = type(command).__name__, "fail", f"{type(failure).__name__}: {failure}"
        except Exception as bug:  # noqa: BLE001 - one command's model bug must not end the run
            name, status, detail = type(command).__name__, "error", f"reference model bug: {type(bug).__name__}: {bug}"
        cases.append(wast_case(path, command.line, name, REFERENCE, status, detail))
        on_case(cases[-1])
    return cases


def _malformed_text(path: Path, command: Assertion, compiler: Compiler, version: SpecVersion) -> Case:
    """Malformed text is a property of the text parser: judged against wabt (with ``version``'s features)."""
    assert isinstance(command.subject, ModuleCommand)
    if wabt_rejects(compiler, command.subject.source, filename=f"{path}:{command.line}",
                    features=version.wabt_features):
        return wast_case(path, command.line, "assert_malformed", WABT, "pass")
    return wast_case(path, command.line, "assert_malformed", WABT, "fail", "wabt parsed text the script calls malformed")
