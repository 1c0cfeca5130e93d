"""Compiling WebAssembly text with the pinned wabt.js, and caching the bytes.

One long-lived Node process (``js/worker.js`` with ``js/wabt_compile.js``)
compiles every module of a run. Compiled bytes are cached under
``<cache>/wasm``, keyed by the SHA-256 of the source, the feature flags, the
validation switch and the wabt version, and written atomically, so parallel
test workers share the cache safely and a cache hit starts no process at all.
Each entry carries the SHA-256 of its binary; one that does not match is
compiled again.
"""

from __future__ import annotations

import base64
import json
import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from ..errors import InputError, MissingFileError, ProtocolError, WatError
from ..resources import (
    JS_DIR,
    cache_root,
    require_own_files,
    sha256_hex,
    write_cache_file,
)
from ..runtimes.discovery import Runtime
from ..runtimes.process import JsonLineWorker, debug
from ..runtimes.protocol import JsError, parse_answer, request
from .npm import ensure_installed, pinned_version

COMPILE_TIMEOUT = 60.0
#: what a compile cache entry starts with, before the SHA-256 of the binary that follows it
ENTRY_HEADER = b"linmem-wasm sha256="

#: The feature flags wabt.js accepts (its ``WasmFeatures``).
WABT_FEATURES = frozenset({
    "exceptions", "mutable_globals", "sat_float_to_int", "sign_extension", "simd", "threads",
    "function_references", "multi_value", "tail_call", "bulk_memory", "reference_types",
    "annotations", "code_metadata", "gc", "memory64", "extended_const", "relaxed_simd",
    "multi_memory",
})

_DIAGNOSTIC = re.compile(r"^(?P<file>.*?):(?P<line>\d+):(?P<column>\d+): error: (?P<text>.*)$")


@dataclass(frozen=True)
class CompiledModule:
    """A module's binary and where it came from."""

    wasm_bytes: bytes
    source_name: str
    from_cache: bool

    @property
    def sha256(self) -> str:
        """The SHA-256 of the binary, as lowercase hex."""
        return sha256_hex(self.wasm_bytes)


def check_features(features: Iterable[str]) -> tuple[str, ...]:
    """The features, sorted and deduplicated; an unknown name is an :class:`InputError`."""
    chosen = tuple(sorted(set(features)))
    unknown = [name for name in chosen if name not in WABT_FEATURES]
    if unknown:
        raise InputError(f"unknown wabt feature {unknown[0]!r}; expected one of "
                         f"{', '.join(sorted(WABT_FEATURES))}")
    return chosen


def cache_key(source: bytes, features: tuple[str, ...], validate: bool, wabt_version: str) -> str:
    """The content address of a compilation."""
    recipe: dict[str, object] = {"source": sha256_hex(source), "features": list(features), "validate": validate,
                                 "wabt": wabt_version}
    if "multi_memory" in features:
        # since data segments got their memory index back (js/data_memory_index.js): older entries lack it
        recipe["data_memory_indices"] = True
    return sha256_hex(json.dumps(recipe, sort_keys=True).encode())


def cache_entry(wasm_bytes: bytes) -> bytes:
    """A compile cache entry: a header line with the binary's SHA-256, then the binary.

    >>> cache_entry(b"\\0asm")[:19]
    b'linmem-wasm sha256='
    """
    return ENTRY_HEADER + sha256_hex(wasm_bytes).encode("ascii") + b"\n" + wasm_bytes


def read_cache_entry(path: Path) -> bytes | None:
    """The binary a cache entry holds, or ``None`` when there is none or its bytes do not match their hash.

    A damaged entry (a disk error, a half-copied cache, an edit) is then
    compiled again and rewritten, never used.
    """
    try:
        entry = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as error:
        debug(f"wasm cache: cannot read {path} ({error}); compiling again")
        return None
    header, _, wasm_bytes = entry.partition(b"\n")
    if header != ENTRY_HEADER + sha256_hex(wasm_bytes).encode("ascii"):
        debug(f"wasm cache: {path} does not match its hash; compiling again")
        return None
    return wasm_bytes


def wat_error(error: JsError, filename: str) -> WatError:
    """Turn wabt's multi-line message into a :class:`WatError` for its first diagnostic."""
    lines = error.message.splitlines()
    for index, line in enumerate(lines):
        match = _DIAGNOSTIC.match(line)
        if match:
            more = sum(1 for rest in lines[index + 1:] if _DIAGNOSTIC.match(rest))
            suffix = f" (and {more} more error{'s' if more > 1 else ''})" if more else ""
            excerpt = "\n".join(lines[index + 1:index + 3])
            kind = "malformed" if error.stage == "parse" else "invalid"
            return WatError(f"{kind} module: {match['text']}{suffix}", stage=error.stage or "",
                            excerpt=excerpt, path=filename, line=int(match["line"]),
                            column=int(match["column"]))
    return WatError(f"wabt rejected the module: {' '.join(lines) or error.name}",
                    stage=error.stage or "", path=filename)


