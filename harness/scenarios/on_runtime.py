"""A runtime under test, kept alive to run many scenarios: ``js/worker.js`` + ``js/driver.js``.

One process per runtime serves every scenario of a run (one JSON request and
answer each). A scenario that crashes or hangs the runtime raises
:class:`~harness.errors.RuntimeFailure`; the worker restarts for the next one.
"""

from __future__ import annotations

import base64
import collections
import functools
import hashlib
from typing import Any, Sequence

from ..errors import ProtocolError, RuntimeFailure
from ..model.binary import Module
from ..model.wasi import WASI_MODULES, WasiConfig
from ..resources import JS_DIR
from ..runtimes.discovery import Runtime
from ..runtimes.engine_errors import normalise
from ..runtimes.probes import probe_features
from ..runtimes.process import EncodedRequest, JsonLineWorker
from ..runtimes.protocol import JsError, parse_answer, request
from ..values.codec import encode_address_value, encode_input
from ..values.elements import from_wire
from .expressions import Expression
from .format import MEMORY_OPS, Scenario, Step
from .linking import memory_of, text_memory

SCENARIO_TIMEOUT = 30.0
#: distinct scenarios whose requests a session keeps, built and encoded, for the next scenario with the same content
KEPT_REQUESTS = 256


#: step keys that hold JavaScript values (numbers, BigInts): sent losslessly (:func:`~harness.values.codec.encode_input`)
VALUE_KEYS = frozenset({"values", "args", "value"})


def _field_json(value: Any, *, holds_values: bool = False) -> Any:
    if isinstance(value, Expression):
        return value.as_json()
    if isinstance(value, list):
        return [_field_json(item, holds_values=holds_values) for item in value]
    return encode_input(value) if holds_values else value


def step_request(scenario: Scenario, modules: Sequence[Module | None], step: Step) -> dict[str, Any]:
    """A step as the driver receives it: its keys, plus what linking decided (instance, memory, types)."""
    position = scenario.instance_position(step.instance)
    entry: dict[str, Any] = {"op": step.op, "instance": position, "name_as": step.name_as}
    for key, value in step.fields.items():
        if key == "data" and isinstance(value, bytes):
            entry["data_b64"] = base64.b64encode(value).decode("ascii")
        else:
            entry[key] = _field_json(value, holds_values=key in VALUE_KEYS)
    module = modules[position]
    if module is None:  # it does not decode, so no step runs
        return entry
    if step.op in MEMORY_OPS:
        memory = memory_of(scenario, modules, step)
        entry["memory"] = memory.as_json() if memory is not None else None
        if step.op == "grow" and memory is not None and not isinstance(step.fields["delta"], Expression):
            entry["delta"] = encode_address_value(step.fields["delta"], memory.address)
    export = module.export(step.fields.get("export", "")) if "export" in step.fields else None
    if step.op == "call" and export is not None:
        signature = module.function_type(export.index)
        entry["param_types"], entry["result_types"] = list(signature.params), list(signature.results)
    if step.op in ("get_global", "set_global") and export is not None:
        entry["global_type"] = module.global_types()[export.index].value_type
    if step.op == "write":
        entry["view_of_values"] = step.fields["view"]
    return entry


@functools.lru_cache(maxsize=256)
def _wire_form(wasm_bytes: bytes) -> tuple[str, str]:
    """A module's key (the SHA-256 of its bytes) and its bytes in base64, worked out once per distinct module."""
    return hashlib.sha256(wasm_bytes).hexdigest(), base64.b64encode(wasm_bytes).decode("ascii")


def module_request(source: Any, wasm_bytes: bytes, module: Module | None, *, keyed: bool = False) -> dict[str, Any]:
    """One module of the request: its bytes and what its host functions need to know.

    ``keyed`` adds ``wasm_key``, the bytes' SHA-256: the driver keeps the module compiled under it,
    and a later request may name the module by its key alone (:meth:`RuntimeSession.send_ahead`).
    """
    imports = module.imports if module is not None else []
    key, wasm_b64 = _wire_form(bytes(wasm_bytes))
    return {
        "name": source.name,
        **({"wasm_key": key} if keyed else {}),
        "wasm_b64": wasm_b64,
        "text_memory": text_memory(module),
        "imports_wasi": any(entry.module in WASI_MODULES for entry in imports),
        "import_results": {f"{e.module}.{e.name}": list(module.types[e.desc].results)
                           for e in imports if e.kind == "func"} if module is not None else {},
    }


