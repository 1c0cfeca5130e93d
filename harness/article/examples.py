"""The article's two examples: its figures, its programs on Node, and the model's account.

For each example the module is compiled (or read), its binary is checked
against the article's size and SHA-256, ``js/article/<name>.js`` runs on the
chosen Node and reports every value as JSON, the reference model executes the
same steps on the same bytes, and each value is compared three ways: Node,
model, article.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from .. import model
from ..compiler.wabt import CompiledModule
from ..errors import HarnessError, ProtocolError, RuntimeFailure
from ..resources import JS_DIR, WAT_DIR, cache_root, sha256_hex, write_atomic
from ..runtimes.discovery import Runtime
from ..runtimes.process import run_tool
from ..values.compare import first_difference, same_value

PROGRAM_TIMEOUT = 30.0


@dataclass(frozen=True)
class ArticleExample:
    """One of the article's examples and the figures it prints."""

    name: str
    wat_path: Path
    program: Path
    wasm_size: int
    wasm_sha256: str
    figures: dict[str, tuple[str, Any]]  # step -> (type, value)


DEMO = ArticleExample(
    "demo", WAT_DIR / "demo.wat", JS_DIR / "article" / "demo.js", 42,
    "658020eeee7442e4a93ef56df5946eef14df96544191fc0d391bf130575e1647",
    {"bytes": ("Uint8Array", [120, 225, 187, 139, 110, 32, 120, 195, 178]),
     "text": ("string", "xịn xò")})
SUM = ArticleExample(
    "sum", WAT_DIR / "sum.wat", JS_DIR / "article" / "sum.js", 62,
    "ee4dd87b72e05bfaea8b5cf45047fd5b83c74465cf02cb078476b2a5ffbdec09",
    {"before_sum": ("Uint32Array", [7, 4, 0]), "after_sum": ("Uint32Array", [7, 4, 11])})
EXAMPLES = (DEMO, SUM)

Observations = dict[str, tuple[str, Any]]


def _demo_on_model(wasm_bytes: bytes) -> Observations:
    instance = model.instantiate(model.decode_module(wasm_bytes))
    exported = instance.exports.get("memory")
    if not isinstance(exported, model.Memory):
        raise model.JsException("TypeError", "instance.exports.memory is not a WebAssembly.Memory")
    memory = model.MemoryObject.wrapping(exported)
    text = model.TypedArrayModel(model.view_kind("Uint8Array"), memory.buffer, 0, 9)
    values = text.to_list()
    decoded = model.TextDecoderModel("utf8").decode(bytes(values))  # type: ignore[arg-type]
    return {"bytes": ("Uint8Array", values), "text": ("string", decoded)}


def _sum_on_model(wasm_bytes: bytes) -> Observations:
    memory = model.MemoryObject(initial=1)
    instance = model.instantiate(model.decode_module(wasm_bytes), {("js", "mem"): memory.memory})
    buffer = model.TypedArrayModel(model.view_kind("Uint32Array"), memory.buffer, 0, 3)
    buffer.set([7, 4])  # buffer[0] = 7; buffer[1] = 4
    before_sum = buffer.to_list()
    model.call_export(instance, "sum", [])
    return {"before_sum": ("Uint32Array", before_sum), "after_sum": ("Uint32Array", buffer.to_list())}


MODEL_PROGRAMS: dict[str, Callable[[bytes], Observations]] = {"demo": _demo_on_model, "sum": _sum_on_model}


def run_on_model(example: ArticleExample, wasm_bytes: bytes) -> Observations:
    """The reference model's observations of ``example`` run on ``wasm_bytes``."""
    return MODEL_PROGRAMS[example.name](wasm_bytes)


