"""Real modules from npm (tests/scenarios/real): expectations recomputed, scenarios run, wrong twins caught.

Each scenario's ``expect`` values are recomputed here from its own inputs with
Python's implementations (``hashlib``, ``zlib``, :mod:`tests.real_references`,
markdown-it-py), never taken from linmem: a step's expectation is named by its
``as`` key. Then ``linmem run`` runs the directory on the default runtime and
the reference model (exit 0), and a twin of each scenario with one ``expect``
altered must fail at that step (exit 1).
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import sys
import zlib
from pathlib import Path
from typing import Any, Callable

import pytest
import tomlkit

from harness.runtimes.discovery import Runtime
from harness.scenarios.update import inline
from tests.real_modules import REAL_DIR, WASM_DIR
from tests.real_references import (
    MASK64,
    lz4_decompress,
    signed32,
    utf16_index,
    xxh32,
    xxh64,
    zstd_frame_content,
)

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

SCENARIOS = sorted(REAL_DIR.glob("*.scenario.toml"))
PAGE = 65536


def load(path: Path) -> dict[str, Any]:
    """A scenario file as plain data."""
    with path.open("rb") as handle:
        return tomllib.load(handle)


def all_steps(document: dict[str, Any]) -> list[dict[str, Any]]:
    """The steps in order, those of a ``repeat`` once each (as the file writes them)."""
    flat = []
    for step in document["steps"]:
        flat.append(step)
        if step["op"] == "repeat":
            flat.extend(step["steps"])
    return flat


def named(document: dict[str, Any], name: str) -> dict[str, Any]:
    """The step that carries ``as = name``."""
    matches = [step for step in all_steps(document) if step.get("as") == name]
    assert len(matches) == 1, f"one step named {name!r} expected, found {len(matches)}"
    return matches[0]


def text_of(document: dict[str, Any], name: str) -> bytes:
    """The UTF-8 bytes that the ``write_string`` step ``name`` writes."""
    return named(document, name)["text"].encode("utf-8")


def signed64(value: int) -> str:
    """An i64 result as linmem observes it: a signed decimal string."""
    value &= MASK64
    return str(value - (1 << 64) if value >> 63 else value)


# --- what each scenario's expectations are, from its own inputs ---

def xxhash_h32_expected(document: dict[str, Any]) -> dict[str, Any]:
    data = text_of(document, "input")
    seed = named(document, "h32_seeded")["args"][2] & 0xFFFFFFFF
    large = named(document, "large")
    pages = math.ceil(large["length"] / PAGE)
    return {
        "input": {"written": len(data)},
        "h32": signed32(xxh32(data)),
        "h32_seeded": signed32(xxh32(data, seed)),
        "streamed": signed32(xxh32(text_of(document, "part1") + text_of(document, "part2"),
                                   named(document, "init")["args"][1])),
        "grown": {"pages": pages, "byte_length": pages * PAGE},
        "h32_large": signed32(xxh32(bytes([large["fill"]]) * large["length"])),
    }


def xxhash_h64_expected(document: dict[str, Any]) -> dict[str, Any]:
    data = text_of(document, "input")
    return {
        "input": {"written": len(data)},
        "h64": signed64(xxh64(data)),
        "h64_seeded": signed64(xxh64(data, int(named(document, "h64_seeded")["args"][2]))),
        "streamed": signed64(xxh64(text_of(document, "part1") + text_of(document, "part2"),
                                   int(named(document, "init")["args"][1]))),
    }


def repeated_fill(document: dict[str, Any], name: str) -> bytes:
    """The bytes a ``write_bytes`` step ``name`` with ``fill`` writes, over all iterations of its ``repeat``."""
    step = named(document, name)
    repeat = next(each for each in document["steps"] if each["op"] == "repeat" and step in each["steps"])
    return bytes([step["fill"]]) * step["length"] * repeat["times"]


def hash_wasm_sha256_expected(document: dict[str, Any]) -> dict[str, Any]:
    return {
        "short_digest": hashlib.sha256(text_of(document, "short")).hexdigest(),
        "chunked_digest": hashlib.sha256(repeated_fill(document, "chunk")).hexdigest(),
        "resumed_digest": hashlib.sha256(text_of(document, "first") + text_of(document, "second")).hexdigest(),
    }


def as_sha256_expected(document: dict[str, Any]) -> dict[str, Any]:
    short = bytes(named(document, "short")["values"])
    assert named(document, "short_call")["args"] == [len(short)]
    return {
        "short_digest": {"length": 32, "byte_length": 32, "values": list(hashlib.sha256(short).digest())},
        "block_digest": hashlib.sha256(bytes.fromhex(named(document, "block")["hex"])).hexdigest(),
        "streamed_digest": hashlib.sha256(repeated_fill(document, "slice") + text_of(document, "tail")).hexdigest(),
        "aborts": [],
    }


def lz4_expected(document: dict[str, Any]) -> dict[str, Any]:
    text = text_of(document, "input")
    assert named(document, "ptr")["args"] == [len(text)], "malloc(input.length) before the input is written"
    foreign = base64.b64decode(named(document, "foreign")["base64"])
    assert named(document, "ptr3")["args"] == [len(foreign)]
    heap_index = document["imports"]["__wbindgen_placeholder__.__wbindgen_string_new"]["returns"][0]
    return {
        "input": {"written": len(text)},
        "roundtrip": text.decode("utf-8"),
        "crc32": f"{zlib.crc32(text):08x}",
        "foreign_text": lz4_decompress(foreign).decode("utf-8"),
        "error": [heap_index, 1],
    }


def zstd_compress_bound(size: int) -> int:
    """ZSTD_COMPRESSBOUND of zstd.h."""
    return size + (size >> 8) + ((128 * 1024 - size) >> 11 if size < 128 * 1024 else 0)


ZSTD_ERROR_CHECKSUM_WRONG = 22  # zstd_errors.h; functions return it negated, as a size_t


def zstd_expected(document: dict[str, Any]) -> dict[str, Any]:
    text = text_of(document, "input")
    assert named(document, "src")["args"] == [len(text)] and named(document, "bound")["args"] == [len(text)]
    frame = bytes.fromhex(named(document, "python_frame")["hex"])
    content = zstd_frame_content(frame)
    assert named(document, "src3")["args"] == [len(frame)]
    assert bytes.fromhex(named(document, "flipped")["hex"]) == bytes([frame[-1] ^ 0xFF])
    return {
        "bound": zstd_compress_bound(len(text)),
        "size_is_error": 0,
        "magic": "28b52ffd",  # RFC 8878's Magic_Number, little-endian
        "content_size": len(text),
        "decompressed_size": len(text),
        "roundtrip": text.decode("utf-8"),
        "python_content_size": len(content),
        "python_decompressed_size": len(content),
        "python_content_sha256": hashlib.sha256(content).hexdigest(),
        "checksum_error": -ZSTD_ERROR_CHECKSUM_WRONG,
        "checksum_error_is_error": 1,
        "host_calls": [],
    }


MD4W_DEFAULT_FLAGS = 0x0001 | 0x0002 | 0x0004 | 0x0100 | 0x0200 | 0x0800  # md4w's ParseFlags.DEFAULT


def md4w_expected(document: dict[str, Any]) -> dict[str, Any]:
    from markdown_it import (
        MarkdownIt,  # a test dependency: CommonMark's rendering, independently of md4c
    )

    markdown = text_of(document, "markdown")
    assert named(document, "input_pair")["args"] == [len(markdown)]
    assert named(document, "input_pair2")["args"] == [len(text_of(document, "markdown2"))]
    assert named(document, "html_pair")["args"][1:3] == [MD4W_DEFAULT_FLAGS, max(math.ceil(1.5 * len(markdown)), 512)]
    html = MarkdownIt("commonmark").render(markdown.decode("utf-8"))
    return {
        "html": html,
        "streamed_parts": [],
        "html_sha256": hashlib.sha256(html.encode("utf-8")).hexdigest(),
        "aborts": [],
    }


def cjs_module_lexer_expected(document: dict[str, Any]) -> dict[str, Any]:
    daggers = named(document, "daggers")
    assert daggers["fill"] == 0x20 and daggers["offset"] == "$source + 4"  # "/*" is two units, four bytes
    source = named(document, "opening")["text"] + "\u2020" * (daggers["length"] // 2) + named(document, "body")["text"]
    units = utf16_index(source, len(source))
    assert named(document, "source")["args"] == [units + 1] and named(document, "status")["args"][1] == units
    expected: dict[str, Any] = {"status": 0}

    def iterate(prefix: str, tokens: list[str]) -> None:
        for index, token in enumerate(tokens):
            start = utf16_index(source, source.index(token))
            expected.update({f"{prefix}{index}_more": 1, f"{prefix}{index}_start": start,
                             f"{prefix}{index}_end": start + utf16_index(token, len(token))})
        expected[f"{prefix}_done"] = 0

    # what the lexer should find in that source, by cjs-module-lexer's README: `exports.x =`,
    # `module.exports.x =` and defineProperty with a getter returning a member are exports (the
    # last keeps its quotes); a getter that does anything else is unsafe; `module.exports = require()`
    # re-exports
    iterate("reexport", ["'./other.js'"])
    iterate("unsafe", ["'delta'"])
    iterate("export", ["alpha", "beta", "'gamma'"])
    return expected


def rust_debug_var(value: str | None) -> str:
    """``format!("{:?}", std::env::var(..))`` for a plain value: ``Ok("X")`` or ``Err(NotPresent)``."""
    return "Err(NotPresent)" if value is None else "Ok(" + json.dumps(value, ensure_ascii=False) + ")"


def wasi_envvar_expected(document: dict[str, Any]) -> dict[str, Any]:
    env = document["wasi"]["env"]
    # wasmer's tests/envvar.rs: print the sorted "K=V" lines, then three lookups (one after a set_var)
    lines = ["Env vars:", *sorted(f"{key}={value}" for key, value in env.items()),
             f"DOG {rust_debug_var(env.get('DOG'))}", f"DOG_TYPE {rust_debug_var(env.get('DOG_TYPE'))}",
             f"SET VAR {rust_debug_var('HELLO')}"]
    return {"output": {"stdout": "".join(line + "\n" for line in lines), "stderr": ""}}


ES_IMPORT_STATIC, ES_IMPORT_DYNAMIC = 1, 2  # es-module-lexer's ImportType


def es_module_lexer_expected(document: dict[str, Any]) -> dict[str, Any]:
    """What es-module-lexer's README says its example source lexes to (indices found here with str.index)."""
    source = named(document, "text")["text"]
    assert named(document, "source")["args"] == [utf16_index(source, len(source))]

    def span(text: str, start_at: int = 0) -> tuple[int, int]:
        start = source.index(text, start_at)
        return utf16_index(source, start), utf16_index(source, start + len(text))

    statement0 = span("import { name } from 'mod'")
    statement1 = span("import json from './json.json' with { type: 'json' }")
    dynamic = span("import ('asdf')")
    expected: dict[str, Any] = {"parsed": 1}
    records = [  # s/e: the specifier (inside the quotes for a static import), ss/se: the statement,
        {"is": span("mod")[0], "ie": span("mod")[1], "ss": statement0[0], "se": statement0[1],   # a: attributes,
         "ai": -1, "id": -1, "it": ES_IMPORT_STATIC},                                              # d: -1 static
        {"is": span("./json.json")[0], "ie": span("./json.json")[1], "ss": statement1[0], "se": statement1[1],
         "ai": span("{ type: 'json' }")[0], "id": -1},
        {"is": span("'asdf'")[0], "ie": span("'asdf'")[1], "ss": dynamic[0], "se": dynamic[1],   # a dynamic import:
         "ai": -1, "id": span("('asdf')")[0]},                                                      # d at its "("
        {"id": -2},                                                                                 # import.meta
    ]
    for index, record in enumerate(records):
        expected[f"import{index}_more"] = 1
        expected.update({f"import{index}_{field}": value for field, value in record.items()})
    expected["imports_done"] = 0
    if any(step.get("as") == "exports_done" for step in all_steps(document)):
        name = span("p = 5")[0]
        expected.update({"export0_es": name, "export0_ee": name + 1, "export0_els": name, "export0_ele": name + 1,
                         "exports_done": 0})
    return expected


