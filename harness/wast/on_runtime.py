"""Running ``.wast`` scripts on a JavaScript runtime (``js/wast_driver.js``).

The runtime's own ``WebAssembly`` API instantiates each module (compiled by
wabt, without wabt's validation where the script expects the runtime to
reject it) and calls its exports. Values cross the boundary as bit patterns,
through a wrapper module per signature (:mod:`.boundary`): floats as integer
bits, so NaN payloads survive, a v128 as two i64 halves; i64 travels as
BigInt. Traps are recognised by kind from the engine's
message (:mod:`harness.engine_errors`). Each command has ``--timeout``
seconds; a driver that hangs or crashes is restarted and the script's
modules are built again in it (:mod:`.replay`), so one bad command costs only
itself and the state it may have changed.
"""

from __future__ import annotations

import base64
import collections
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Sequence

from .. import model
from ..case import Case, RuntimeId
from ..compiler.wabt import Compiler
from ..errors import HarnessError, RuntimeFailure
from ..model.binary import FuncType, GlobalType, Module
from ..model.traps import UnsupportedInstruction
from ..model.validate import validate
from ..model.versions import DEFAULT_VERSION, SpecVersion
from ..resources import JS_DIR
from ..runtimes.discovery import Runtime
from ..runtimes.engine_errors import trap_kinds
from ..runtimes.probes import (
    FEATURE_NAMES,
    missing_features,
    module_requirements,
    probe_features,
)
from ..runtimes.process import JsonLineWorker
from ..runtimes.protocol import JsError, parse_answer, request
from .boundary import (
    canonical_result,
    carriers_of,
    global_wrapper_wat,
    join_results,
    js_arguments,
    wrapper_wat,
)
from .on_model import (
    SPEC_TRAP_MESSAGES,
    OnCase,
    describe_results,
    result_matches,
    wast_case,
)
from .replay import SPECTEST, Held, ScriptState, restart_reason
from .script import (
    Action,
    Assertion,
    Command,
    ModuleCommand,
    Register,
    is_malformed_text,
)
from .signatures import read_checked

#: assert_invalid messages of the 2.0 scripts that a later proposal makes valid, and the probe that shows it
SUPERSEDED = {"multiple memories": "multi_memory", "unknown global": "global_get_in_constants",
              # 2.0 wants memory.size/grow's reserved byte to be one 0x00; multi-memory reads a LEB index there
              "zero byte expected": "multi_memory"}
#: the probed features of WebAssembly 3.0 that change which modules are valid (a runtime lacking one is 2.0's here)
LATER_MODULE_FEATURES = ("multi_memory", "memory64", "global_get_in_constants", "extended_const")
#: seconds one command may take when no run's ``--timeout`` is given
TIMEOUT = 60.0


class WastDriver:
    """One runtime's long-lived ``js/wast_driver.js`` process, serving script after script.

    Each script starts from a reset driver state; the probed features and the
    compiled wrapper modules are shared by every script run here. ``version``
    is the WebAssembly version whose text the scripts are written in (wabt
    compiles it with that version's features) and whose rules judge them. Each request
    has ``timeout`` seconds. A driver that crashes or hangs is started again by
    the next request (and the script's state rebuilt in it, :mod:`.replay`).
    """

    def __init__(self, runtime: Runtime, compiler: Compiler, *, timeout: float = TIMEOUT,
                 version: SpecVersion = DEFAULT_VERSION) -> None:
        self.runtime = runtime
        self.compiler = compiler
        self.timeout = timeout
        self.version = version
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
        return self.result(self.worker.request(request(op, **fields), timeout=self.timeout))

    def ask_all(self, requests: Sequence[tuple[str, dict[str, Any]]]) -> Iterator[dict[str, Any]]:
        """Several requests sent at once (pipelined, :meth:`JsonLineWorker.requests`); their results in order.

        The first failure raises, as :meth:`ask` does; the later requests are then never run.
        """
        messages = [request(op, **fields) for op, fields in requests]
        for answer in self.worker.requests(messages, timeout=self.timeout):
            yield self.result(answer)

    def result(self, answer: dict[str, Any]) -> dict[str, Any]:
        """The result of one of the driver's answers; a JS-side failure of the driver itself raises."""
        result = parse_answer(answer, who=self.worker.name)
        if isinstance(result, JsError):
            raise RuntimeFailure(f"{self.worker.name}: {result.name}: {result.message}")
        return result

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
        commands = read_checked(path, self.compiler, self.version) if commands is None else commands
        return _run_script(JsScript(path, self), on_case, commands)


