"""What each runtime can do, found by running ``js/probe.js`` once per executable.

Results are cached per executable (its path, size and modification time) under
``<cache>/probes``. :func:`missing_features` compares them with what a
module needs (:func:`module_requirements`), so a scenario a runtime cannot
run is ``unsupported`` with a reason, never a false difference.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from ..errors import ProtocolError, RuntimeFailure
from ..model.binary import Module
from ..model.opcodes import PREFIX_FC, VECTOR_BASE
from ..resources import JS_DIR, cache_root, sha256_hex, write_cache_file
from .discovery import Runtime
from .process import debug, run_tool

PROBE_TIMEOUT = 60.0
#: feature -> what a report says a runtime lacks
FEATURE_NAMES = {
    "bigint_i64": "i64 <-> BigInt at the JS boundary",
    "multi_value": "multiple results (multi-value)",
    "shared_memory": "real shared memory (SharedArrayBuffer)",
    "bulk_memory": "bulk memory instructions",
    "sign_extension": "sign-extension instructions",
    "sat_float_to_int": "saturating float-to-int instructions",
    "multi_memory": "multiple memories",
    "simd": "fixed-width SIMD (v128)",
    "relaxed_simd": "relaxed SIMD",
    "memory64": "64-bit memories",
    "table64": "64-bit tables",
    "global_get_in_constants": "global.get of a module's own globals in constant expressions",
    "extended_const": "extended constant expressions (integer add, sub, mul)",
    "reference_types": "reference types (externref/funcref values at the JS boundary)",
    "resizable_buffers": "resizable memory buffers (WebAssembly.Memory's toResizableBuffer, resizable ArrayBuffers)",
}
#: the JS API's bound on a 64-bit memory's minimum and maximum, in pages: a module over it is a CompileError
#: (WebAssembly JS API 3.0, "Implementation-defined Limits"); the core spec allows up to 2^48
JS_API_MEMORY64_PAGES = 2**37 - 1
#: how the JS API makes 64-bit memories, as ``js/probe.js`` reports it under ``memory64_js_api``: the
#: standard's ``{address: "i64"}`` with BigInts, or the memory64 proposal's earlier ``{index: "i64"}`` with Numbers
MEMORY64_JS_API_SHAPES = ("address", "index")
_SIGN_EXTENSION = range(0xC0, 0xC5)
_SATURATING = range(PREFIX_FC << 8, (PREFIX_FC << 8) + 8)
_BULK = range((PREFIX_FC << 8) + 8, (PREFIX_FC << 8) + 12)
#: i32/i64 add, sub and mul: the integer arithmetic of extended constant expressions (3.0)
_EXTENDED_CONSTANT = {0x6A, 0x6B, 0x6C, 0x7C, 0x7D, 0x7E}
_GLOBAL_GET = 0x23
# table.get/set, select t, ref.null/is_null/func, table.grow/size/fill
_REFERENCE_INSTRUCTIONS = {0x25, 0x26, 0x1C, 0xD0, 0xD1, 0xD2, *range((PREFIX_FC << 8) + 15, (PREFIX_FC << 8) + 18)}


def probe_features(runtime: Runtime) -> dict[str, Any]:
    """The runtime's features, probed once per executable and cached."""
    stat = os.stat(runtime.path)
    key = sha256_hex(f"{runtime.path}|{stat.st_size}|{stat.st_mtime_ns}|{(JS_DIR / 'probe.js').read_bytes()!r}".encode())
    cached = cache_root() / "probes" / f"{key[:32]}.json"
    features = _read_cached(cached)
    if features is not None:
        return features
    try:
        result = run_tool(runtime.command(JS_DIR / "probe.js"), timeout=PROBE_TIMEOUT)
        features = json.loads(result.stdout)
    except ValueError:
        raise ProtocolError(f"{runtime.label()} answered the feature probe with something that is not JSON") from None
    except RuntimeFailure as failure:
        raise RuntimeFailure(f"{runtime.label()} failed the feature probe: {failure.message}",
                             detail=failure.detail) from None
    if not is_feature_table(features):
        raise ProtocolError(f"{runtime.label()} answered the feature probe with JSON of the wrong shape: "
                            f"{result.stdout[:120]!r}")
    write_cache_file(cached, json.dumps(features, sort_keys=True).encode())
    return features


def _read_cached(cached: Path) -> dict[str, Any] | None:
    """The cached probe result, or ``None`` when there is none or it is damaged (then it is probed again)."""
    try:
        features = json.loads(cached.read_bytes())
    except FileNotFoundError:
        return None
    except (OSError, ValueError):  # a damaged entry (a half-copied cache, a full disk): probe again
        debug(f"probes: discarding unreadable cache entry {cached}")
        return None
    if not is_feature_table(features):
        debug(f"probes: discarding cache entry {cached} of the wrong shape")
        return None
    return features


def is_feature_table(features: object) -> bool:
    """Whether ``features`` is what ``js/probe.js`` prints: each known feature a boolean, the page limit a count.

    >>> is_feature_table({**{name: True for name in FEATURE_NAMES}, "max_memory_pages": 65536})
    True
    >>> is_feature_table({"max_memory_pages": "many"})
    False
    """
    if not isinstance(features, dict) or not all(isinstance(name, str) for name in features):
        return False
    pages = features.get("max_memory_pages")
    return (isinstance(pages, int) and not isinstance(pages, bool)
            and all(isinstance(features.get(name), bool) for name in FEATURE_NAMES))