COW = """        \\   ^__^
         \\  (oo)\\_______
            (__)\\       )\\/\\
                ||----w |
                ||     ||
"""


def cowsay(args: list[str]) -> str:
    """What the wasi package's example/cowsay.rs prints for ``args`` (argv[0] first), ported line by line."""
    words = args[1:]
    lines = []
    while True:
        line = ""
        while words:
            if len(words[0].encode()) > 40:
                line += words.pop(0)
                break
            if len(words[0].encode()) + len(line.encode()) > 40:
                break
            line += " " + words.pop(0)
        lines.append(line)
        if not words:
            break
    if len(lines) == 1:
        width = len(lines[0].encode()) + 1
        balloon = [" " + "_" * width, f"<{lines[0]} >", " " + "-" * width]
    else:
        width = len(lines[0].encode())
        ends = ["/\\", *["||"] * (len(lines) - 2), "\\/"]
        balloon = [" " + "_" * (width + 1),
                   *(f"{end[0]}{line:<{width}} {end[1]}" for end, line in zip(ends, lines)),
                   " " + "-" * (width + 1)]
    return "".join(row + "\n" for row in balloon) + COW


def wasi_cowsay_expected(document: dict[str, Any]) -> dict[str, Any]:
    return {"output": {"stdout": cowsay(document["wasi"]["args"]), "stderr": ""}}