class Compiler:
    """Compiles WAT to wasm bytes through one long-lived wabt.js process.

    Safe to share between threads (the runtimes of a run): requests to the
    process go one at a time.
    """

    def __init__(self, runtime: Runtime, *, use_cache: bool = True, cache_dir: Path | None = None) -> None:
        require_own_files()
        self.runtime = runtime
        self.use_cache = use_cache
        self.cache_dir = cache_dir if cache_dir is not None else cache_root() / "wasm"
        self.compilations = 0
        self.wabt_version = pinned_version("wabt")
        self._worker: JsonLineWorker | None = None
        self._lock = threading.Lock()

    def _service(self) -> JsonLineWorker:
        if self._worker is None:
            modules = ensure_installed(self.runtime)

            env = dict(os.environ, LINMEM_NODE_MODULES=str(modules))
            argv = self.runtime.command(JS_DIR / "worker.js", str(JS_DIR / "wabt_compile.js"))
            self._worker = JsonLineWorker(argv, name=f"wabt service ({self.runtime.label()})", env=env)
        return self._worker

    def compile_text(self, source: bytes, *, filename: str, features: Iterable[str] = (),
                     validate: bool = True) -> CompiledModule:
        """Compile WAT ``source``; raise :class:`WatError` if wabt rejects it.

        ``filename`` is what wabt's messages (and so the error's path) name.
        """
        chosen = check_features(features)
        key = cache_key(source, chosen, validate, self.wabt_version)
        cached = self.cache_dir / key[:2] / f"{key}.entry"
        wasm_bytes = read_cache_entry(cached) if self.use_cache else None
        if wasm_bytes is not None:
            return CompiledModule(wasm_bytes, filename, from_cache=True)
        wasm_bytes = self._compile_uncached(source, filename, chosen, validate)
        if self.use_cache:
            write_cache_file(cached, cache_entry(wasm_bytes))
        return CompiledModule(wasm_bytes, filename, from_cache=False)

    def _compile_uncached(self, source: bytes, filename: str, features: tuple[str, ...],
                          validate: bool) -> bytes:
        message = request("compile", filename=filename, validate=validate,
                          source_b64=base64.b64encode(source).decode("ascii"),
                          features={name: True for name in features})
        with self._lock:
            worker = self._service()
            self.compilations += 1
            answer = worker.request(message, timeout=COMPILE_TIMEOUT)
        outcome = parse_answer(answer, who=worker.name)
        if isinstance(outcome, JsError):
            if outcome.name == "WatError":
                raise wat_error(outcome, filename)
            raise ProtocolError(f"{worker.name} failed: {outcome.name}: {outcome.message}",
                                detail=outcome.stack)
        try:
            return base64.b64decode(outcome["wasm_b64"], validate=True)
        except (KeyError, TypeError, ValueError):
            raise ProtocolError(f"{worker.name} answered without wasm bytes") from None

    def compile_file(self, path: str | Path, *, features: Iterable[str] = ()) -> CompiledModule:
        """Compile the WAT file at ``path``; a missing file is a :class:`MissingFileError`."""
        return self.compile_text(read_input(path), filename=str(path), features=features)

    @property
    def service_restarts(self) -> int:
        """How often the wabt process had to be restarted (0 while it stays healthy)."""
        return self._worker.restarts if self._worker is not None else 0

    def close(self, *, grace: float = 2.0) -> None:
        """Stop the wabt process, if one was started (killed after ``grace`` seconds).

        Not under the lock: a thread waiting on a compilation gets its answer (the process is gone) at once.
        """
        worker, self._worker = self._worker, None
        if worker is not None:
            worker.close(grace=grace)

    def __enter__(self) -> "Compiler":
        return self

    def __exit__(self, kind: type[BaseException] | None, *exc_info: object) -> None:
        self.close(grace=0 if kind is not None and issubclass(kind, KeyboardInterrupt) else 2.0)


def read_input(path: str | Path) -> bytes:
    """The bytes of an input file; raise :class:`MissingFileError` or :class:`InputError`."""
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        raise MissingFileError("no such file", path=path) from None
    except IsADirectoryError:
        raise InputError("is a directory, not a file", path=path) from None
    except OSError as error:
        raise InputError(f"cannot read: {error.strerror}", path=path) from None


def load_module_bytes(path: str | Path, compiler: Compiler, features: Iterable[str] = ()) -> CompiledModule:
    """Wasm bytes for ``path``: a ``.wasm`` file as it is, anything else compiled as WAT.

    A ``.wasm`` file that does not start with the wasm magic and version is an
    :class:`InputError`; the reference decoder judges the rest.
    """
    if str(path).endswith(".wasm"):
        wasm_bytes = read_input(path)
        if wasm_bytes[:8] != b"\0asm\x01\0\0\0":
            raise InputError(f"not a WebAssembly binary: it starts with {wasm_bytes[:8].hex(' ') or 'nothing'}"
                             ", not 00 61 73 6d 01 00 00 00", path=path)
        return CompiledModule(wasm_bytes, str(path), from_cache=False)
    return compiler.compile_file(path, features=features)


__all__ = ["Compiler", "CompiledModule", "WABT_FEATURES", "load_module_bytes"]
