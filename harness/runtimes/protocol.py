"""The JSON shapes exchanged with the Node worker (``js/worker.js``).

Version 1. A request is ``{"v": 1, "id": n, "op": ..., ...}``; the answer is
``{"v": 1, "id": n, "ok": true, "result": ...}`` or ``{"v": 1, "id": n,
"ok": false, "error": {"name", "message", "stack"[, "stage"]}}``. Answers are
parsed strictly: anything else is a :class:`ProtocolError`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..errors import ProtocolError

PROTOCOL_VERSION = 1


def request(op: str, **fields: Any) -> dict[str, Any]:
    """A request document for ``op`` (the worker adds nothing; the id is added on send)."""
    return {"v": PROTOCOL_VERSION, "op": op, **fields}


@dataclass(frozen=True)
class JsError:
    """An exception thrown on the JavaScript side, as the worker reported it."""

    name: str
    message: str
    stack: str = ""
    stage: str | None = None


def parse_answer(answer: dict[str, Any], *, who: str) -> Any | JsError:
    """The ``result`` of a successful answer, or the :class:`JsError` of a failed one."""
    if answer.get("v") != PROTOCOL_VERSION or not isinstance(answer.get("ok"), bool):
        raise ProtocolError(f"{who} answered in an unknown protocol: {str(answer)[:200]}")
    if answer["ok"]:
        if "result" not in answer:
            raise ProtocolError(f"{who} answered without a result: {str(answer)[:200]}")
        return answer["result"]
    error = answer.get("error")
    if not isinstance(error, dict) or not isinstance(error.get("name"), str):
        raise ProtocolError(f"{who} answered with a malformed error: {str(answer)[:200]}")
    return JsError(error["name"], str(error.get("message", "")), str(error.get("stack", "")),
                   error.get("stage"))
