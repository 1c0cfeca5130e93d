"""linmem: a conformance harness for WebAssembly linear memory.

WAT is compiled with the pinned wabt.js in a long-lived Node process, the
JavaScript runs on real Node.js, and every value it reports is compared with
the Python reference model in :mod:`harness.model`.
"""

from __future__ import annotations

__version__ = "0.2.0"