def _instructions(module: Module) -> set[int]:
    return {opcode for body in module.bodies for opcode, _ in body.code}


def module_requirements(module: Module) -> dict[str, Any]:
    """The features a module needs to compile and instantiate, each with why."""
    needs: dict[str, Any] = {}
    memories = module.memory_types()
    if any(limits.shared for limits in memories):
        needs["shared_memory"] = "the module's memory is shared"
    if len(memories) > 1:
        needs["multi_memory"] = f"the module has {len(memories)} memories"
    wide = [kind for kind, types in (("memory", memories), ("table", [table.limits for table in module.table_types()]))
            if any(limits.address == "i64" for limits in types)]
    if wide:
        needs["memory64"] = f"the module has a 64-bit {' and a 64-bit '.join(wide)}"
    if memories:
        needs["max_memory_pages"] = max(needs.get("max_memory_pages", 0), *(limits.minimum for limits in memories))
    wide = [limits for limits in memories if limits.address == "i64"]
    if wide:
        needs["memory64"] = "the module has a 64-bit memory"
        needs["memory64_bound"] = max(bound for limits in wide for bound in (limits.minimum, limits.maximum or 0))
    if any(table.limits.address == "i64" for table in module.table_types()):
        needs["table64"] = "the module has a 64-bit table"
    if any(len(signature.results) > 1 for signature in module.types):
        needs["multi_value"] = "a function type has several results"
    opcodes = _instructions(module)
    vector = {opcode - VECTOR_BASE for opcode in opcodes if opcode >= VECTOR_BASE}
    if vector:
        needs["simd"] = f"the module uses {FEATURE_NAMES['simd']} instructions"
    elif "v128" in _value_types(module):
        needs["simd"] = "the module has v128 values"
    if any(number >= 0x100 for number in vector):
        needs["relaxed_simd"] = f"the module uses {FEATURE_NAMES['relaxed_simd']} instructions"
    for feature, codes in (("sign_extension", _SIGN_EXTENSION), ("sat_float_to_int", _SATURATING),
                           ("bulk_memory", _BULK)):
        if opcodes.intersection(codes):
            needs[feature] = f"the module uses {FEATURE_NAMES[feature]}"
    if any(segment.mode == "passive" for segment in module.data):
        needs["bulk_memory"] = "the module has a passive data segment"
    needs.update(_constant_expression_needs(module))
    reason = _reference_types_use(module, opcodes)
    if reason:
        needs["reference_types"] = reason
    return needs


def _value_types(module: Module) -> set[str]:
    """Every value type in the module's function types, locals and globals."""
    value_types = {t for signature in module.types for t in signature.params + signature.results}
    value_types |= {t for body in module.bodies for t in body.locals}
    value_types |= {global_type.value_type for global_type in module.global_types()}
    return value_types


def _constant_expression_needs(module: Module) -> dict[str, str]:
    """What the module's constant expressions (global initialisers, segment offsets and items) need beyond 2.0."""
    expressions = [definition.init for definition in module.globals]
    expressions += [segment.offset for segment in module.data if segment.mode == "active"]
    expressions += [segment.offset for segment in module.elements if segment.mode == "active"]
    expressions += [item for segment in module.elements for item in segment.items]
    imported_globals = len(module.imported("global"))
    needs = {}
    for opcode, immediate in (instruction for expression in expressions for instruction in expression):
        if opcode in _EXTENDED_CONSTANT:
            needs["extended_const"] = "a constant expression does integer arithmetic"
        elif opcode == _GLOBAL_GET and immediate >= imported_globals:
            needs["global_get_in_constants"] = "a constant expression reads one of the module's own globals"
    return needs


def _reference_types_use(module: Module, opcodes: set[int]) -> str:
    """Why the module needs the reference-types proposal (empty when it does not)."""
    value_types = _value_types(module)
    if "externref" in value_types or "funcref" in value_types:
        return "the module has reference-typed values"
    tables = module.table_types()
    if len(tables) > 1 or any(table.element != "funcref" for table in tables):
        return "the module has several tables or an externref table"
    if opcodes.intersection(_REFERENCE_INSTRUCTIONS):
        return "the module uses table or reference instructions"
    if any(opcode == 0xD0 for segment in module.elements for item in segment.items for opcode, _ in item):
        return "an element segment holds ref.null"
    if any(segment.mode == "declarative" for segment in module.elements):
        return "the module has a declarative element segment"
    return ""


def missing_features(needs: dict[str, Any], features: dict[str, Any]) -> list[str]:
    """Why the runtime cannot run a scenario with these needs (empty when it can)."""
    reasons = []
    for feature, why in needs.items():
        if feature == "max_memory_pages":
            largest = features.get("max_memory_pages", 0)
            if why > largest:
                reasons.append(f"allocates at most {largest} pages; the scenario needs a memory of {why}")
        elif feature == "memory64_bound":
            if why > JS_API_MEMORY64_PAGES:
                reasons.append(f"follows the JS API, which rejects a 64-bit memory whose minimum or maximum is over "
                               f"2^37-1 pages (this one's is {why})")
        elif feature == "memory64_js_api":
            if features.get("memory64_js_api") not in MEMORY64_JS_API_SHAPES:
                reasons.append(f"lacks 64-bit memories in the JS API (new WebAssembly.Memory({{address: \"i64\"}})) "
                               f"({why})")
        elif not features.get(feature, False):
            reasons.append(f"lacks {FEATURE_NAMES[feature]} ({why})")
    return reasons