class JsScript:
    """One runtime's run of one script: the modules it holds and the ones it could not."""

    def __init__(self, path: Path, driver: WastDriver) -> None:
        self.path = path
        self.driver = driver
        self.runtime = driver.runtime
        self.compiler = driver.compiler
        self.version = driver.version
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
        #: actions whose requests were sent ahead (:meth:`send_ahead`), in order, and the answers' stream
        self.sent_ahead: collections.deque[tuple[Action | ModuleCommand, Invocation | CompileCheck]] = \
            collections.deque()
        self.answers: Iterator[dict[str, Any]] | None = None

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
                                          features=self.version.wabt_features, validate=validate).wasm_bytes

    def missing_features(self, wasm: bytes) -> str:
        """Why this runtime cannot run the module, from the features it lacks (empty if none is lacking).

        Raises :class:`UnsupportedInstruction` when the model cannot read the
        module: then nobody here can say whether the runtime was right.
        """
        try:
            needs = module_requirements(model.decode_module(wasm))
        except HarnessError:  # malformed: the runtime's rejection stands on its own
            return ""
        reasons = missing_features(needs, self.features) or self.older_rules(wasm)
        return f"{self.runtime.label()} {'; '.join(reasons)}" if reasons else ""

    def older_rules(self, wasm: bytes) -> list[str]:
        """Why a runtime that lacks some of 3.0's module features may reject a module valid by 3.0's rules:
        2.0's reject it (empty when 2.0's accept it too, or it is judged by 2.0's, or the runtime has them all).

        The encodings (a memory index written as a longer LEB128 zero) and forms that only 3.0 allows are
        found by the model's own 2.0 rules, not by listing them here.
        """
        lacking = [FEATURE_NAMES[feature] for feature in LATER_MODULE_FEATURES if not self.features.get(feature)]
        if self.version is SpecVersion.V2 or not lacking:
            return []
        try:
            validate(model.decode_module(wasm, version=self.version), version=self.version)
        except (HarnessError, UnsupportedInstruction):
            return []  # invalid by the rules that judge: the runtime is right to reject it
        try:
            validate(model.decode_module(wasm, version=SpecVersion.V2), version=SpecVersion.V2)
        except HarnessError as rejection:
            return [f"lacks {', '.join(lacking)} (WebAssembly 3.0): 2.0's rules reject the module "
                    f"({rejection.message}), {self.version.value}'s accept it"]
        except UnsupportedInstruction:
            return []
        return []

    def compile_check(self, command: ModuleCommand) -> "CompileCheck":
        """What compiling a module only (``assert_invalid``, ``assert_malformed``) asks of the driver."""
        wasm = self.wasm(command, validate=False)
        fields: dict[str, Any] = dict(wasm_b64=base64.b64encode(wasm).decode(), name=command.name, compile_only=True)
        self.rebuild_if_restarted()  # before asking what is lost
        # only a module importing from a registered module whose state was lost is lost: decode it only then
        anything_lost = any(held is not None and held.lost for held in self.state.registered.values())
        return CompileCheck(fields, self.state.lost_import(_decoded_or_none(wasm)) if anything_lost else "")

    def module(self, command: ModuleCommand, **flags: bool) -> dict[str, Any]:
        if flags == {"compile_only": True}:  # changes nothing in the driver: no log, no held module
            ahead = self._answer_sent_ahead(command)
            if ahead is not None:
                return ahead
            check = self.compile_check(command)
            return check.answered(self.ask("wast_module", **check.fields))
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
                answer = {"unsupported": f"{missing}; it said {answer['error']}: {answer['message']}", **answer}
        if flags:
            return answer
        if "error" in answer:  # later actions on this module cannot run here either; they say why
            self.remember(command, None, answer.get("unsupported")
                          or f"its module (line {command.line}) failed on {self.runtime.label()}")
        else:  # the runtime now holds this module; calls into it need its signatures from the decoder
            self.remember(command, None)  # in case the decoder cannot read it
            self.remember(command, model.decode_module(wasm))
        return answer

    def may_change_shared_state(self, command: Command) -> bool:
        """Whether running ``command`` may change what later commands see: an action, a ``register``, or
        instantiating a module that imports from the script's modules (its segments and start function
        write to their memories and tables, even when instantiation then traps)."""
        subject = command.subject if isinstance(command, Assertion) else command
        if isinstance(command, Register) or isinstance(subject, Action):
            return True
        if not isinstance(subject, ModuleCommand) or (isinstance(command, Assertion) and command.kind in (
                "assert_invalid", "assert_malformed", "assert_unlinkable")):
            return False
        try:
            decoded = _decoded_or_none(self.wasm(subject))
        except HarnessError:
            return True
        return decoded is None or any(entry.module != SPECTEST for entry in decoded.imports)

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

    def lacking(self, params: tuple[str, ...], results: tuple[str, ...]) -> str:
        """What the runtime would need to pass these parameters and results (empty when it can)."""
        carriers = carriers_of(params + results)
        if "v128" in params + results and not self.features.get("simd"):
            return "fixed-width SIMD (v128 values, carried as two i64 halves)"
        if "i64" in carriers and not self.features.get("bigint_i64"):
            return "i64 <-> BigInt at the JS boundary (an i64, or an f64 or a v128 carried as i64 bits)"
        if len(carriers_of(results)) > 1 and not self.features.get("multi_value"):
            return "multiple results (multi-value; a v128 result is two i64 results)"
        if {"externref", "funcref"} & set(carriers) and not self.features.get("reference_types"):
            return "reference types (externref/funcref values at the JS boundary)"
        return ""

    def register(self, command: Register) -> None:
        """``(register "as" $M?)`` in the driver, remembered for a rebuild."""
        fields = {"module": command.module, "as": command.as_name}
        self.ask("wast_register", **fields)
        self.state.logged("wast_register", fields)
        self.state.register(command.as_name, command.module)

    def prepare(self, action: Action) -> "Invocation | dict[str, Any]":
        """What an action needs from the driver, or its outcome when it cannot or need not ask it."""
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
            params: tuple[str, ...] = ()
            results: tuple[str, ...] = (subject.value_type,)
        else:
            subject = module.function_type(export.index)
            params, results = subject.params, subject.results
        lacking = self.lacking(params, results)
        if lacking:
            return {"unsupported": f"{self.runtime.label()} lacks {lacking}"}
        fields = dict(kind=action.kind, module=action.module, name=action.name,
                      args=js_arguments(params, action.args), results=list(carriers_of(results)),
                      wrapper_b64=self.wrapper(subject))
        return Invocation(held, action.kind, fields, results)

    def send_ahead(self, subjects: Sequence[Action | ModuleCommand]) -> None:
        """Send the requests of the script's next actions and compile-only modules at once, before judging any
        (pipelined): none of them changes what the others ask.

        Only while the driver runs (a restart rebuilds first, one request at a
        time), and only up to the first one that asks nothing of the driver
        or cannot be prepared: each is then judged by :meth:`invoke` or
        :meth:`module` in order, exactly as if asked alone. After a failure
        the rest are asked again, one by one.
        """
        if self.sent_ahead or not self.driver.worker.running():
            return
        for subject in subjects:
            try:
                prepared = self.compile_check(subject) if isinstance(subject, ModuleCommand) else self.prepare(subject)
            except (HarnessError, UnsupportedInstruction):
                break
            if not isinstance(prepared, (Invocation, CompileCheck)):
                break
            self.sent_ahead.append((subject, prepared))
        if len(self.sent_ahead) > 1:
            self.answers = self.driver.ask_all([(prepared.op, prepared.fields) for _, prepared in self.sent_ahead])
        else:
            self.sent_ahead.clear()

    def _answer_sent_ahead(self, subject: Action | ModuleCommand) -> dict[str, Any] | None:
        """The answer to ``subject`` when its request was sent ahead (None when it was not)."""
        if not self.sent_ahead or self.sent_ahead[0][0] is not subject:
            return None
        _, prepared = self.sent_ahead.popleft()
        assert self.answers is not None
        if isinstance(prepared, Invocation) and prepared.kind == "invoke":
            self.state.invoking(prepared.held)
        try:
            answer = next(self.answers)
        except HarnessError as failure:
            self.stop_sending_ahead()
            if not self.driver.worker.running():
                self.restarted_after = restart_reason(failure, self.line)
            raise
        if not self.sent_ahead:
            self.stop_sending_ahead()
        return prepared.answered(answer)

    def stop_sending_ahead(self) -> None:
        """Forget the requests sent ahead (after a failure none of them ran; otherwise none is left)."""
        self.sent_ahead.clear()
        if self.answers is not None:
            self.answers.close()  # type: ignore[attr-defined]
            self.answers = None

    def invoke(self, action: Action) -> dict[str, Any]:
        ahead = self._answer_sent_ahead(action)
        if ahead is not None:
            return ahead
        prepared = self.prepare(action)
        if not isinstance(prepared, Invocation):
            return prepared
        if prepared.kind == "invoke":
            self.state.invoking(prepared.held)
        return prepared.answered(self.ask("wast_invoke", **prepared.fields))