def run_on_node(example: ArticleExample, runtime: Runtime, wasm_path: Path) -> Observations:
    """Run the example's JavaScript program on ``runtime`` and parse its JSON report.

    Raises :class:`RuntimeFailure` when the program fails or hangs, and
    :class:`ProtocolError` when its output is not the expected document.
    """
    result = run_tool(runtime.command(example.program, str(wasm_path)), timeout=PROGRAM_TIMEOUT)
    stdout = result.stdout.decode("utf-8", "replace")
    try:
        document = json.loads(stdout)
        return parse_report(example, document)
    except (ValueError, KeyError, TypeError) as problem:
        raise ProtocolError(f"{example.program.name} on node {runtime.version} printed something that "
                            f"is not the expected JSON ({problem}): {stdout.strip()[:120]!r}",
                            detail=result.stderr) from None


def parse_report(example: ArticleExample, document: Any) -> Observations:
    """Check the shape of a program's report and return its observations by step."""
    if document["example"] != example.name:
        raise ValueError(f"report is for {document['example']!r}, not {example.name!r}")
    observations = {entry["step"]: (entry["type"], entry["value"]) for entry in document["observations"]}
    if observations.keys() != example.figures.keys():
        raise ValueError(f"steps {sorted(observations)} are not {sorted(example.figures)}")
    return observations


@dataclass(frozen=True)
class StepComparison:
    """One value: what the runtime, the model and the article say."""

    step: str
    type: str
    observed: Any  # what the runtime reported
    model: Any
    article: Any

    @property
    def agree(self) -> bool:
        """True when all three are the same value."""
        return same_value(self.observed, self.model) and same_value(self.model, self.article)

    def where(self) -> str:
        """Which side differs, and at which element."""
        if not same_value(self.observed, self.model):
            return f"runtime and model differ at {first_difference(self.observed, self.model)}"
        return f"runtime and model differ from the article at {first_difference(self.model, self.article)}"


@dataclass
class ExampleResult:
    """Everything measured about one example."""

    example: ArticleExample
    module: CompiledModule
    steps: list[StepComparison] = field(default_factory=list)
    errors: list[HarnessError] = field(default_factory=list)

    @property
    def error(self) -> HarnessError | None:
        """The first failure (Node's before the model's), if any side failed."""
        return self.errors[0] if self.errors else None

    @property
    def binary_matches(self) -> bool:
        """True when the binary is the article's, byte for byte (by size and SHA-256)."""
        return (len(self.module.wasm_bytes) == self.example.wasm_size
                and self.module.sha256 == self.example.wasm_sha256)

    @property
    def agree(self) -> bool:
        """True when the binary and every value match."""
        return self.error is None and self.binary_matches and all(step.agree for step in self.steps)


def wasm_file_for(module: CompiledModule) -> Path:
    """A file holding the module's bytes, for ``fs.readFileSync`` (content-addressed, rewritten if damaged)."""
    path = cache_root() / "wasm" / "by-sha256" / f"{module.sha256}.wasm"
    try:
        intact = sha256_hex(path.read_bytes()) == module.sha256
    except OSError:
        intact = False
    if not intact:
        write_atomic(path, module.wasm_bytes)
    return path


def compare_example(example: ArticleExample, module: CompiledModule, runtime: Runtime) -> ExampleResult:
    """Run one example on Node and on the model and compare every value.

    A side that fails is recorded in ``errors`` (Node's first); the other side
    still runs, so the report shows everything that went wrong.
    """
    result = ExampleResult(example, module)
    sides: list[Observations] = []
    for run in (lambda: run_on_node(example, runtime, wasm_file_for(module)),
                lambda: _run_model_reporting_failures(example, module.wasm_bytes)):
        try:
            sides.append(run())
        except HarnessError as error:
            result.errors.append(error)
    if result.errors:
        return result
    node_side, model_side = sides
    for step, (type_name, article_value) in example.figures.items():
        result.steps.append(StepComparison(step, type_name, node_side[step][1], model_side[step][1],
                                           article_value))
    return result


def _run_model_reporting_failures(example: ArticleExample, wasm_bytes: bytes) -> Observations:
    try:
        return run_on_model(example, wasm_bytes)
    except (model.Trap, model.JsException, model.UnsupportedInstruction) as failure:
        raise RuntimeFailure(f"the reference model could not run the {example.name} example: "
                             f"{failure}") from None
