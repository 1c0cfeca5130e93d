"""Shared fixtures: the real Node, one long-lived wabt compiler per test process.

Integration tests use the same Node that ``linmem`` would pick by default
(``--node``-less discovery), so the suite tests what users run. The wasm cache
of each session lives in a temporary directory; the npm side is installed once
into the ordinary cache and shared by every xdist worker (it is installed
atomically, so concurrent first uses are safe).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Callable, Iterator

import pytest

from harness.compiler.npm import ensure_installed
from harness.compiler.wabt import Compiler
from harness.resources import cache_root
from harness.runtimes.discovery import Runtime, find_compiler_node, find_node
from harness.runtimes.probes import FEATURE_NAMES, probe_features

ROOT = Path(__file__).resolve().parent.parent
# pytester gives the tests it runs a HOME of their own; pin the cache first, so
# those runs reuse the installed npm side and provisioned runtimes.
os.environ.setdefault("LINMEM_CACHE_DIR", str(cache_root()))
FIXTURES = Path(__file__).resolve().parent / "fixtures"
#: inputs for tests, some failing on purpose (tests/fixtures/wast/wrong.wast): never collected as items
collect_ignore = ["fixtures"]


@pytest.fixture(scope="session")
def node_runtime() -> Runtime:
    """The runtime under test: ``LINMEM_NODE`` (tox sets it per env), else linmem's default Node."""
    return runtime_under_test()


@pytest.fixture(scope="session", autouse=True)
def stop_signals_not_ignored() -> Iterator[None]:
    """SIGINT, SIGTERM and SIGHUP as a terminal gives them, even when the suite runs under ``nohup`` or in the background.

    An ignored signal is inherited by every linmem the tests start, and linmem
    rightly leaves an inherited ``SIG_IGN`` alone; the signal tests need the
    signals a user would send.
    """
    ignored = [signum for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
               if signal.getsignal(signum) is signal.SIG_IGN]
    for signum in ignored:
        signal.signal(signum, signal.default_int_handler if signum == signal.SIGINT else signal.SIG_DFL)
    yield
    for signum in ignored:
        signal.signal(signum, signal.SIG_IGN)


@pytest.fixture(scope="session")
def compiler(node_runtime: Runtime, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Compiler]:
    """One wabt.js process for the whole session (on a Node that can run it), with a fresh wasm cache."""
    with Compiler(find_compiler_node(node_runtime), cache_dir=tmp_path_factory.mktemp("wasm-cache")) as shared:
        yield shared


@pytest.fixture(scope="session")
def real_modules() -> dict[str, Path]:
    """The real modules of tests/scenarios/real, installed from npm and extracted if needed: paths by name."""
    from tests.real_modules import extract_all
    return extract_all()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "needs_node(why, min_major=14): the runtime under test must be Node")
    config.addinivalue_line("markers", "needs_engine(engine, why): the runtime under test must run this engine")
    config.addinivalue_line("markers", "needs_feature(name): the runtime under test must have this probed feature")


_RUNTIME_UNDER_TEST: list[Runtime] = []


def runtime_under_test() -> Runtime:
    """The runtime the suite tests (LINMEM_NODE, else the default), found once per process."""
    if not _RUNTIME_UNDER_TEST:
        _RUNTIME_UNDER_TEST.append(find_node())
    return _RUNTIME_UNDER_TEST[0]


def pytest_collection_finish(session: pytest.Session) -> None:
    """When tests/test_wheel.py is selected, start building and installing the wheel now, beside the other tests."""
    if not session.config.option.collectonly and any(item.path.name == "test_wheel.py" for item in session.items):
        from tests.wheel_install import start_in_background
        start_in_background(session.config._tmp_path_factory)  # what the tmp_path_factory fixture returns


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """A worker with no wheel test left still waits for the build it started, for the workers that need it."""
    if "tests.wheel_install" in sys.modules and exitstatus != pytest.ExitCode.INTERRUPTED:
        sys.modules["tests.wheel_install"].finish_background()


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Tests that only make sense on some runtimes are unsupported elsewhere, with the reason."""
    for marker in item.iter_markers("needs_node"):
        runtime = runtime_under_test()
        minimum = marker.kwargs.get("min_major", 14)
        if runtime.name != "node" or runtime.major < minimum:
            pytest.skip(f"unsupported on {runtime.label()}: needs Node {minimum}+ ({marker.args[0]})")
    for marker in item.iter_markers("needs_engine"):
        runtime = runtime_under_test()
        if runtime.engine != marker.args[0]:
            pytest.skip(f"unsupported on {runtime.label()}: needs {marker.args[0]} ({marker.args[1]})")
    for marker in item.iter_markers("needs_feature"):
        runtime = runtime_under_test()
        if not probe_features(runtime).get(marker.args[0]):
            pytest.skip(f"unsupported on {runtime.label()}: lacks {FEATURE_NAMES[marker.args[0]]}")


@pytest.fixture(scope="session")
def provisioned() -> "Callable[[str], Runtime]":
    """Runtimes by spec (``"14"``, ``"deno"``, ``"bun"``), provisioned into the cache on first use."""
    found: dict[str, Runtime] = {}

    def get(spec: str) -> Runtime:
        if spec not in found:
            found[spec] = find_node(spec)
        return found[spec]
    return get


@pytest.fixture(scope="session")
def npm_side(node_runtime: Runtime) -> Path:
    """The installed npm side, so that no command under test prints the first-use notice."""
    return ensure_installed(node_runtime)


@pytest.fixture
def run_linmem(npm_side: Path):
    """Run the real ``linmem`` console entry point as a user would, in a subprocess."""
    def run(*arguments: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
        environment = dict(os.environ)
        environment.update(env or {})
        return subprocess.run([sys.executable, "-m", "harness", *arguments], capture_output=True,
                              text=True, cwd=str(cwd or ROOT), env=environment, timeout=180)
    return run


def write_file(directory: Path, name: str, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``directory/name`` and return the path."""
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


