"""Function bodies' translations kept on disk, so a module's functions are translated once, not once per process.

:func:`harness.model.codegen.translate` turns a body into Python source and
compiles it, once per :class:`~harness.model.binary.FunctionBody` (its
``compiled``). That is most of the time a fresh process spends on a large
module. This cache keeps, per module, every translation made so far: its
source, the names its environment needs, its constants and its compiled code
object (``bind``'s, by :mod:`marshal`). :func:`load_into` gives a freshly decoded module's
bodies the translations found on disk, :func:`save` writes the module's file
again once its bodies have gained translations.

A file is keyed by the module's bytes, the spec version that decoded it,
linmem's version, Python's (a code object is only read by the Python that
wrote it) and the source of the model itself (a change to the translator, while
linmem's version stays, makes new keys): what a translation depends on, by
function index. It lives under :func:`~harness.resources.cache_root` and is
written whole or not at all (:func:`~harness.resources.write_cache_file`). A
file that cannot be read is ignored: the bodies are translated again.
"""

from __future__ import annotations

import hashlib
import marshal
import sys
import types
from pathlib import Path
from typing import Any

from .. import __version__
from ..errors import HarnessError
from ..resources import cache_root, write_cache_file
from .binary import Module
from .codegen import _GLOBALS, Translation
from .versions import SpecVersion

#: what starts a cache file (a file without it is not one)
MAGIC = b"linmem-translations-1\n"

_model_digest: str | None = None


def _model_source_digest() -> str:
    """The SHA-256 of the model's own source files (``harness/model/*.py``), worked out once per process."""
    global _model_digest
    if _model_digest is None:
        digest = hashlib.sha256()
        for path in sorted(Path(__file__).parent.glob("*.py")):
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
        _model_digest = digest.hexdigest()
    return _model_digest


def cache_key(wasm_bytes: bytes, version: SpecVersion) -> str:
    """The name of the module's translations on disk: everything they depend on, hashed."""
    context = f"{__version__}|{sys.implementation.cache_tag}|{sys.version}|{_model_source_digest()}|{version}|"
    return hashlib.sha256(context.encode() + wasm_bytes).hexdigest()


def cache_path(key: str) -> Path:
    """Where the translations with ``key`` are kept."""
    return cache_root() / "translations" / key[:2] / f"{key}.marshal"


def load_into(module: Module, key: str) -> int:
    """Give ``module``'s bodies the translations kept under ``key``; how many it got (0 without a usable file)."""
    try:
        data = cache_path(key).read_bytes()
    except (OSError, HarnessError):  # no file yet, or no usable cache at all: translated as they are called
        return 0
    if not data.startswith(MAGIC):
        return 0
    try:
        entries = marshal.loads(data[len(MAGIC):])
    except (EOFError, ValueError, TypeError):
        return 0
    given = 0
    for index, (source, names, constants, code) in entries.items():
        if not 0 <= index < len(module.bodies) or module.bodies[index].compiled is not None:
            continue
        factory = types.FunctionType(code, dict(_GLOBALS))  # bind(...), in a namespace as codegen.translate's own
        module.bodies[index].compiled = Translation(source, tuple(names), dict(constants), factory)
        given += 1
    return given


def translated_count(module: Module) -> int:
    """How many of ``module``'s bodies are translated."""
    return sum(1 for body in module.bodies if body.compiled is not None)


def save(module: Module, key: str) -> bool:
    """Write every translation ``module``'s bodies have under ``key``; ``False`` if none could be written."""
    entries: dict[int, tuple[str, tuple[str, ...], dict[str, Any], Any]] = {}
    for index, body in enumerate(module.bodies):
        translation = body.compiled
        if translation is None:
            continue
        entry = (translation.source, tuple(translation.names), dict(translation.constants),
                 translation.factory.__code__)
        try:
            marshal.dumps(entry)
        except ValueError:  # a constant marshal cannot hold: that body is translated again next time
            continue
        entries[index] = entry
    if not entries:
        return False
    try:
        path = cache_path(key)
    except HarnessError:  # no usable cache (said where the run set it up): nothing kept
        return False
    return write_cache_file(path, MAGIC + marshal.dumps(entries))