@dataclass
class Invocation:
    """An invoke or get ready for the driver: its request's fields, and what reading its answer needs."""

    held: Held | None
    kind: str
    fields: dict[str, Any]
    results: tuple[str, ...]
    op = "wast_invoke"

    def answered(self, answer: dict[str, Any]) -> dict[str, Any]:
        """The driver's answer, its results joined back into the action's values."""
        if "results" in answer:
            answer["results"] = join_results(self.results, [canonical_result(result) for result in answer["results"]])
        return answer


@dataclass
class CompileCheck:
    """A module to compile only, ready for the driver, and why its answer cannot be judged (``lost``, if so)."""

    fields: dict[str, Any]
    lost: str
    op = "wast_module"

    def answered(self, answer: dict[str, Any]) -> dict[str, Any]:
        """The driver's answer, saying first when the module imports lost state."""
        return {"lost": self.lost, **answer} if self.lost else answer


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
    # under 3.0 rules the 2.0 scripts' superseded assertions are simply wrong; the 3.0 scripts have none
    feature = SUPERSEDED.get(assertion.message or "") if script.version is SpecVersion.V2 else None
    if kind in ("assert_invalid", "assert_malformed") and "error" not in answer and feature and \
            script.features.get(feature):
        return "unsupported", (f"{script.runtime.label()} implements {feature} (a later WebAssembly version), "
                               f"under which this module is valid")
    return "fail", f"expected {wanted}, got {answer.get('error') or 'success'}"


