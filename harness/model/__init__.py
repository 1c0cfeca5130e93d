"""The Python reference model of WebAssembly linear memory and its JavaScript host.

- :mod:`.memory`: linear memory (pages, limits, bounds-checked little-endian access)
- :mod:`.binary`: the binary-format decoder
- :mod:`.interpreter`, :mod:`.numeric`: execution of function bodies
- :mod:`.simd`, :mod:`.vectors`: the vector instructions (their table; 2.0 SIMD executed)
- :mod:`.store`: instances, functions, globals, tables
- :mod:`.instance`: instantiation, imports, exports, data segments
- :mod:`.host`, :mod:`.views`: ``WebAssembly.Memory``, ``ArrayBuffer`` and typed arrays
- :mod:`.text`: ``TextDecoder`` / ``TextEncoder``
- :mod:`.traps`: traps and JavaScript exceptions
- :mod:`.wasi`: linmem's own WASI preview 1 host (mirrored by ``js/wasi.js``)
"""

from __future__ import annotations

from .binary import Module, decode_module
from .host import MemoryObject
from .instance import call_export, instantiate
from .memory import PAGE_SIZE, Limits, Memory
from .store import Instance
from .text import TextDecoderModel, encode_utf8
from .traps import JsException, Trap, TrapKind, UnsupportedInstruction
from .views import VIEW_KINDS, ArrayBufferModel, TypedArrayModel, view_kind

__all__ = [
    "PAGE_SIZE", "VIEW_KINDS", "ArrayBufferModel", "Instance", "JsException", "Limits", "Memory",
    "MemoryObject", "Module", "TextDecoderModel", "Trap", "TrapKind", "TypedArrayModel",
    "UnsupportedInstruction", "call_export", "decode_module", "encode_utf8", "instantiate",
    "view_kind",
]
