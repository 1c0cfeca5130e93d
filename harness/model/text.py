"""``TextDecoder`` and ``TextEncoder`` as the WHATWG Encoding Standard defines them.

UTF-8 decoding replaces each maximal ill-formed subpart with U+FFFD (Python's
``"replace"`` handler follows the same Unicode practice, which the tests check
against Node), strips one leading BOM unless ``ignoreBOM``, and with ``fatal``
throws ``TypeError`` instead of replacing. UTF-16LE/BE are supported too.
"""

from __future__ import annotations

from .traps import JsException

#: WHATWG labels (lowercase) -> (canonical name, Python codec, BOM bytes)
_ENCODINGS = {
    **{label: ("utf-8", "utf-8", b"\xef\xbb\xbf") for label in (
        "unicode-1-1-utf-8", "unicode11utf8", "unicode20utf8", "utf-8", "utf8", "x-unicode20utf8")},
    **{label: ("utf-16le", "utf-16-le", b"\xff\xfe") for label in (
        "csunicode", "iso-10646-ucs-2", "ucs-2", "unicode", "unicodefeff", "utf-16", "utf-16le")},
    **{label: ("utf-16be", "utf-16-be", b"\xfe\xff") for label in ("unicodefffe", "utf-16be")},
}
_ASCII_WHITESPACE = "\t\n\f\r "


class TextDecoderModel:
    """``new TextDecoder(label, {fatal, ignoreBOM})``; an unknown label throws ``RangeError``.

    >>> TextDecoderModel("utf8").decode(bytes([120, 225, 187, 139, 110, 32, 120, 195, 178]))
    'xịn xò'
    """

    def __init__(self, label: str = "utf-8", *, fatal: bool = False, ignore_bom: bool = False) -> None:
        entry = _ENCODINGS.get(label.strip(_ASCII_WHITESPACE).lower())
        if entry is None:
            raise JsException("RangeError", f"the encoding label {label!r} is not supported")
        self.encoding, self._codec, self._bom = entry
        self.fatal = fatal
        self.ignore_bom = ignore_bom

    def decode(self, data: bytes) -> str:
        """Decode ``data``; with ``fatal``, ill-formed input throws ``TypeError``."""
        if not self.ignore_bom and data.startswith(self._bom):
            data = data[len(self._bom):]
        try:
            return data.decode(self._codec, "strict" if self.fatal else "replace")
        except UnicodeDecodeError:
            raise JsException("TypeError", f"the encoded data was not valid {self.encoding}") from None


def encode_utf8(text: str) -> bytes:
    """``new TextEncoder().encode(text)``: UTF-8, lone surrogates becoming U+FFFD."""
    well_formed = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return well_formed.encode("utf-8")
