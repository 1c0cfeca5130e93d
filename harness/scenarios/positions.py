"""Where in a scenario file's text a key's value is written, for errors the decoded document cannot place.

TOML and JSON decoders give positions only for syntax errors. A value that
parses but means nothing (``address = "i65"``) is found again in the text by
its key and its spelling, outside strings and comments, so the error can name
its line and column as a syntax error would.
"""

from __future__ import annotations

import json
import re
from typing import Any

from .document_limits import code_indices, position


def value_position(text: str, key: str, value: Any) -> tuple[int, int] | None:
    """The line and column of the first ``key = value`` (TOML) or ``"key": value`` (JSON) in ``text``.

    The key may be bare or quoted; ``None`` when the value is spelled in a way
    not looked for (a TOML ``0x`` integer, an escaped string) or not found.

    >>> value_position('[memory]\\n# address = "i65"\\naddress = "i65"\\n', "address", "i65")
    (3, 11)
    >>> value_position('{"memory": {"address" : "i65"}}', "address", "i65")
    (1, 25)
    >>> value_position('note = "address = \\'i65\\'"', "address", "i65") is None
    True
    """
    outside = code_indices(text)
    quoted_key = "|".join(quote + re.escape(key) + quote for quote in "\"'")
    for spelled in _spellings(value):
        pattern = re.compile(rf"(?<![\w-])(?:{quoted_key}|{re.escape(key)}\b)\s*[=:]\s*({re.escape(spelled)})")
        for match in pattern.finditer(text):
            start = match.start()
            starts_in_code = start in outside if text[start] not in "\"'" else start == 0 or start - 1 in outside
            if starts_in_code:
                return position(text, match.start(1))
    return None


def _spellings(value: Any) -> list[str]:
    """How TOML or JSON may write ``value`` in the simplest way."""
    if isinstance(value, str):
        return [json.dumps(value), f"'{value}'"]
    if isinstance(value, bool):
        return ["true" if value else "false"]
    if isinstance(value, (int, float)):
        return [json.dumps(value), str(value)]
    return []
