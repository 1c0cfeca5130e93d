"""Running ``.wast`` scripts on a JavaScript runtime (``js/wast_driver.js``).

The runtime's own ``WebAssembly`` API instantiates each module (compiled by
wabt, without wabt's validation where the script expects the runtime to
reject it) and calls its exports. Floats cross the boundary as bit patterns:
each call goes through a small wrapper module, compiled per signature, that
takes and returns i32/i64 and reinterprets them, so NaN payloads survive;
i64 travels as BigInt. Traps are recognised by kind from the engine's
message (:mod:`harness.engine_errors`). Each command has ``--timeout``
seconds; a driver that hangs or crashes is restarted and the script's
modules are built again in it (:mod:`.replay`), so one bad command costs only
itself and the state it may have changed.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any, Sequence

from .. import model
from ..case import Case, RuntimeId
from ..compiler.wabt import Compiler
from ..errors import HarnessError, RuntimeFailure
from ..model.binary import FuncType, GlobalType, Module
from ..model.store import ExternRef
from ..model.traps import UnsupportedInstruction
from ..resources import JS_DIR
from ..runtimes.discovery import Runtime
from ..runtimes.engine_errors import trap_kinds
from ..runtimes.probes import missing_features, module_requirements, probe_features
from ..runtimes.process import JsonLineWorker
from ..runtimes.protocol import JsError, parse_answer, request
from .on_model import (
    SPEC_TRAP_MESSAGES,
    OnCase,
    describe_results,
    result_matches,
    wast_case,
)
from .replay import ScriptState, restart_reason
from .script import (
    Action,
    Assertion,
    Command,
    ModuleCommand,
    Register,
    Value,
    is_malformed_text,
)
from .signatures import read_checked

#: the type each value crosses the JS boundary as (floats as their bits; references as themselves)
CARRIER = {"f32": "i32", "f64": "i64", "i32": "i32", "i64": "i64", "externref": "externref", "funcref": "funcref"}


class JsFunction:
    """A function reference a JS runtime returned (its identity stays on the JS side)."""


JS_FUNCTION = JsFunction()
#: assert_invalid messages of the 2.0 scripts that a later proposal makes valid, and the probe that shows it
SUPERSEDED = {"multiple memories": "multi_memory", "unknown global": "global_get_in_constants",
              # 2.0 wants memory.size/grow's reserved byte to be one 0x00; multi-memory reads a LEB index there
              "zero byte expected": "multi_memory"}
#: seconds one command may take when no run's ``--timeout`` is given
TIMEOUT = 60.0


def wrapper_wat(signature: FuncType) -> str:
    """A module importing ``t.f`` and exporting ``w``, which takes and returns floats as integer bits."""
    params = " ".join(signature.params)
    results = " ".join(signature.results)
    carried_params = " ".join(CARRIER[t] for t in signature.params)
    carried_results = " ".join(CARRIER[t] for t in signature.results)
    body = []
    for index, value_type in enumerate(signature.params):
        body.append(f"(local.get {index})")
        if value_type in ("f32", "f64"):
            body.append(f"({value_type}.reinterpret_{CARRIER[value_type]})")
    body.append("(call $f)")
    locals_ = " ".join(f"(local $r{i} {t})" for i, t in enumerate(signature.results))
    for index in reversed(range(len(signature.results))):
        body.append(f"(local.set $r{index})")
    for index, value_type in enumerate(signature.results):
        body.append(f"(local.get $r{index})")
        if value_type in ("f32", "f64"):
            body.append(f"({CARRIER[value_type]}.reinterpret_{value_type})")
    return (f'(module (import "t" "f" (func $f (param {params}) (result {results})))\n'
            f'  (func (export "w") (param {carried_params}) (result {carried_results}) {locals_}\n'
            f'    {" ".join(body)}))')


def global_wrapper_wat(global_type: GlobalType) -> str:
    """A module importing the global ``t.g`` and exporting ``w``, which returns its value as bits."""
    value_type, carrier = global_type.value_type, CARRIER[global_type.value_type]
    imported = f"(mut {value_type})" if global_type.mutable else value_type
    read = "(global.get $g)" + (f" ({carrier}.reinterpret_{value_type})" if carrier != value_type else "")
    return f'(module (import "t" "g" (global $g {imported})) (func (export "w") (result {carrier}) {read}))'


def canonical_result(result: Any) -> Any:
    """A result as the driver reports it, as a canonical value (bits, or a reference)."""
    if not isinstance(result, dict):
        return int(result)
    if result["ref"] == "null":
        return None
    if result["ref"] == "extern":
        return ExternRef(int(result["number"]))
    if result["ref"] == "func":
        return JS_FUNCTION
    return f"a foreign value {result.get('text', '')!r}"


def js_argument(value_type: str, argument: Value) -> dict[str, Any]:
    """An argument as the driver takes it."""
    if argument.reference is not None:
        return {"carrier": CARRIER[value_type], "ref": argument.reference, "bits": str(argument.bits or 0)}
    return {"carrier": CARRIER[value_type], "bits": str(argument.bits or 0)}


class WastDriver:
    """One runtime's long-lived ``js/wast_driver.js`` process, serving script after script.

    Each script starts from a reset driver state; the probed features and the
    compiled wrapper modules are shared by every script run here. Each request
    has ``timeout`` seconds. A driver that crashes or hangs is started again by
    the next request (and the script's state rebuilt in it, :mod:`.replay`).
    """

    def __init__(self, runtime: Runtime, compiler: Compiler, *, timeout: float = TIMEOUT) -> None:
        self.runtime = runtime
        self.compiler = compiler
        self.timeout = timeout
        self.features = probe_features(runtime)
        self.worker = JsonLineWorker(runtime.command(JS_DIR / "worker.js", str(JS_DIR / "wast_driver.js")),
                                     name=f"{runtime.label()} wast driver")
        self.wrappers: dict[FuncType | GlobalType, str] = {}

    def __enter__(self) -> "WastDriver":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self, *, grace: float = 2.0) -> None:
        """Stop the driver process for good (killed after ``grace`` seconds)."""
        self.worker.close(grace=grace)

    def ask(self, op: str, **fields: Any) -> dict[str, Any]:
        """One request to the driver; a JS-side failure of the driver itself raises."""
        answer = parse_answer(self.worker.request(request(op, **fields), timeout=self.timeout), who=self.worker.name)
        if isinstance(answer, JsError):
            raise RuntimeFailure(f"{self.worker.name}: {answer.name}: {answer.message}")
        return answer

    def wrapper(self, subject: FuncType | GlobalType) -> str:
        """The base64 wrapper module for a signature or a global type, compiled once per driver."""
        if subject not in self.wrappers:
            text = wrapper_wat(subject) if isinstance(subject, FuncType) else global_wrapper_wat(subject)
            wasm = self.compiler.compile_text(text.encode(), filename="wrapper.wat").wasm_bytes
            self.wrappers[subject] = base64.b64encode(wasm).decode()
        return self.wrappers[subject]

    def run(self, path: Path, on_case: OnCase = lambda case: None,
            commands: Sequence[Command] | None = None) -> list[Case]:
        """Every command of a script (``commands``, when it was read already); malformed text is wabt's,
        and is judged elsewhere."""
        try:
            self.ask("wast_reset")
        except HarnessError:
            pass  # a driver that cannot even reset is reported by the script's first command
        commands = read_checked(path, self.compiler) if commands is None else commands
        return _run_script(JsScript(path, self), on_case, commands)


class JsScript:
    """One runtime's run of one script: the modules it holds and the ones it could not."""

    def __init__(self, path: Path, driver: WastDriver) -> None:
        self.path = path
        self.driver = driver
        self.runtime = driver.runtime
        self.compiler = driver.compiler
        self.features = driver.features
        self.wrapper = driver.wrapper
        #: what the driver holds for this script, to build it again after a restart
        self.state = ScriptState()
        #: the line of the command being run, and why the driver has to be rebuilt before the next request
        self.line = 0
        self.restarted_after: str | None = None
        self.modules: dict[str, Module] = {}
        self.current: Module | None = None
        #: modules that could not be instantiated here (by name; None for the latest), and why
        self.gaps: dict[str | None, str] = {}

    def rebuild_if_restarted(self) -> None:
        """After the driver process ended, build the script's state again in a fresh one (:mod:`.replay`)."""
        worker = self.driver.worker
        if not worker.running() and worker.starts:
            reason = self.restarted_after or f"its process ended before line {self.line}"
            self.restarted_after = None
            self.state.rebuild(self.driver.ask, reason)

    def ask(self, op: str, **fields: Any) -> dict[str, Any]:
        """One request to the driver, on the script's state: rebuilt first if the driver was restarted."""
        worker = self.driver.worker
        self.rebuild_if_restarted()
        try:
            return self.driver.ask(op, **fields)
        except HarnessError as failure:
            if not worker.running():
                self.restarted_after = restart_reason(failure, self.line)
            raise

    def wasm(self, command: ModuleCommand, *, validate: bool = True) -> bytes:
        if command.form == "binary":
            return command.source
        return self.compiler.compile_text(command.source, filename=f"{self.path}:{command.line}",
                                          validate=validate).wasm_bytes

    def missing_features(self, wasm: bytes) -> str:
        """Why this runtime cannot run the module, from the features it lacks (empty if none is lacking).

        Raises :class:`UnsupportedInstruction` when the model cannot read the
        module: then nobody here can say whether the runtime was right.
        """
        try:
            needs = module_requirements(model.decode_module(wasm))
        except HarnessError:  # malformed: the runtime's rejection stands on its own
            return ""
        reasons = missing_features(needs, self.features)
        return f"{self.runtime.label()} {'; '.join(reasons)}" if reasons else ""

    def module(self, command: ModuleCommand, **flags: bool) -> dict[str, Any]:
        wasm = self.wasm(command, validate=not flags.get("compile_only", False))
        fields: dict[str, Any] = dict(wasm_b64=base64.b64encode(wasm).decode(), name=command.name, **flags)
        decoded = _decoded_or_none(wasm)
        self.rebuild_if_restarted()  # before asking what is lost
        lost = self.state.lost_import(decoded)
        answer = self.ask("wast_module", **fields)
        if not flags.get("compile_only"):  # even a failed instantiation may have written to imported state
            self.state.logged("wast_module", fields)
        if not flags and "error" not in answer:
            held = self.state.instantiated(command.line, command.name, decoded)
            held.lost = f"it imports from a module whose state was lost ({lost})" if lost else ""
        elif not flags:
            self.state.failed_module(command.name)
        if lost:
            return {"lost": lost, **answer}
        if "error" in answer and not flags.get("compile_only"):
            try:
                missing = self.missing_features(wasm)
            except UnsupportedInstruction:
                if flags:  # an assertion: the runtime's error is judged against the one the script wants
                    return answer
                self.remember(command, None)  # later actions report the same gap
                raise
            if missing:
                answer = {"unsupported": missing, **answer}
        if flags:
            return answer
        if "error" in answer:  # later actions on this module cannot run here either; they say why
            self.remember(command, None, answer.get("unsupported")
                          or f"its module (line {command.line}) failed on {self.runtime.label()}")
        else:  # the runtime now holds this module; calls into it need its signatures from the decoder
            self.remember(command, None)  # in case the decoder cannot read it
            self.remember(command, model.decode_module(wasm))
        return answer

    def remember(self, command: ModuleCommand, decoded: Module | None, gap: str | None = None) -> None:
        """Record what later actions on this module (the latest, and by its name) use: its decoded
        signatures, or why they cannot run here."""
        self.current = decoded
        for name in (None, command.name) if command.name else (None,):
            if name is not None:
                if decoded is None:
                    self.modules.pop(name, None)
                else:
                    self.modules[name] = decoded
            if gap is None:
                self.gaps.pop(name, None)
            else:
                self.gaps[name] = gap

    def lacking(self, value_types: tuple[str, ...], results: int = 1) -> str:
        """What the runtime would need to pass these values (empty when it can)."""
        if "v128" in value_types:  # the JS API throws a TypeError for them; linmem has no carrier for them yet
            return "v128 values at the JS boundary (the JS API cannot pass them)"
        carriers = [CARRIER[t] for t in value_types]
        if "i64" in carriers and not self.features.get("bigint_i64"):
            return "i64 <-> BigInt at the JS boundary (an i64, or an f64 carried as i64 bits)"
        if results > 1 and not self.features.get("multi_value"):
            return "multiple results (multi-value)"
        if {"externref", "funcref"} & set(carriers) and not self.features.get("reference_types"):
            return "reference types (externref/funcref values at the JS boundary)"
        return ""

    def register(self, command: Register) -> None:
        """``(register "as" $M?)`` in the driver, remembered for a rebuild."""
        fields = {"module": command.module, "as": command.as_name}
        self.ask("wast_register", **fields)
        self.state.logged("wast_register", fields)
        self.state.register(command.as_name, command.module)

    def invoke(self, action: Action) -> dict[str, Any]:
        self.rebuild_if_restarted()  # before asking what is lost
        held = self.state.reached(action.module)
        if held is not None and held.lost:
            return {"lost": held.lost}
        module = self.modules.get(action.module) if action.module else self.current
        if module is None and (action.module in self.gaps or (not action.module and None in self.gaps)):
            return {"unsupported": self.gaps.get(action.module) or self.gaps[None]}
        if module is None:
            raise UnsupportedInstruction("the signatures of a module the reference decoder cannot read")
        export = module.export(action.name)
        wanted = "global" if action.kind == "get" else "func"
        if export is None or export.kind != wanted:
            return {"error": "TypeError", "message": f"{action.name!r} is not an exported {wanted}"}
        if action.kind == "get":
            subject: FuncType | GlobalType = module.global_types()[export.index]
            results: tuple[str, ...] = (subject.value_type,)
            lacking = self.lacking(results)
            args: list[dict[str, Any]] = []
        else:
            subject = module.function_type(export.index)
            results = subject.results
            lacking = self.lacking(subject.params + subject.results, len(subject.results))
            args = [] if lacking else [js_argument(t, arg) for t, arg in zip(subject.params, action.args)]
        if lacking:
            return {"unsupported": f"{self.runtime.label()} lacks {lacking}"}
        if action.kind == "invoke":
            self.state.invoking(held)
        answer = self.ask("wast_invoke", kind=action.kind, module=action.module, name=action.name, args=args,
                          results=[CARRIER[t] for t in results], wrapper_b64=self.wrapper(subject))
        if "results" in answer:
            answer["results"] = [canonical_result(result) for result in answer["results"]]
        return answer


def _trap_problem(answer: dict[str, Any], message: str) -> str:
    if "error" not in answer:
        return "expected a trap, but it succeeded"
    wanted = next((kind for prefix, kind in SPEC_TRAP_MESSAGES.items() if message.startswith(prefix)), None)
    kinds = trap_kinds(answer["message"])
    if wanted is not None and wanted not in kinds:
        return f"{answer['error']}: {answer['message']!r} is not {message!r}"
    return ""


def _decoded_or_none(wasm: bytes) -> Module | None:
    try:
        return model.decode_module(wasm)
    except (HarnessError, UnsupportedInstruction):
        return None


def _judge(script: JsScript, command: Command) -> tuple[str, str, str]:
    if isinstance(command, ModuleCommand):
        if command.definition:
            return "module", "pass", ""
        answer = script.module(command)
        if "lost" in answer:
            return "module", "error", answer["lost"]
        if "unsupported" in answer:
            return "module", "unsupported", answer["unsupported"]
        return "module", ("fail" if "error" in answer else "pass"), answer.get("message", "")
    if isinstance(command, Register):
        script.register(command)
        gap = script.gaps.get(command.module) if command.module else script.gaps.get(None)
        if gap:  # modules importing from it will fail here too
            return "register", "unsupported", f"registers a module that could not run here: {gap}"
        return "register", "pass", ""
    if isinstance(command, Action):
        answer = script.invoke(command)
        if "lost" in answer:
            return command.kind, "error", answer["lost"]
        if "unsupported" in answer:
            return command.kind, "unsupported", answer["unsupported"]
        return command.kind, ("fail" if "error" in answer else "pass"), answer.get("message", "")
    return command.kind, *_judge_assertion(script, command)


def _judge_assertion(script: JsScript, assertion: Assertion) -> tuple[str, str]:
    kind, subject = assertion.kind, assertion.subject
    if kind == "assert_return":
        answer = script.invoke(subject)  # type: ignore[arg-type]
        if "lost" in answer:
            return "error", answer["lost"]
        if "unsupported" in answer:
            return "unsupported", answer["unsupported"]
        if "error" in answer:
            return "fail", f"{answer['error']}: {answer['message']}"
        results = answer["results"]
        if len(results) != len(assertion.results) or not all(
                result_matches(expected, value) for expected, value in zip(assertion.results, results)):
            return "fail", f"results {describe_results(results)} do not match the expectation"
        return "pass", ""
    if kind in ("assert_trap", "assert_exhaustion") and isinstance(subject, Action):
        answer = script.invoke(subject)
        if "lost" in answer:
            return "error", answer["lost"]
        if "unsupported" in answer:
            return "unsupported", answer["unsupported"]
        problem = _trap_problem(answer, assertion.message or "")
        return ("fail", problem) if problem else ("pass", "")
    assert isinstance(subject, ModuleCommand)
    wanted = {"assert_trap": "RuntimeError", "assert_uninstantiable": "RuntimeError",
              "assert_unlinkable": "LinkError", "assert_invalid": "CompileError",
              "assert_malformed": "CompileError"}[kind]
    flags = {"compile_only": True} if kind in ("assert_invalid", "assert_malformed") else {"check_only": True}
    answer = script.module(subject, **flags)
    if "lost" in answer:
        return "error", answer["lost"]
    if answer.get("error") == wanted:
        return "pass", ""
    if "unsupported" in answer:
        return "unsupported", answer["unsupported"]
    feature = SUPERSEDED.get(assertion.message or "")
    if kind in ("assert_invalid", "assert_malformed") and "error" not in answer and feature and \
            script.features.get(feature):
        return "unsupported", (f"{script.runtime.label()} implements {feature} (a later WebAssembly version), "
                               f"under which this module is valid")
    return "fail", f"expected {wanted}, got {answer.get('error') or 'success'}"


def run_on_runtime(path: Path, runtime: Runtime, compiler: Compiler, *, timeout: float = TIMEOUT) -> list[Case]:
    """Every command of one script on one runtime, in a driver of its own (see :class:`WastDriver`)."""
    with WastDriver(runtime, compiler, timeout=timeout) as driver:
        return driver.run(path)


def _run_script(script: JsScript, on_case: OnCase, commands: Sequence[Command]) -> list[Case]:
    path, label = script.path, script.runtime.label()
    runtime = RuntimeId(script.runtime.name, script.runtime.version)
    cases: list[Case] = []
    skipped: Case | None = None  # the first command the runtime could not run: later state may differ
    for command in commands:
        if is_malformed_text(command):
            continue
        script.line = command.line
        try:
            name, status, detail = _judge(script, command)
        except UnsupportedInstruction as gap:
            name, status, detail = type(command).__name__, "error", f"reference model: {gap}"
        except HarnessError as failure:
            name, status, detail = type(command).__name__, "error", failure.one_line()
        if status == "fail" and skipped is not None:
            status, detail = "unsupported", f"may depend on line {skipped.line}, which {label} could not run ({detail})"
        case = wast_case(path, command.line, name, runtime, status, detail)
        invokes = isinstance(command, (Action, Register)) or isinstance(getattr(command, "subject", None), Action)
        if status == "unsupported" and skipped is None and invokes:
            skipped = case
        cases.append(case)
        on_case(case)
    return cases