def run_on_runtime(path: Path, runtime: Runtime, compiler: Compiler, *, timeout: float = TIMEOUT,
                   version: SpecVersion = DEFAULT_VERSION) -> list[Case]:
    """Every command of one script on one runtime, in a driver of its own (see :class:`WastDriver`),
    judged by ``version``'s rules."""
    with WastDriver(runtime, compiler, timeout=timeout, version=version) as driver:
        return driver.run(path)


def _run_script(script: JsScript, on_case: OnCase, commands: Sequence[Command]) -> list[Case]:
    path, label = script.path, script.runtime.label()
    runtime = RuntimeId(script.runtime.name, script.runtime.version)
    cases: list[Case] = []
    skipped: Case | None = None  # the first command the runtime could not run: later state may differ
    try:
        for position, command in enumerate(commands):
            if is_malformed_text(command):
                continue
            script.line = command.line
            if not script.sent_ahead:
                script.send_ahead(_upcoming_subjects(commands, position))
            try:
                name, status, detail = _judge(script, command)
            except UnsupportedInstruction as gap:
                name, status, detail = type(command).__name__, "error", f"reference model: {gap}"
            except HarnessError as failure:
                name, status, detail = type(command).__name__, "error", failure.one_line()
            if status == "fail" and skipped is not None:
                status, detail = "unsupported", f"may depend on line {skipped.line}, which {label} could not run ({detail})"
            case = wast_case(path, command.line, name, runtime, status, detail)
            if status == "unsupported" and skipped is None and script.may_change_shared_state(command):
                skipped = case
            cases.append(case)
            on_case(case)
    finally:
        script.stop_sending_ahead()
    return cases


#: the most commands whose requests are sent to the driver before the first of them is judged
SEND_AHEAD = 256


def _upcoming_subjects(commands: Sequence[Command], position: int) -> list[Action | ModuleCommand]:
    """What the commands from ``position`` on ask of the driver, up to the first that changes the script's
    modules: actions (an invoke, a get, or an assertion on one) and modules only compiled (``assert_invalid``,
    ``assert_malformed``); malformed text is skipped (wabt's). Their requests can be sent at once."""
    subjects: list[Action | ModuleCommand] = []
    for command in commands[position:position + SEND_AHEAD]:
        if is_malformed_text(command):
            continue
        if isinstance(command, Action):
            subjects.append(command)
        elif isinstance(command, Assertion) and command.kind in ("assert_return", "assert_trap", "assert_exhaustion") \
                and isinstance(command.subject, Action):
            subjects.append(command.subject)
        elif isinstance(command, Assertion) and command.kind in ("assert_invalid", "assert_malformed") \
                and isinstance(command.subject, ModuleCommand):
            subjects.append(command.subject)
        else:
            break
    return subjects
