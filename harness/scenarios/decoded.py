"""Decoded modules by their bytes: each distinct module decoded once per process, and translated once.

Many scenarios of a run share a module (the same inline WAT, the same file).
:func:`decoded` keeps the last :data:`KEPT` distinct modules decoded, keyed by
their bytes and the spec version that decodes them, so each is decoded once
per process however many scenarios use it. A decoded :class:`~harness.model.binary.Module`
is never changed by instantiating it; the one thing it gains is each function
body's translation to Python (``FunctionBody.compiled``, made on its first
call), so a module kept here is translated once too. A module that does not
decode is not kept: its error is raised again, from a fresh decode, each time.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from ..model import decode_module
from ..model.binary import Module
from ..model.versions import DEFAULT_VERSION, SpecVersion

#: how many distinct modules a process keeps decoded (the least recently used goes first)
KEPT = 256

_kept: OrderedDict[tuple[bytes, SpecVersion], Module] = OrderedDict()
_lock = threading.Lock()


def decoded(wasm_bytes: bytes, *, version: SpecVersion = DEFAULT_VERSION) -> Module:
    """``wasm_bytes`` decoded by ``version``'s rules, the same object each time for the same bytes.

    Raises what :func:`~harness.model.decode_module` raises for bytes that do not decode.
    """
    key = (bytes(wasm_bytes), version)
    with _lock:
        module = _kept.get(key)
        if module is not None:
            _kept.move_to_end(key)
            return module
    module = decode_module(key[0], version=version)
    with _lock:
        module = _kept.setdefault(key, module)  # another thread may have decoded it meanwhile: keep one
        _kept.move_to_end(key)
        while len(_kept) > KEPT:
            _kept.popitem(last=False)
    return module


def forget_all() -> None:
    """Drop every kept module (for tests)."""
    with _lock:
        _kept.clear()
