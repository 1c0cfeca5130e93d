"""64-bit host memories in scenarios (memory64): ``address = "i64"``, BigInt page counts, on runtimes and the model.

Each file in ``tests/scenarios/memory64/`` takes its expectations from the
JS API text or from the spec's own JS API tests (``test/js-api/memory/*-memory64.any.js``),
as its description says; here each is run on the runtime and the model, each
has a twin whose last expectation is wrong, and the runtimes without the
standard JS API are shown to be ``unsupported`` (Node 18, Bun) or run with the
proposal's older shape (Node 22).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.case import Status
from harness.compiler.wabt import Compiler
from harness.errors import HarnessError
from harness.model.host import MemoryObject
from harness.model.traps import JsException
from harness.runtimes.discovery import Runtime
from harness.runtimes.probes import missing_features, probe_features
from harness.scenarios.format import ScenarioError, load_scenario
from harness.scenarios.requirements import requirements
from harness.scenarios.verdict import without_messages
from tests.conftest import write_file
from tests.oracle import judge_scenario, on_model_alone, wrong_twin

MEMORY64 = Path(__file__).parent / "scenarios" / "memory64"
MEMORY64_FILES = sorted(MEMORY64.glob("*.scenario.toml"))


@pytest.fixture(scope="module")
def standard_runtime(node_runtime: Runtime) -> Runtime:
    """The runtime under test, when its JS API makes 64-bit memories the standard's way."""
    shape = probe_features(node_runtime).get("memory64_js_api")
    if shape != "address":
        pytest.skip(f"unsupported on {node_runtime.label()}: its JS API makes 64-bit memories as {shape!r}, "
                    f"not the standard's {{address: \"i64\"}}")
    return node_runtime




@pytest.mark.parametrize("path", MEMORY64_FILES, ids=lambda path: path.name)
def test_each_64_bit_memory_scenario_agrees_on_the_runtime_and_the_model(path: Path, compiler: Compiler,
                                                                         standard_runtime: Runtime) -> None:
    case = judge_scenario(path, compiler, standard_runtime)
    assert (case.status, case.detail) == (Status.PASS, ""), case.differences
    assert without_messages(case.observed["instantiate"]) == case.reference["instantiate"]
    assert without_messages(case.observed["steps"]) == case.reference["steps"]
    assert on_model_alone(path, compiler).status is Status.PASS




@pytest.mark.parametrize("path", MEMORY64_FILES, ids=lambda path: path.name)
def test_a_wrong_expectation_in_each_fails_there(path: Path, tmp_path: Path, compiler: Compiler,
                                                 standard_runtime: Runtime) -> None:
    twin, label = wrong_twin(path, tmp_path)
    case = judge_scenario(twin, compiler, standard_runtime)
    assert case.status is Status.FAIL
    assert [difference.step for difference in case.differences] == [label]
    assert on_model_alone(twin, compiler).status is Status.FAIL


def test_grow_of_a_64_bit_memory_is_observed_as_a_bigint_and_a_32_bit_one_as_a_number(
        compiler: Compiler, standard_runtime: Runtime) -> None:
    case = judge_scenario(MEMORY64 / "both-address-types.scenario.toml", compiler, standard_runtime)
    assert case.observed["steps"][:2] == [1, "1"] and case.reference["steps"][:2] == [1, "1"]


# -- runtimes without the standard JS API ---------------------------------------------------------
def provisioned_or_skip(provisioned, spec: str) -> Runtime:
    try:
        return provisioned(spec)
    except HarnessError as error:
        pytest.skip(f"{spec} is not available here: {error.one_line()}")


@pytest.mark.parametrize("spec", ["18", "bun"])
def test_a_runtime_without_64_bit_memories_in_its_js_api_is_unsupported_saying_so(
        spec: str, compiler: Compiler, provisioned) -> None:
    runtime = provisioned_or_skip(provisioned, spec)
    case = judge_scenario(MEMORY64 / "grow-returns-a-bigint.scenario.toml", compiler, runtime)
    assert (case.status, case.detail) == (Status.UNSUPPORTED, f"{runtime.label()}: lacks 64-bit memories in the JS "
                                          f"API (new WebAssembly.Memory({{address: \"i64\"}})) (the memory import "
                                          f"env.memory is a 64-bit memory)")


def test_node_22_runs_64_bit_memories_in_the_older_shape_and_its_numbers_are_reported(
        compiler: Compiler, provisioned) -> None:
    """Node 22 has only ``{index: "i64"}``: the memory is made with Numbers, and grow answers a Number, not a BigInt."""
    runtime = provisioned_or_skip(provisioned, "22")
    if probe_features(runtime).get("memory64_js_api") != "index":
        pytest.skip(f"{runtime.label()} does not have the memory64 proposal's older JS API")
    case = judge_scenario(MEMORY64 / "grow-returns-a-bigint.scenario.toml", compiler, runtime)
    assert case.status is Status.FAIL
    assert case.detail.startswith(f"{runtime.label()} has only the memory64 proposal's older JS API")
    assert [(d.step, d.observed, d.reference) for d in case.differences] == [(3, 3, "3"), (6, 5, "5")]
    assert case.observed["steps"][0] == {"pages": 3, "byte_length": 196608}  # the memory was made, in its shape


