"""Whether wabt's text parser rejects a module a script calls malformed, remembered across runs.

Malformed text is judged against wabt (:func:`.on_model.run_on_model`).
wabt's accepted modules are cached as binaries by the compiler; its
rejections are remembered here, one empty-bodied entry per rejected text, in
the compiler's cache directory, keyed by the text, the features, wabt's
version and linmem's. A run whose malformed texts were all seen before then
starts no wabt process for them.
"""

from __future__ import annotations

import json
from pathlib import Path

from .. import __version__
from ..compiler.wabt import Compiler, cache_key, check_features
from ..errors import WatError
from ..resources import sha256_hex, write_cache_file

#: what a rejection entry holds
REJECTED = b"linmem: wabt rejects this text\n"


def wabt_rejects(compiler: Compiler, source: bytes, *, filename: str, features: tuple[str, ...]) -> bool:
    """Whether wabt's parser rejects ``source`` (compiled without validation, with ``features``)."""
    chosen = check_features(features)
    recipe = {"rejected": cache_key(source, chosen, False, compiler.wabt_version), "linmem": __version__}
    key = sha256_hex(json.dumps(recipe, sort_keys=True).encode())
    entry = compiler.cache_dir / key[:2] / f"{key}.rejected"
    if compiler.use_cache and _holds_rejection(entry):
        return True
    try:
        compiler.compile_text(source, filename=filename, features=chosen, validate=False)
    except WatError:
        if compiler.use_cache:
            write_cache_file(entry, REJECTED)
        return True
    return False


def _holds_rejection(entry: Path) -> bool:
    try:
        return entry.read_bytes() == REJECTED
    except OSError:
        return False
