"""Running ``.wast`` scripts on a JavaScript runtime (``js/wast_driver.js``).

The runtime's own ``WebAssembly`` API instantiates each module (compiled by
wabt, without wabt's validation where the script expects the runtime to
reject it) and calls its exports. Floats cross the boundary as bit patterns:
each call goes through a small wrapper module, compiled per signature, that
takes and returns i32/i64 and reinterprets them, so NaN payloads survive;
i64 travels as BigInt. Traps are recognised by kind from the engine's
message (:mod:`harness.engine_errors`).
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

from . import model
from .engine_errors import trap_kinds
from .errors import HarnessError, RuntimeFailure
from .model.binary import FuncType, Module
from .model.traps import UnsupportedInstruction
from .probes import probe_features
from .process import JsonLineWorker
from .protocol import JsError, parse_answer, request
from .resources import JS_DIR
from .runtimes import Runtime
from .wabt import Compiler
from .wast import Action, Assertion, Command, ModuleCommand, Register, read_script
from .wast_runner import SPEC_TRAP_MESSAGES, WastCase, result_matches

CARRIER = {"f32": "i32", "f64": "i64", "i32": "i32", "i64": "i64"}
#: assert_invalid messages of the 2.0 scripts that a later proposal makes valid, and the probe that shows it
SUPERSEDED = {"multiple memories": "multi_memory", "unknown global": "global_get_in_constants"}
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


class JsScript:
    """One runtime's run of one script."""

    def __init__(self, path: Path, runtime: Runtime, compiler: Compiler, worker: JsonLineWorker) -> None:
        self.path = path
        self.runtime = runtime
        self.compiler = compiler
        self.worker = worker
        self.modules: dict[str, Module] = {}
        self.current: Module | None = None
        self.features = probe_features(runtime)
        self.wrappers: dict[FuncType, str] = {}

    def ask(self, op: str, **fields: Any) -> dict[str, Any]:
        answer = parse_answer(self.worker.request(request(op, **fields), timeout=TIMEOUT), who=self.worker.name)
        if isinstance(answer, JsError):
            raise RuntimeFailure(f"{self.worker.name}: {answer.name}: {answer.message}")
        return answer

    def wasm(self, command: ModuleCommand, *, validate: bool = True) -> bytes:
        if command.form == "binary":
            return command.source
        return self.compiler.compile_text(command.source, filename=f"{self.path}:{command.line}",
                                          validate=validate).wasm_bytes

    def module(self, command: ModuleCommand, **flags: bool) -> dict[str, Any]:
        wasm = self.wasm(command, validate=not flags.get("compile_only", False))
        answer = self.ask("wast_module", wasm_b64=base64.b64encode(wasm).decode(), name=command.name, **flags)
        if "error" not in answer and not flags:
            # the runtime now holds this module; calls into it need its signatures from the decoder
            self.current = None
            self.modules.pop(command.name or "", None)
            decoded = model.decode_module(wasm)
            self.current = decoded
            if command.name:
                self.modules[command.name] = decoded
        return answer

    def wrapper(self, signature: FuncType) -> str:
        """The base64 wrapper module for a signature, compiled once per run."""
        if signature not in self.wrappers:
            wasm = self.compiler.compile_text(wrapper_wat(signature).encode(), filename="wrapper.wat").wasm_bytes
            self.wrappers[signature] = base64.b64encode(wasm).decode()
        return self.wrappers[signature]

    def lacking(self, signature: FuncType) -> str:
        """What the runtime would need to make this call (empty when it can)."""
        carriers = [CARRIER[t] for t in signature.params + signature.results]
        if "i64" in carriers and not self.features.get("bigint_i64"):
            return "i64 <-> BigInt at the JS boundary (an i64, or an f64 carried as i64 bits)"
        if len(signature.results) > 1 and not self.features.get("multi_value"):
            return "multiple results (multi-value)"
        return ""

    def invoke(self, action: Action) -> dict[str, Any]:
        module = self.modules.get(action.module) if action.module else self.current
        if module is None:
            raise UnsupportedInstruction("the signatures of a module the reference decoder cannot read")
        export = module.export(action.name)
        if action.kind == "get" or export is None or export.kind != "func":
            return self.ask("wast_invoke", kind="get", module=action.module, name=action.name)
        signature = module.function_type(export.index)
        lacking = self.lacking(signature)
        if lacking:
            return {"unsupported": f"{self.runtime.label()} lacks {lacking}"}
        wrapper = self.wrapper(signature)
        args = [{"carrier": CARRIER[t], "bits": str(arg.bits or 0)} for t, arg in zip(signature.params, action.args)]
        answer = self.ask("wast_invoke", kind="invoke", module=action.module, name=action.name, args=args,
                          results=[CARRIER[t] for t in signature.results],
                          wrapper_b64=wrapper)
        return answer