def _wasi_json(config: WasiConfig) -> dict[str, Any]:
    """The ``[wasi]`` table as ``createWasiHost`` (``js/wasi.js``) takes it."""
    return {"args": list(config.args), "env": [list(pair) for pair in config.env], "seed": config.seed,
            "clock_ns": str(config.clock_ns)}


def scenario_request(scenario: Scenario, binaries: Sequence[bytes], modules: Sequence[Module | None],
                     *, memory64_js_api: str | None = "address", keyed: bool = False) -> dict[str, Any]:
    """The whole request document for one scenario.

    ``memory64_js_api`` is how the runtime's JS API asks for a 64-bit memory
    (its probe's answer): ``"address"``, the standard's ``{address: "i64"}``
    with BigInts, or ``"index"``, the memory64 proposal's earlier ``{index: "i64"}``
    with Numbers. ``keyed``: each module carries its key (:func:`module_request`).
    """
    return request(
        "scenario",
        memory64_js_api=memory64_js_api,
        modules=[module_request(source, wasm, module, keyed=keyed)
                 for source, wasm, module in zip(scenario.modules, binaries, modules)],
        imports=[declared.as_json() for declared in scenario.imports],
        wasi=_wasi_json(scenario.wasi) if scenario.wasi is not None else None,
        multi=len(scenario.modules) > 1,
        steps=[step_request(scenario, modules, step) for step in scenario.steps],
    )


def keep(kept: collections.OrderedDict[bytes, Any], content: bytes, value: Any) -> None:
    """Keep ``value`` for ``content`` in ``kept``, which holds the last :data:`KEPT_REQUESTS` contents."""
    kept[content] = value
    kept.move_to_end(content)
    while len(kept) > KEPT_REQUESTS:
        kept.popitem(last=False)


def _without_bytes(source: dict[str, Any]) -> dict[str, Any]:
    """A module of a request named by its key alone (the driver has its bytes)."""
    return {key: value for key, value in source.items() if key != "wasm_b64"}


