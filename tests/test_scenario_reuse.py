"""Work done once per distinct text, module or reference, and requests sent ahead: none of it changes a case.

A run reads each distinct scenario text once, decodes each distinct module
once per process, computes each distinct reference once, keeps each module
compiled in the runtime's driver process (its bytes sent once per process)
and sends requests ahead of the one being judged. Everything here is real
(wabt.js, Node, the model); expected observations come from the scenario's
own arithmetic, worked out by hand.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from harness.case import Status
from harness.compiler.wabt import Compiler
from harness.errors import RuntimeFailure, WasmDecodeError
from harness.model import translation_cache
from harness.model.versions import DEFAULT_VERSION
from harness.pipeline.model_pool import ModelPool
from harness.pipeline.targets import Target
from harness.runtimes.discovery import Runtime
from harness.runtimes.protocol import parse_answer, request
from harness.scenarios import decoded as decoded_modules
from harness.scenarios.decoded import decoded, forget_all
from harness.scenarios.format import ScenarioError, load_scenario
from harness.scenarios.on_model import run_reference
from harness.scenarios.on_runtime import RuntimeSession
from harness.scenarios.suite import Reference, prepare, prepare_all, reference_of
from tests.conftest import write_file

#: stores n + 1 at byte 0 and reads it back: the observations are [n + 1] and n + 1
STORE = """wat = '''(module (memory (export "memory") 1)
  (func (export "store") (param i32) (i32.store8 (i32.const 0) (i32.add (local.get 0) (i32.const 1))))
  (func (export "load") (result i32) (i32.load8_u (i32.const 0))))'''

[[steps]]
op = "call"
export = "store"
args = [{n}]

[[steps]]
op = "read"
view = "Uint8Array"
offset = 0
length = 1
expect = [{n_plus_1}]