def _trap_problem(answer: dict[str, Any], message: str) -> str:
    if "error" not in answer:
        return "expected a trap, but it succeeded"
    wanted = next((kind for prefix, kind in SPEC_TRAP_MESSAGES.items() if message.startswith(prefix)), None)
    kinds = trap_kinds(answer["message"])
    if wanted is not None and wanted not in kinds:
        return f"{answer['error']}: {answer['message']!r} is not {message!r}"
    return ""


def _judge(script: JsScript, command: Command) -> tuple[str, str, str]:
    if isinstance(command, ModuleCommand):
        if command.definition:
            return "module", "pass", ""
        answer = script.module(command)
        return "module", ("fail" if "error" in answer else "pass"), answer.get("message", "")
    if isinstance(command, Register):
        script.ask("wast_register", module=command.module, **{"as": command.as_name})
        return "register", "pass", ""
    if isinstance(command, Action):
        answer = script.invoke(command)
        if "unsupported" in answer:
            return command.kind, "unsupported", answer["unsupported"]
        return command.kind, ("fail" if "error" in answer else "pass"), answer.get("message", "")
    return command.kind, *_judge_assertion(script, command)


def _judge_assertion(script: JsScript, assertion: Assertion) -> tuple[str, str]:
    kind, subject = assertion.kind, assertion.subject
    if kind == "assert_return":
        answer = script.invoke(subject)  # type: ignore[arg-type]
        if "unsupported" in answer:
            return "unsupported", answer["unsupported"]
        if "error" in answer:
            return "fail", f"{answer['error']}: {answer['message']}"
        if subject.kind == "get":  # type: ignore[union-attr]
            return "pass" if str(answer["results"][0]["value"]) else "fail", ""
        results = [int(bits) for bits in answer["results"]]
        if len(results) != len(assertion.results) or not all(
                result_matches(expected, bits) for expected, bits in zip(assertion.results, results)):
            return "fail", f"results {[hex(r) for r in results]} do not match the expectation"
        return "pass", ""
    if kind in ("assert_trap", "assert_exhaustion") and isinstance(subject, Action):
        answer = script.invoke(subject)
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
    if answer.get("error") == wanted:
        return "pass", ""
    feature = SUPERSEDED.get(assertion.message or "")
    if kind == "assert_invalid" and "error" not in answer and feature and script.features.get(feature):
        return "unsupported", (f"{script.runtime.label()} implements {feature} (a later WebAssembly version), "
                               f"under which this module is valid")
    return "fail", f"expected {wanted}, got {answer.get('error') or 'success'}"


def run_on_runtime(path: Path, runtime: Runtime, compiler: Compiler) -> list[WastCase]:
    """Every command of a script on one runtime (malformed text is wabt's, and is judged elsewhere)."""
    worker = JsonLineWorker(runtime.command(JS_DIR / "worker.js", str(JS_DIR / "wast_driver.js")),
                            name=f"{runtime.label()} wast driver")
    script = JsScript(path, runtime, compiler, worker)
    cases: list[WastCase] = []
    skipped: WastCase | None = None  # the first command the runtime could not run: later state may differ
    try:
        for command in read_script(path):
            if isinstance(command, Assertion) and command.kind == "assert_malformed" and \
                    isinstance(command.subject, ModuleCommand) and command.subject.form != "binary":
                continue
            try:
                name, status, detail = _judge(script, command)
            except UnsupportedInstruction as gap:
                name, status, detail = type(command).__name__, "error", f"reference model: {gap}"
            except (HarnessError, KeyError) as failure:
                name, status, detail = type(command).__name__, "error", f"{type(failure).__name__}: {failure}"
            if status == "fail" and skipped is not None:
                status, detail = "unsupported", (f"may depend on line {skipped.line}, which {runtime.label()} could "
                                                 f"not run ({detail})")
            case = WastCase(path, command.line, name, runtime.label(), status, detail)
            invokes = isinstance(command, Action) or isinstance(getattr(command, "subject", None), Action)
            if status == "unsupported" and skipped is None and invokes:
                skipped = case
            cases.append(case)
    finally:
        worker.close()
    return cases