@pytest.mark.needs_engine("V8", "it pins V8's own bound on a 64-bit memory's maximum")
def test_a_maximum_the_js_api_allows_but_v8_refuses_is_a_reported_difference(
        tmp_path: Path, compiler: Compiler, standard_runtime: Runtime) -> None:
    """262,145 pages is a valid maximum (within 2**48) of a 64-bit memory of 1 page; V8 throws RangeError."""
    body = ('wat = "(module)"\n[imports."env.memory"]\nkind = "memory"\naddress = "i64"\ninitial = 1\n'
            'maximum = 262145\n[[steps]]\nop = "size"\nexpect = { pages = 1, byte_length = 65536 }\n')
    case = judge_scenario(write_file(tmp_path, "maximum.scenario.toml", body), compiler, standard_runtime)
    assert case.status is Status.FAIL
    assert [(d.step, without_messages(d.observed), d.reference) for d in case.differences][0] == (
        "instantiate", {"error": "RangeError"}, None)


# -- the model's WebAssembly.Memory with address "i64" ---------------------------------------------
@pytest.mark.parametrize(("descriptor", "error"), [
    ({"initial": -1}, "TypeError"),             # constructor-memory64.any.js: out-of-range initial -1n
    ({"initial": 2**64}, "TypeError"),          # ... and 0x1_0000_0000_0000_0000n
    ({"initial": 0, "maximum": 2**64}, "TypeError"),
    ({"initial": 10, "maximum": 9}, "RangeError"),  # "Initial value exceeds maximum (i64)"
    ({"initial": 1.0}, "TypeError"),            # ToBigInt(Number)
    ({"initial": 262_145}, "RangeError"),       # JS API limits: a 64-bit memory has at most 262,144 pages
    ({"initial": 1, "maximum": 2**48 + 1}, "RangeError"),  # not a valid memory type (2**48 pages)
])
def test_the_models_64_bit_memory_descriptor_is_converted_as_the_js_api_says(descriptor: dict, error: str) -> None:
    with pytest.raises(JsException) as caught:
        MemoryObject(**descriptor, address="i64")
    assert caught.value.name == error


def test_the_models_64_bit_memory_grows_to_16_gib_and_no_further() -> None:
    memory = MemoryObject(1, address="i64")  # V8 (Node 24): grow(262143n) is 1n, then grow(1n) throws RangeError
    assert memory.grow(262_143) == 1 and memory.buffer.byte_length == 2**34
    with pytest.raises(JsException, match="RangeError"):
        memory.grow(1)


def test_an_unknown_address_type_is_a_type_error_before_the_counts_are_converted() -> None:
    with pytest.raises(JsException) as caught:  # WebIDL converts the dictionary's members in lexicographic order
        MemoryObject(-1, address="i65")
    assert caught.value.name == "TypeError" and "address type" in caught.value.message


# -- the format -------------------------------------------------------------------------------------
def test_a_scenario_with_a_64_bit_host_memory_needs_the_js_apis_64_bit_memories() -> None:
    scenario = load_scenario(MEMORY64 / "grow-returns-a-bigint.scenario.toml")
    needs = requirements(scenario, [None])
    assert needs["memory64_js_api"] == "the memory import env.memory is a 64-bit memory"
    assert missing_features(needs, {"memory64_js_api": "address", "max_memory_pages": 65536}) == []
    assert missing_features(needs, {"memory64_js_api": "index", "max_memory_pages": 65536}) == []
    assert missing_features(needs, {"memory64_js_api": None, "max_memory_pages": 65536}) == [
        'lacks 64-bit memories in the JS API (new WebAssembly.Memory({address: "i64"})) '
        '(the memory import env.memory is a 64-bit memory)']


@pytest.mark.parametrize(("name", "body", "where"), [
    ("imports.scenario.toml", '[imports."env.memory"]\nkind = "memory"\ninitial = 1\naddress = "i65"\n',
     ":5:11: key 'imports.\"env.memory\"': key 'address'"),
    ("table.scenario.toml", '[memory]\nimport = "js.mem"\ninitial = 1\n  address   =   \'i65\'\n',
     ":5:17: key 'memory': key 'address'"),
    ("inline.scenario.toml", 'memory = { import = "js.mem", initial = 1, address = "i65" }\n',
     ":2:54: key 'memory': key 'address'"),
])
def test_an_unknown_address_type_is_one_line_naming_file_line_and_column(tmp_path: Path, name: str, body: str,
                                                                          where: str) -> None:
    path = write_file(tmp_path, name, "wat = '(module)'\n" + body)
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert caught.value.one_line() == (f"{path}{where}: expected \"i32\" or \"i64\" (a 64-bit memory), got 'i65'")


def test_an_unknown_address_type_in_json_is_found_too(tmp_path: Path) -> None:
    path = write_file(tmp_path, "a.scenario.json", '{"wat": "(module)",\n "memory": {"import": "js.mem", '
                                                   '"initial": 1, "address": 64}}')
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert caught.value.one_line().startswith(f"{path}:2:58: key 'memory': key 'address'")


def test_the_command_line_reports_an_unknown_address_type_and_exits_2(run_linmem, tmp_path: Path) -> None:
    write_file(tmp_path, "bad.scenario.toml", 'wat = "(module)"\n[imports."env.m"]\nkind = "memory"\ninitial = 1\n'
                                              'address = "i65"\n')
    finished = run_linmem("run", "bad.scenario.toml", cwd=tmp_path)
    assert finished.returncode == 2 and "Traceback" not in finished.stderr
    assert finished.stderr.splitlines() == [
        f"linmem: error: {tmp_path / 'bad.scenario.toml'}:5:11: key 'imports.\"env.m\"': key 'address': expected \"i32\" or \"i64\" "
        "(a 64-bit memory), got 'i65'"]
