"""Resizable buffers in scenarios: ``toResizableBuffer``/``toFixedLengthBuffer``, length-tracking views, grows.

Each file in ``tests/scenarios/resizable/`` takes its expectations from the JS
API text ("Memories": toResizableBuffer, toFixedLengthBuffer, "refresh the
Memory buffer") and ECMAScript (resizable ArrayBuffers, length-tracking typed
arrays), as its description says. Here each runs on a runtime that has the API
(the runtime under test, else Node 26) and on the model, each has a twin whose
last expectation is wrong, and a runtime without the API is ``unsupported``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.case import Status
from harness.compiler.wabt import Compiler
from harness.errors import HarnessError
from harness.model.host import MemoryObject
from harness.model.traps import JsException
from harness.model.views import TypedArrayModel, view_kind
from harness.runtimes.discovery import Runtime
from harness.runtimes.probes import probe_features
from harness.scenarios.format import ScenarioError, load_scenario
from harness.scenarios.verdict import without_messages
from tests.conftest import write_file
from tests.oracle import judge_scenario, on_model_alone, wrong_twin

SCENARIOS = Path(__file__).parent / "scenarios"
RESIZABLE_FILES = sorted((SCENARIOS / "resizable").glob("*.scenario.toml"))


@pytest.fixture(scope="module")
def resizable_runtime(node_runtime: Runtime, provisioned) -> Runtime:
    """A runtime whose JS API has resizable memory buffers: the one under test, else Node 26."""
    if probe_features(node_runtime).get("resizable_buffers"):
        return node_runtime
    try:
        return provisioned("26")
    except HarnessError as error:
        pytest.skip(f"no runtime with resizable buffers: {node_runtime.label()} lacks them and Node 26 is "
                    f"not available ({error})")




@pytest.mark.parametrize("path", RESIZABLE_FILES, ids=lambda path: path.name)
def test_each_resizable_buffer_scenario_agrees_on_the_runtime_and_the_model(
        path: Path, compiler: Compiler, resizable_runtime: Runtime) -> None:
    case = judge_scenario(path, compiler, resizable_runtime)
    assert (case.status, case.detail) == (Status.PASS, ""), case.differences
    assert without_messages(case.observed["steps"]) == case.reference["steps"]
    assert on_model_alone(path, compiler).status is Status.PASS


@pytest.mark.parametrize("path", RESIZABLE_FILES, ids=lambda path: path.name)
def test_a_wrong_expectation_in_each_resizable_buffer_scenario_fails_there(
        path: Path, tmp_path: Path, compiler: Compiler, resizable_runtime: Runtime) -> None:
    twin, label = wrong_twin(path, tmp_path)
    case = judge_scenario(twin, compiler, resizable_runtime)
    assert case.status is Status.FAIL
    assert [difference.step for difference in case.differences] == [label]
    assert on_model_alone(twin, compiler).status is Status.FAIL


def test_a_runtime_without_resizable_buffers_is_unsupported_saying_why(compiler: Compiler, provisioned) -> None:
    runtime = provisioned("18")  # Node 18 has neither toResizableBuffer nor resizable ArrayBuffers
    if probe_features(runtime).get("resizable_buffers"):
        pytest.skip(f"{runtime.label()} has resizable buffers")
    case = judge_scenario(SCENARIOS / "resizable" / "to-resizable-buffer.scenario.toml", compiler, runtime)
    assert (case.status, case.detail) == (Status.UNSUPPORTED, (
        f"{runtime.label()}: lacks resizable memory buffers (WebAssembly.Memory's toResizableBuffer, "
        "resizable ArrayBuffers) (step 2 calls toResizableBuffer())"))


# -- the engine differences: the model keeps to the spec text, a runtime that does not is reported ---------------
def test_text_decoder_on_a_resizable_buffer_is_a_type_error_on_the_model_and_a_difference_on_v8(
        compiler: Compiler, resizable_runtime: Runtime) -> None:
    path = SCENARIOS / "differences" / "text-decoder-resizable.scenario.toml"
    assert on_model_alone(path, compiler).status is Status.PASS
    case = judge_scenario(path, compiler, resizable_runtime)
    assert case.status is Status.FAIL
    assert [(d.step, d.observed, d.reference) for d in case.differences] == [(4, "hi", {"error": "TypeError"})]


def test_shared_grow_zero_makes_a_new_shared_array_buffer_on_the_model(compiler: Compiler) -> None:
    assert on_model_alone(SCENARIOS / "differences" / "shared-grow-zero.scenario.toml", compiler).status \
        is Status.PASS


def test_to_resizable_buffer_without_a_maximum_is_a_type_error_on_the_model(compiler: Compiler) -> None:
    assert on_model_alone(SCENARIOS / "differences" / "resizable-without-maximum.scenario.toml", compiler).status \
        is Status.PASS


# -- the model's buffers and views, by hand from the spec text ---------------------------------------------------
def test_a_length_tracking_view_grows_with_its_resizable_buffer() -> None:
    memory = MemoryObject(initial=1, maximum=2)
    view = TypedArrayModel(view_kind("Float64Array"), memory.to_resizable_buffer(), 8)
    assert (view.length, view.byte_length) == (8191, 65528)  # (65536 - 8) / 8
    memory.grow(1)
    assert (view.length, view.byte_length) == (16383, 131064)


def test_to_fixed_length_buffer_detaches_the_resizable_buffer_and_its_views() -> None:
    memory = MemoryObject(initial=1, maximum=2)
    view = TypedArrayModel(view_kind("Uint8Array"), memory.to_resizable_buffer())
    fixed = memory.to_fixed_length_buffer()
    assert (fixed.resizable, fixed.byte_length, view.length) == (False, 65536, 0)
    with pytest.raises(JsException, match="TypeError"):
        view.to_list()


def test_a_grow_by_zero_pages_replaces_a_shared_memorys_fixed_length_buffer_but_not_a_growable_one() -> None:
    memory = MemoryObject(initial=1, maximum=2, shared=True)
    before = memory.buffer
    memory.grow(0)
    assert memory.buffer is not before and not before.detached
    growable = memory.to_resizable_buffer()
    memory.grow(0)
    assert memory.buffer is growable


def test_to_resizable_buffer_needs_a_maximum() -> None:
    with pytest.raises(JsException, match="TypeError: .*must have a maximum"):
        MemoryObject(initial=1).to_resizable_buffer()


def test_a_buffer_step_naming_no_kept_buffer_is_refused(tmp_path: Path) -> None:
    path = write_file(tmp_path, "unkept.scenario.toml",
                      'wat = "(module (memory (export \\"memory\\") 1))"\n[[steps]]\nop = "buffer"\nname = "b"\n')
    with pytest.raises(ScenarioError, match="step 1: key 'name': no earlier step keeps a buffer as 'b'"):
        load_scenario(path)
