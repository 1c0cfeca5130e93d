"""Feature probes on real runtimes, and what scenarios need: unsupported, with the reason."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.case import Status
from harness.compiler.wabt import Compiler
from harness.model import decode_module
from harness.runtimes.discovery import Runtime, find_node
from harness.runtimes.probes import (
    missing_features,
    module_requirements,
    probe_features,
)
from harness.scenarios.format import load_scenario
from harness.scenarios.requirements import requirements
from tests.oracle import judge_scenario

SCENARIOS = Path(__file__).parent / "scenarios"


def test_node_14_matches_the_known_facts(provisioned) -> None:
    features = probe_features(provisioned("14"))
    assert features["bigint_i64"] is False  # no i64 <-> BigInt without a flag
    assert features["shared_memory"] is False  # shared: true is silently ignored
    assert features["max_memory_pages"] == 32767
    assert features["multi_value"] is False


@pytest.mark.needs_node("it checks a modern Node", min_major=16)
def test_the_default_node_has_what_the_library_needs(node_runtime: Runtime) -> None:
    features = probe_features(node_runtime)
    assert features["bigint_i64"] and features["shared_memory"] and features["bulk_memory"]
    assert features["max_memory_pages"] == 65536


def test_deno_has_memory64_with_the_standard_js_api(provisioned) -> None:
    features = probe_features(provisioned("deno"))
    assert features["memory64"] is True and features["memory64_js_api"] == "address"
    assert features["multi_memory"] is True


def test_the_default_node_24_has_multi_memory_and_memory64_and_node_18_has_neither() -> None:
    # V8 shipped multi-memory in 12.0 and memory64 (with the address-typed JS API) in 13.3
    default, node18 = find_node("default"), find_node("18")
    assert default.engine_version.startswith("13.6.") and node18.engine_version.startswith("10.2.")
    modern, old = probe_features(default), probe_features(node18)
    assert (modern["multi_memory"], modern["memory64"], modern["memory64_js_api"]) == (True, True, "address")
    assert (old["multi_memory"], old["memory64"]) == (False, False)


def test_the_multi_memory_scenario_passes_on_the_default_and_is_unsupported_on_node_18(compiler: Compiler) -> None:
    scenario = SCENARIOS / "differences" / "multi-memory.scenario.toml"
    on_default = judge_scenario(scenario, compiler, find_node("default"))
    assert on_default.status is Status.PASS, on_default.detail
    on_18 = judge_scenario(scenario, compiler, find_node("18"))
    assert on_18.status is Status.UNSUPPORTED
    assert on_18.detail == "node-18.4.0: lacks multiple memories (the module has 2 memories)"


def test_requirements_come_from_the_module_and_the_steps(compiler: Compiler) -> None:
    scenario = load_scenario(SCENARIOS / "memory" / "shared-memory-not-detached.scenario.toml")
    module = decode_module(compiler.compile_text(scenario.wat.encode(), filename="s.wat", features=["threads"]).wasm_bytes)
    assert requirements(scenario, [module]) == {"shared_memory": "the module's memory is shared", "max_memory_pages": 1}
    bigint = load_scenario(SCENARIOS / "code" / "i64-bigint-boundary.scenario.toml")
    needs = requirements(bigint, [decode_module(compiler.compile_text(bigint.wat.encode(), filename="b.wat").wasm_bytes)])
    assert needs == {"bigint_i64": "step 1 calls add with an i64 parameter or result"}


def test_simd_and_relaxed_simd_instructions_are_requirements(compiler: Compiler) -> None:
    def needs(body: str, features: list[str]) -> dict:
        wat = f"(module (func (result v128) {body}))"
        return module_requirements(decode_module(compiler.compile_text(wat.encode(), filename="v.wat",
                                                                       features=features).wasm_bytes))
    zero = "(v128.const i32x4 0 0 0 0)"
    assert needs(zero, []) == {"simd": "the module uses fixed-width SIMD (v128) instructions"}
    assert needs(f"(i8x16.relaxed_swizzle {zero} {zero})", ["relaxed_simd"]) == {
        "simd": "the module uses fixed-width SIMD (v128) instructions",
        "relaxed_simd": "the module uses relaxed SIMD instructions"}


def test_missing_features_are_named_with_why() -> None:
    reasons = missing_features({"bigint_i64": "step 2 calls f with an i64 parameter or result", "max_memory_pages": 65536},
                               {"bigint_i64": False, "max_memory_pages": 32767})
    assert reasons == ["lacks i64 <-> BigInt at the JS boundary (step 2 calls f with an i64 parameter or result)",
                       "allocates at most 32767 pages; the scenario needs a memory of 65536"]


def test_a_scenario_the_runtime_cannot_run_is_unsupported_not_failed(compiler: Compiler, provisioned) -> None:
    case = judge_scenario(SCENARIOS / "memory" / "four-gib-memory.scenario.toml", compiler, provisioned("14"))
    assert case.status is Status.UNSUPPORTED
    assert case.detail == "node-14.19.3: allocates at most 32767 pages; the scenario needs a memory of 65536"


@pytest.mark.parametrize("damage", [b"", b"{\"bigint_i64\": tr", b"[]", b"{\"max_memory_pages\": \"many\"}",
                                    b"\xff\xfe not utf-8"])
def test_a_damaged_probe_cache_entry_is_probed_again_and_rewritten(node_runtime: Runtime, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch,
                                                                   damage: bytes) -> None:
    monkeypatch.setenv("LINMEM_CACHE_DIR", str(tmp_path))
    probed = probe_features(node_runtime)
    [entry] = (tmp_path / "probes").iterdir()
    entry.write_bytes(damage)
    assert probe_features(node_runtime) == probed
    assert json.loads(entry.read_bytes()) == probed