class RuntimeSession:
    """The long-lived driver process of one runtime."""

    def __init__(self, runtime: Runtime, *, timeout: float = SCENARIO_TIMEOUT) -> None:
        self.runtime = runtime
        self.timeout = timeout
        argv = runtime.command(JS_DIR / "worker.js", str(JS_DIR / "driver.js"))
        self.worker = JsonLineWorker(argv, name=f"{runtime.label()} driver")
        self._features: dict[str, Any] | None = None
        self._ahead: collections.deque[tuple[Scenario, int]] = collections.deque()  # sent, not answered yet
        self._known: set[str] = set()  # the keys of the modules the driver process was sent
        self._known_generation = -1  # which process that is (the worker's start count)
        #: requests by their scenario's content: the whole document, and its encodings by which modules carry bytes
        self._requests: collections.OrderedDict[bytes, tuple[dict[str, Any], dict[tuple[bool, ...], EncodedRequest]]] \
            = collections.OrderedDict()
        #: the last answer by its scenario's content: the answer's line after its id, and the document read from it
        self._answers: collections.OrderedDict[bytes, tuple[bytes, dict[str, Any]]] = collections.OrderedDict()
        #: the last judgement by its scenario's content, kept by :func:`~.suite.judge_on_runtime`: the document
        #: and the reference judged, and what they gave (the same objects again give the same judgement)
        self.judged: collections.OrderedDict[bytes, tuple[Any, ...]] = collections.OrderedDict()

    def features(self) -> dict[str, Any]:
        """What the runtime can do (probed once per executable; see :mod:`harness.runtimes.probes`)."""
        if self._features is None:
            self._features = probe_features(self.runtime)
        return self._features

    def run(self, scenario: Scenario, binaries: Sequence[bytes], modules: Sequence[Module | None],
            reference: dict[str, Any] | None = None) -> dict[str, Any]:
        """The runtime's observation document, with trap kinds recognised from messages."""
        return self.normalised(self.answer(scenario, binaries, modules), reference)

    def send_ahead(self, scenario: Scenario, binaries: Sequence[bytes], modules: Sequence[Module | None],
                   *, content: bytes | None = None) -> None:
        """Send the scenario's request now; :meth:`answer` for it, later and in the same order, waits for its answer.

        The runtime works on it while linmem judges the scenarios before it. ``content`` is the
        scenario's content key (:attr:`~.suite.PreparedScenario.content_key`), if known: a scenario
        with the same content had the same request, which is built and encoded once.
        """
        self._ahead.append((scenario, self._send(scenario, binaries, modules, content)))

    def answer(self, scenario: Scenario, binaries: Sequence[bytes], modules: Sequence[Module | None],
               *, content: bytes | None = None) -> dict[str, Any]:
        """The driver's observation document as it came, before :meth:`normalised` sees the reference."""
        while self._ahead and self._ahead[0][0] is not scenario:  # sent ahead, then not asked for: not waited for
            self._drop(self._ahead.popleft()[1])
        ticket = self._ahead.popleft()[1] if self._ahead else self._send(scenario, binaries, modules, content)
        answer, line = self.worker.receive_line(ticket, timeout=self.timeout)
        head = b'{"id":%d,' % ticket
        after_id = line[len(head):] if content is not None and line.startswith(head) else None
        known = self._answers.get(content) if after_id is not None else None  # type: ignore[arg-type]
        if known is not None and known[0] == after_id:  # the same answer to the same request: the same document
            return known[1]
        document = self._document(answer)
        if after_id is not None:
            keep(self._answers, content, (after_id, document))  # type: ignore[arg-type]
        return document

    def _document(self, answer: dict[str, Any]) -> dict[str, Any]:
        """The observation document of the driver's answer (a failure raises, as :meth:`answer` says)."""
        outcome = parse_answer(answer, who=self.worker.name)
        if isinstance(outcome, JsError):
            raise RuntimeFailure(f"{self.worker.name} failed: {outcome.name}: {outcome.message}",
                                 detail=outcome.stack)
        if not (isinstance(outcome, dict) and "instantiate" in outcome and isinstance(outcome.get("steps"), list)):
            raise ProtocolError(f"{self.worker.name} answered without an observation document")
        try:
            return {**outcome, "steps": [from_wire(step) for step in outcome["steps"]]}
        except ValueError as bad:
            raise ProtocolError(f"{self.worker.name} answered with a malformed large read: {bad}") from None

    def _send(self, scenario: Scenario, binaries: Sequence[bytes], modules: Sequence[Module | None],
              content: bytes | None = None) -> int:
        """Send the request, each module's bytes only if this driver process was not sent them before."""
        whole, encodings = self._request(scenario, binaries, modules, content)
        generation = self.worker.starts
        if generation != self._known_generation:  # a fresh process knows no module
            self._known, self._known_generation = set(), generation
        with_bytes = tuple(source["wasm_key"] not in self._known for source in whole["modules"])
        message = encodings.get(with_bytes)
        if message is None:
            message = EncodedRequest(dict(whole, modules=[source if carries else _without_bytes(source)
                                                          for source, carries in zip(whole["modules"], with_bytes)]))
            encodings[with_bytes] = message
        self._known.update(source["wasm_key"] for source in whole["modules"])
        return self.worker.send(message, whole=whole, generation=generation)

    def _request(self, scenario: Scenario, binaries: Sequence[bytes], modules: Sequence[Module | None],
                 content: bytes | None) -> tuple[dict[str, Any], dict[tuple[bool, ...], EncodedRequest]]:
        """The scenario's whole request and its encodings so far (kept by ``content``, when given)."""
        known = self._requests.get(content) if content is not None else None
        if known is not None:
            self._requests.move_to_end(content)  # type: ignore[arg-type]
            return known
        whole = scenario_request(scenario, binaries, modules, memory64_js_api=self.features().get("memory64_js_api"),
                                 keyed=True)
        made: tuple[dict[str, Any], dict[tuple[bool, ...], EncodedRequest]] = (whole, {})
        if content is not None:
            keep(self._requests, content, made)
        return made

    def _drop(self, ticket: int) -> None:
        """Receive an answer nobody asked for, whatever it is (the requests after it are answered in order)."""
        try:
            self.worker.receive(ticket, timeout=self.timeout)
        except RuntimeFailure:
            pass

    def normalised(self, document: dict[str, Any], reference: dict[str, Any] | None) -> dict[str, Any]:
        """A driver's document with trap kinds recognised from messages (the reference's kinds as hints)."""
        reference = reference or {"instantiate": None, "steps": []}
        reference_steps = reference["steps"]
        return {
            "runtime": {"name": self.runtime.name, "version": self.runtime.version},
            "instantiate": normalise(document["instantiate"], reference["instantiate"]),
            "steps": [normalise(step, reference_steps[i] if i < len(reference_steps) else None)
                      for i, step in enumerate(document["steps"])],
        }

    def close(self, *, grace: float = 2.0) -> None:
        """Stop the driver process for good (killed after ``grace`` seconds)."""
        self.worker.close(grace=grace)