EXPECTATIONS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "xxhash-h32.scenario.toml": xxhash_h32_expected,
    "xxhash-h64.scenario.toml": xxhash_h64_expected,
    "hash-wasm-sha256.scenario.toml": hash_wasm_sha256_expected,
    "as-sha256.scenario.toml": as_sha256_expected,
    "lz4.scenario.toml": lz4_expected,
    "zstd.scenario.toml": zstd_expected,
    "md4w.scenario.toml": md4w_expected,
    "cjs-module-lexer.scenario.toml": cjs_module_lexer_expected,
    "es-module-lexer.scenario.toml": es_module_lexer_expected,
    "es-module-lexer-minimal.scenario.toml": es_module_lexer_expected,
    "wasi-envvar.scenario.toml": wasi_envvar_expected,
    "wasi-cowsay.scenario.toml": wasi_cowsay_expected,
}


def expects_in(document: dict[str, Any]) -> dict[str, Any]:
    """Every ``expect`` of the file by its step's ``as`` name (a step with an expect must be named)."""
    found = {}
    for step in all_steps(document):
        if "expect" in step:
            assert "as" in step, f"a step with an expect needs an `as` name to be recomputed: {step}"
            found[step["as"]] = step["expect"]
    return found


@pytest.mark.parametrize("path", SCENARIOS, ids=[path.name for path in SCENARIOS])
def test_every_expect_is_recomputed_by_python(path: Path) -> None:
    document = load(path)
    assert expects_in(document) == EXPECTATIONS[path.name](document)