pytest_plugins = ["pytester"]


#: The WebAssembly spec's memory-related scripts (issue 5), run when LINMEM_SPEC_CORE names test/core.
MEMORY_FILES = ["address", "align", "endianness", "load", "store", "memory", "memory_grow", "memory_size",
                "memory_trap", "data", "bulk", "memory_copy", "memory_fill", "memory_init", "i32", "i64",
                "float_memory", "memory_redundancy"]


#: The memory scripts of WebAssembly 3.0's memory64 directory (the table64 ones aside), run when LINMEM_SPEC_CORE_3 is set.
MEMORY64_FILES = ["address64", "align64", "binary_leb128_64", "bulk64", "endianness64", "float_memory64", "load64",
                  "memory64-imports", "memory64", "memory_copy64", "memory_fill64", "memory_grow64",
                  "memory_init64", "memory_redundancy64", "memory_trap64"]


def _spec_directory(variable: str, commit: str, purpose: str) -> Path:
    """An official suite's directory from ``variable``; the test that needs it is skipped, saying so, when it is unset."""
    directory = os.environ.get(variable)
    if not directory:
        pytest.skip(f"{variable} is not set: point it at test/core of WebAssembly/spec at commit {commit} {purpose}")
    return Path(directory)


@pytest.fixture(scope="session")
def spec_core_3() -> Path:
    """The 3.0 scripts' directory from LINMEM_SPEC_CORE_3."""
    return _spec_directory("LINMEM_SPEC_CORE_3", "285a9032",
                           "(WebAssembly 3.0) to run the official SIMD, memory64 and multi-memory scripts")


@pytest.fixture(scope="session")
def spec_core() -> Path:
    """The official 2.0 scripts' directory from LINMEM_SPEC_CORE."""
    return _spec_directory("LINMEM_SPEC_CORE", "fffc6e12", "to run the official memory scripts")


@pytest.fixture(scope="session")
def spec_js_api() -> Path:
    """The official JS API tests (``test/js-api``) of the checkout whose ``test/core`` LINMEM_SPEC_CORE_3 names."""
    core = _spec_directory("LINMEM_SPEC_CORE_3", "285a9032", "to run the official JS API tests of its test/js-api")
    return core.parent / "js-api"


#: the article's sum with its module inline, so a project in a temporary directory needs no other file
INLINE_SUM_SCENARIO = """title = "sum of two u32, module inline"
wat = '''(module (import "js" "mem" (memory 1))
  (func (export "sum") (i32.store (i32.const 8) (i32.add (i32.load (i32.const 0)) (i32.load (i32.const 4))))))'''

[memory]
import = "js.mem"
initial = 1

[[steps]]
op = "write"
view = "Uint32Array"
offset = 0
values = [7, 4]

[[steps]]
op = "call"
export = "sum"

[[steps]]
op = "read"
view = "Uint32Array"
offset = 0
length = 3
expect = [7, 4, 11]
"""


def spin_script(turns: int, calls: int = 1) -> str:
    """A ``.wast`` script: a module, then ``calls`` assertions that each loop ``turns`` times on the model."""
    module = """(module (func (export "spin") (param i32) (result i32)
  (local i32)
  (block (loop (br_if 1 (i32.eqz (local.get 0)))
    (local.set 1 (i32.add (local.get 1) (i32.const 1)))
    (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
    (br 0)))
  (local.get 1)))
"""
    return module + f'(assert_return (invoke "spin" (i32.const {turns})) (i32.const {turns}))\n' * calls



#: loop turns of one call of :func:`slow_scenario`: about a second on the model, a few milliseconds on V8
SLOW_TURNS = 9_000_000


def slow_scenario(calls: int, turns: int = SLOW_TURNS) -> str:
    """A scenario of ``calls`` calls that each loop ``turns`` times: slow on the model, quick on any runtime.

    Each call stays under the model's fuel (``FUEL_LIMIT``), so only a time limit stops the model early.
    No step has an ``expect``: without the reference, nothing can judge the runtime's results.
    """
    module = spin_script(0, calls=0)
    steps = f'\n[[steps]]\nop = "call"\nexport = "spin"\nargs = [{turns}]\n' * calls
    return f"title = \"{calls} calls of {turns} loop turns\"\nwat = '''{module}'''\n{steps}"