[[steps]]
op = "call"
export = "load"
expect = {n_plus_1}
"""

HANG = """wat = '(module (func (export "hang") (loop (br 0))))'
[[steps]]
op = "call"
export = "hang"
"""


def store_text(n: int, title: str | None = None) -> str:
    return (f"title = {title!r}\n" if title else "") + STORE.format(n=n, n_plus_1=n + 1)


# -- texts -------------------------------------------------------------------------------
def test_the_same_text_under_two_names_is_two_scenarios_each_with_its_own_path_and_title(tmp_path: Path) -> None:
    first = load_scenario(write_file(tmp_path, "first.scenario.toml", store_text(3)))
    second = load_scenario(write_file(tmp_path, "second.scenario.toml", store_text(3)))
    assert (first.id, first.title) == ("first.scenario.toml", "first.scenario.toml")
    assert (second.id, second.title) == ("second.scenario.toml", "second.scenario.toml")
    assert second.steps == first.steps
    titled = load_scenario(write_file(tmp_path, "titled.scenario.toml", store_text(3, title="three")))
    again = load_scenario(write_file(tmp_path, "again.scenario.toml", store_text(3, title="three")))
    assert (titled.title, again.title, again.id) == ("three", "three", "again.scenario.toml")


def test_a_file_read_again_with_other_text_is_parsed_again(tmp_path: Path) -> None:
    path = write_file(tmp_path, "x.scenario.toml", store_text(3))
    assert load_scenario(path).steps[0].fields["args"] == [3]
    write_file(tmp_path, "x.scenario.toml", store_text(3) + "[[steps]]\nop = 'nope'\n")
    with pytest.raises(ScenarioError, match="unknown op 'nope'"):
        load_scenario(path)


def test_a_scenario_naming_a_module_file_looks_for_the_file_each_time(tmp_path: Path) -> None:
    module = tmp_path / "m.wasm"
    module.write_bytes(b"\0asm\1\0\0\0")
    path = write_file(tmp_path, "file.scenario.toml", 'module = "m.wasm"\n')
    assert load_scenario(path).module_path == module.resolve()
    module.unlink()
    with pytest.raises(ScenarioError, match="no such file"):
        load_scenario(path)


# -- modules ------------------------------------------------------------------------------
def test_the_same_bytes_decode_to_the_same_module_and_bad_bytes_fail_each_time() -> None:
    empty = b"\0asm\1\0\0\0"
    assert decoded(empty) is decoded(bytes(empty))
    for _ in range(2):
        with pytest.raises(WasmDecodeError, match="magic header"):
            decoded(b"\0wasm\1\0\0\0")


def test_a_driver_process_is_sent_each_module_once_and_again_after_a_restart(
        tmp_path: Path, compiler: Compiler, node_runtime: Runtime) -> None:
    prepared = [prepare(load_scenario(write_file(tmp_path, f"s{n}.scenario.toml", store_text(n))), compiler)
                for n in range(3)]
    expected = [{"instantiate": None, "steps": [None, [n + 1], n + 1]} for n in range(3)]
    session = RuntimeSession(node_runtime)
    try:
        observed = [session.answer(item.scenario, item.binaries, item.modules) for item in prepared[:2]]
        pid = session.worker.pid
        assert pid is not None
        os.kill(pid, signal.SIGKILL)  # the next process knows no module
        while session.worker.running():
            time.sleep(0.01)
        item = prepared[2]
        observed.append(session.answer(item.scenario, item.binaries, item.modules))
        assert session.worker.restarts == 1
    finally:
        session.close()
    assert observed == expected


def test_a_request_naming_a_module_the_driver_was_never_sent_fails_the_request(node_runtime: Runtime) -> None:
    session = RuntimeSession(node_runtime)
    try:
        answer = session.worker.request(request("scenario", memory64_js_api="address", imports=[], wasi=None,
                                                multi=False, steps=[],
                                                modules=[{"name": "", "wasm_key": "00" * 32, "text_memory": None,
                                                          "imports_wasi": False, "import_results": {}}]),
                                        timeout=10)
    finally:
        session.close()
    outcome = parse_answer(answer, who="driver")
    assert "linmem sent no bytes for the module" in outcome.message  # type: ignore[union-attr]


# -- references ---------------------------------------------------------------------------
def test_the_same_scenario_under_two_names_shares_one_reference_and_other_data_gets_its_own(
        tmp_path: Path, compiler: Compiler) -> None:
    same = [prepare(load_scenario(write_file(tmp_path, f"{name}.scenario.toml", store_text(4))), compiler)
            for name in ("a", "b")]
    other = prepare(load_scenario(write_file(tmp_path, "c.scenario.toml", store_text(9))), compiler)
    with ModelPool(workers=1) as pool:
        futures = [pool.submit(item) for item in (*same, other)]
        references = [future.result(timeout=60) for future in futures]
    assert futures[0] is futures[1] and futures[2] is not futures[0]
    assert [reference.document["steps"][1:] for reference in references] == [[[5], 5], [[5], 5], [[10], 10]]


# -- requests sent ahead ------------------------------------------------------------------
def test_a_hang_among_scenarios_sent_ahead_is_that_case_s_error_and_the_rest_are_judged(
        tmp_path: Path, compiler: Compiler, node_runtime: Runtime) -> None:
    texts = [store_text(1), HANG, store_text(2), store_text(3)]
    prepared = [prepare(load_scenario(write_file(tmp_path, f"s{n}.scenario.toml", text)), compiler)
                for n, text in enumerate(texts)]
    references = [reference_of(item) if text != HANG else Reference(None, "reference model: not computed here")
                  for item, text in zip(prepared, texts)]
    target = Target(node_runtime, compiler, timeout=1.0)
    try:
        cases = target.scenario_cases(prepared, references)
    finally:
        target.close()
    assert [case.status for case in cases] == [Status.PASS, Status.ERROR, Status.PASS, Status.PASS]
    assert "did not answer within 1 s" in cases[1].detail
    assert [case.observed["steps"][2] for case in cases if case.status is Status.PASS] == [2, 3, 4]


def test_a_wrong_runtime_answer_among_scenarios_sent_ahead_still_fails(
        tmp_path: Path, compiler: Compiler, node_runtime: Runtime) -> None:
    prepared = [prepare(load_scenario(write_file(tmp_path, f"w{n}.scenario.toml", store_text(n))), compiler)
                for n in range(3)]
    wrong = Reference({"instantiate": None, "steps": [None, [99], 99]})  # a reference that is not what V8 gives
    references = [reference_of(prepared[0]), wrong, reference_of(prepared[2])]
    target = Target(node_runtime, compiler)
    try:
        cases = target.scenario_cases(prepared, references)
    finally:
        target.close()
    assert [case.status for case in cases] == [Status.PASS, Status.FAIL, Status.PASS]



def test_a_module_sent_before_a_hang_is_sent_again_to_the_driver_that_replaces_the_hung_one(
        tmp_path: Path, compiler: Compiler, node_runtime: Runtime) -> None:
    first, hang, other, again = (prepare(load_scenario(write_file(tmp_path, name, text)), compiler) for name, text in (
        ("first.scenario.toml", store_text(1)), ("hang.scenario.toml", HANG),
        ("other.scenario.toml", 'wat = "(module)"\n'), ("again.scenario.toml", store_text(5))))
    session = RuntimeSession(node_runtime, timeout=1.0)
    try:
        assert session.answer(first.scenario, first.binaries, first.modules)["steps"][2] == 2
        for item in (hang, other):
            session.send_ahead(item.scenario, item.binaries, item.modules)
        with pytest.raises(RuntimeFailure, match="did not answer within 1 s"):
            session.answer(hang.scenario, hang.binaries, hang.modules)
        assert session.answer(other.scenario, other.binaries, other.modules) == {"instantiate": None, "steps": []}
        assert session.answer(again.scenario, again.binaries, again.modules)["steps"][2] == 6  # first's module
    finally:
        session.close()


# -- translations on disk -----------------------------------------------------------------
def test_translations_kept_on_disk_serve_a_later_process_and_give_the_same_observations(
        tmp_path: Path, compiler: Compiler, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LINMEM_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(decoded_modules, "_reuse_translations", True)  # as in a model worker process
    item = prepare(load_scenario(write_file(tmp_path, "s.scenario.toml", store_text(7))), compiler)
    forget_all()  # as a fresh process: nothing decoded, nothing translated
    first = run_reference(item.scenario, list(item.binaries))
    assert first.document == {"instantiate": None, "steps": [None, [8], 8]}
    forget_all()
    module = decoded(item.binaries[0])
    assert [body.compiled is not None for body in module.bodies] == [True, True]  # from disk, before any call
    assert run_reference(item.scenario, list(item.binaries)) == first


def test_a_damaged_translations_file_is_ignored(tmp_path: Path, compiler: Compiler,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LINMEM_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(decoded_modules, "_reuse_translations", True)  # as in a model worker process
    item = prepare(load_scenario(write_file(tmp_path, "s.scenario.toml", store_text(2))), compiler)
    forget_all()
    run_reference(item.scenario, list(item.binaries))
    path = translation_cache.cache_path(translation_cache.cache_key(item.binaries[0], DEFAULT_VERSION))
    path.write_bytes(path.read_bytes()[:40])
    forget_all()
    assert all(body.compiled is None for body in decoded(item.binaries[0]).bodies)
    assert run_reference(item.scenario, list(item.binaries)).document["steps"] == [None, [3], 3]


# -- the same content under other names ---------------------------------------------------
def test_the_same_text_under_two_names_is_prepared_once_and_judged_under_each_name(
        tmp_path: Path, compiler: Compiler, node_runtime: Runtime) -> None:
    texts = {"a": store_text(3), "b": store_text(3), "c": store_text(4)}
    prepared = prepare_all([load_scenario(write_file(tmp_path, f"{name}.scenario.toml", text))
                            for name, text in texts.items()], compiler)
    assert prepared[1].same_as is prepared[0] and prepared[2].same_as is None
    assert prepared[1].content_key == prepared[0].content_key != prepared[2].content_key
    target = Target(node_runtime, compiler)
    try:
        with ModelPool(workers=1) as pool:
            references = [pool.submit(item).result for item in prepared]
            cases = target.scenario_cases(prepared, [lambda wait=wait: wait(timeout=60) for wait in references])
            cases += target.scenario_cases(prepared[:2], [lambda wait=wait: wait(timeout=60) for wait in references])
    finally:
        target.close()
    assert [(case.id, case.status) for case in cases] == [
        ("a.scenario.toml", Status.PASS), ("b.scenario.toml", Status.PASS), ("c.scenario.toml", Status.PASS),
        ("a.scenario.toml", Status.PASS), ("b.scenario.toml", Status.PASS)]
    assert [case.observed["steps"][1:] for case in cases] == [[[4], 4], [[4], 4], [[5], 5], [[4], 4], [[4], 4]]


def test_a_wrong_expect_under_two_names_fails_under_each_name(
        tmp_path: Path, compiler: Compiler, node_runtime: Runtime) -> None:
    wrong = STORE.format(n=3, n_plus_1=5)  # 3 + 1 is stored and read back: 4, not 5
    prepared = prepare_all([load_scenario(write_file(tmp_path, f"{name}.scenario.toml", wrong))
                            for name in ("a", "b")], compiler)
    assert prepared[1].same_as is prepared[0]
    target = Target(node_runtime, compiler)
    try:
        with ModelPool(workers=1) as pool:
            references = [pool.submit(item).result for item in prepared]
            cases = target.scenario_cases(prepared, [lambda wait=wait: wait(timeout=60) for wait in references])
    finally:
        target.close()
    assert [(case.id, case.status) for case in cases] == [("a.scenario.toml", Status.FAIL),
                                                          ("b.scenario.toml", Status.FAIL)]
    assert [[difference.step for difference in case.differences] for case in cases] == [[2, 3], [2, 3]]
