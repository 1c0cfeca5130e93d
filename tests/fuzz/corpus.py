"""Seeds for mutation: our own scenario files and scripts, and wasm binaries built from our own WAT at test time."""

from __future__ import annotations

from pathlib import Path

from harness.compiler.wabt import Compiler
from harness.errors import HarnessError
from harness.scenarios.format import load_scenario
from harness.wast.script import ModuleCommand, read_script

from .targets import FuzzInput

ROOT = Path(__file__).resolve().parents[2]
TESTS = ROOT / "tests"


def scenario_seeds() -> list[FuzzInput]:
    """Every scenario file of the library (TOML and JSON), in a stable order."""
    paths = [path for pattern in ("*.toml", "*.json") for path in (TESTS / "scenarios").rglob(pattern)
             if "wasm" not in path.relative_to(TESTS / "scenarios").parts]
    return [(_suffix(path), path.read_bytes()) for path in sorted(paths)]


def wast_seeds() -> list[FuzzInput]:
    """Our scripts, the ones that must fail included."""
    paths = sorted((TESTS / "wast").glob("*.wast")) + sorted((TESTS / "fixtures" / "wast").glob("*.wast"))
    return [(".wast", path.read_bytes()) for path in paths]


def wat_sources(everything: bool) -> list[tuple[str, bytes, tuple[str, ...]]]:
    """``(label, WAT, features)`` of our modules: the article's and the fixtures'; with ``everything``, the scenarios'."""
    sources = [(str(path.relative_to(ROOT)), path.read_bytes(), ())
               for path in sorted((ROOT / "wat").glob("*.wat")) + sorted((TESTS / "fixtures").glob("*.wat"))]
    if everything:
        for path in sorted((TESTS / "scenarios").rglob("*.toml")):
            try:
                scenario = load_scenario(path)
            except HarnessError:
                continue
            sources += [(str(path.relative_to(ROOT)), source.wat.encode("utf-8"), source.features)
                        for source in scenario.modules if source.wat is not None]
    return sources


def wasm_seeds(compiler: Compiler, everything: bool = False) -> list[FuzzInput]:
    """Binaries: our WAT compiled by the real wabt, the scripts' binary modules, the not-a-module fixture."""
    binaries = []
    for label, wat, features in wat_sources(everything):
        try:
            binaries.append(compiler.compile_text(wat, filename=label, features=features).wasm_bytes)
        except HarnessError:
            continue  # a scenario whose module must not compile
    for path in sorted((TESTS / "wast").glob("*.wast")):
        binaries += [command.source for command in read_script(path)
                     if isinstance(command, ModuleCommand) and command.form == "binary"]
    binaries.append((TESTS / "fixtures" / "not-a-module.wasm").read_bytes())
    return [(".wasm", wasm_bytes) for wasm_bytes in binaries]


def _suffix(path: Path) -> str:
    return "".join(path.suffixes[-2:]) if path.name.count(".") >= 2 else path.suffix