def test_every_real_scenario_has_its_expectations_here() -> None:
    assert sorted(EXPECTATIONS) == [path.name for path in SCENARIOS]


# --- the scenarios run, and their wrong twins fail ---

def run_report(run_linmem: Callable[..., Any], target: Path, node_runtime: Runtime,
               out: Path) -> tuple[int, list[dict[str, Any]]]:
    """``linmem run TARGET`` on the runtime under test and the reference model: its exit status and JSON cases."""
    completed = run_linmem("run", str(target), "--node", node_runtime.path, "--node", "reference",
                           "--json", str(out))
    assert out.is_file(), completed.stdout + completed.stderr
    return completed.returncode, json.loads(out.read_text())["cases"]


def by_file(cases: list[dict[str, Any]]) -> dict[str, dict[str, str]]:
    """Each scenario's status per runtime name."""
    table: dict[str, dict[str, str]] = {}
    for case in cases:
        table.setdefault(Path(case["file"]).name, {})[case["runtime"]["name"]] = case["status"]
    return table


#: scenarios whose module the reference model cannot run from some step on, and what it lacks:
#: those steps are judged by their expects alone (on the model alone, the scenario is unsupported)
MODEL_GAPS: dict[str, str] = {}  # none since the model executes 2.0 SIMD (es-module-lexer's default build uses it)


