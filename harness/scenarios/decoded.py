"""Decoded modules by their bytes: each distinct module decoded once per process, and translated once.

Many scenarios of a run share a module (the same inline WAT, the same file).
:func:`decoded` keeps the last :data:`KEPT` distinct modules decoded, keyed by
their bytes and the spec version that decodes them, so each is decoded once
per process however many scenarios use it. A decoded :class:`~harness.model.binary.Module`
is never changed by instantiating it; the one thing it gains is each function
body's translation to Python (``FunctionBody.compiled``, made on its first
call), so where references run on the modules kept here
(:func:`reuse_translations`) a module is translated once too; and across
processes, with :mod:`harness.model.translation_cache` (a decoded module gets
the translations kept on disk, :func:`save_translations` keeps new ones). A module
that does not decode is not kept: its error is raised again, from a fresh
decode, each time.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Iterable

from ..model import decode_module, translation_cache
from ..model.binary import Module
from ..model.versions import DEFAULT_VERSION, SpecVersion

#: how many distinct modules a process keeps decoded (the least recently used goes first)
KEPT = 256

_kept: OrderedDict[tuple[bytes, SpecVersion], Module] = OrderedDict()
#: for each kept module (by id): its translations' key on disk, and how many of them are there
_on_disk: dict[int, tuple[str, int]] = {}
_lock = threading.Lock()


_reuse_translations = False


def reuse_translations(enabled: bool = True) -> bool:
    """Whether references share translations: the previous setting, ``enabled`` from now on.

    A model worker process (:mod:`harness.pipeline.model_pool`) turns it on:
    its references run on the modules kept here, so each body is translated
    once, and decoded modules get their translations from disk and keep new
    ones there. Off (the default, e.g. a reference computed in a test's
    own process, where a test may change the translator), each reference
    decodes its modules afresh and translates what it calls.
    """
    global _reuse_translations
    previous, _reuse_translations = _reuse_translations, enabled
    return previous


def translations_reused() -> bool:
    """Whether :func:`reuse_translations` is on."""
    return _reuse_translations


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
    disk_key = translation_cache.cache_key(key[0], version)
    loaded = translation_cache.load_into(module, disk_key) if _reuse_translations else 0
    with _lock:
        if key not in _kept:  # another thread may have decoded it meanwhile: keep one
            _kept[key] = module
            _on_disk[id(module)] = (disk_key, loaded)
        module = _kept[key]
        _kept.move_to_end(key)
        while len(_kept) > KEPT:
            _on_disk.pop(id(_kept.popitem(last=False)[1]), None)
    return module


def save_translations(modules: Iterable[Module]) -> None:
    """Keep on disk the translations ``modules`` (from :func:`decoded`) gained since they were decoded or saved."""
    if not _reuse_translations:
        return
    for module in modules:
        with _lock:
            known = _on_disk.get(id(module))
        if known is None:
            continue
        translated = translation_cache.translated_count(module)
        if translated > known[1]:
            translation_cache.save(module, known[0])
            with _lock:
                if id(module) in _on_disk:
                    _on_disk[id(module)] = (known[0], translated)


def forget_all() -> None:
    """Drop every kept module (for tests)."""
    with _lock:
        _kept.clear()
        _on_disk.clear()