def test_the_real_scenarios_pass_on_the_runtime_and_the_model(
        run_linmem: Callable[..., Any], real_modules: dict[str, Path], node_runtime: Runtime, tmp_path: Path) -> None:
    returncode, cases = run_report(run_linmem, REAL_DIR, node_runtime, tmp_path / "report.json")
    statuses = by_file(cases)
    assert sorted(statuses) == [path.name for path in SCENARIOS]
    for name, status in statuses.items():
        assert status.pop("reference") == ("unsupported" if name in MODEL_GAPS else "pass"), name
        # a runtime without a feature a module needs (i64 as BigInt on old Node) reports it unsupported
        assert list(status.values()) in (["pass"], ["unsupported"]), (name, status)
    for case in cases:
        if Path(case["file"]).name in MODEL_GAPS and case["status"] == "pass":
            assert case["detail"].endswith(f"judged by expect alone ({MODEL_GAPS[Path(case['file']).name]})")
    assert returncode == 0


def nearly(value: Any) -> Any:
    """``value`` one small step off: a digest's last hex digit, an integer plus one, a list's last item, ..."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if isinstance(value, str):
        if value and len(value) % 2 == 0 and all(char in "0123456789abcdef" for char in value):
            return value[:-1] + format(int(value[-1], 16) ^ 1, "x")
        if value.lstrip("-").isdigit():  # an i64
            return str(int(value) + 1)
        return value + "!"
    if isinstance(value, list):
        return [*value[:-1], nearly(value[-1])] if value else [0]
    if isinstance(value, dict):
        key = next(iter(value))
        return {**value, key: nearly(value[key])}
    raise TypeError(f"cannot alter {value!r}")


def wrong_twin(path: Path, directory: Path) -> int:
    """Write a copy of ``path`` into ``directory`` whose last top-level ``expect`` is nearly right; its step number."""
    document = tomlkit.parse(path.read_text(encoding="utf-8"))
    steps = document["steps"]
    last = max(index for index, step in enumerate(steps) if "expect" in step)
    steps[last]["expect"] = nearly(steps[last]["expect"].unwrap())
    (directory / path.name).write_text(tomlkit.dumps(document), encoding="utf-8")
    return last + 1


def test_a_wrong_twin_of_each_real_scenario_fails_at_its_altered_step(
        run_linmem: Callable[..., Any], real_modules: dict[str, Path], node_runtime: Runtime,
        tmp_path: Path) -> None:
    twins = tmp_path / "twins"
    twins.mkdir()
    (twins / "wasm").symlink_to(WASM_DIR, target_is_directory=True)
    altered = {path.name: wrong_twin(path, twins) for path in SCENARIOS}
    returncode, cases = run_report(run_linmem, twins, node_runtime, tmp_path / "report.json")
    assert returncode == 1
    for case in cases:
        name = Path(case["file"]).name
        if case["status"] == "unsupported":  # the model's gap, or a runtime lacking a feature
            assert case["runtime"]["name"] != "reference" or name in MODEL_GAPS, name
            continue
        assert case["status"] == "fail", (name, case["runtime"], case.get("detail"))
        assert [difference["step"] for difference in case["differences"]] == [altered[name]], (name, case["runtime"])
    assert {Path(case["file"]).name for case in cases if case["runtime"]["name"] == "reference"} == set(altered)


def write_expectations(path: Path) -> None:
    """Set each named step's ``expect`` to what Python computes (for writing or changing a scenario)."""
    expected = EXPECTATIONS[path.name](load(path))
    document = tomlkit.parse(path.read_text(encoding="utf-8"))
    for step in document["steps"]:
        for each in [step, *step.get("steps", [])]:
            name = each.get("as")
            if name in expected and each.get("expect", None) != expected[name]:
                each["expect"] = inline(expected[name])
    path.write_text(tomlkit.dumps(document), encoding="utf-8")




if __name__ == "__main__":  # python -m tests.test_real_modules [--write]: the recomputed expectations
    for scenario in SCENARIOS:
        if scenario.name in EXPECTATIONS:
            if "--write" in sys.argv:
                write_expectations(scenario)
            print(scenario.name, json.dumps(EXPECTATIONS[scenario.name](load(scenario)), ensure_ascii=False))
