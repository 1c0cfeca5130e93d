"""``TextDecoder`` and ``TextEncoder`` as the WHATWG Encoding Standard defines them.

UTF-8 decoding replaces each maximal ill-formed subpart with U+FFFD (Python's
``"replace"`` handler follows the same Unicode practice, which the tests check
against Node), strips one leading BOM unless ``ignoreBOM``, and with ``fatal``
throws ``TypeError`` instead of replacing. UTF-16LE/BE and windows-1252 (the
encoding behind the labels "latin1" and "ascii") are supported too; the
Encoding Standard's other encodings raise :class:`EncodingNotModelled`.
"""

from __future__ import annotations

from .traps import JsException

#: WHATWG labels (lowercase) -> (canonical name, Python codec, BOM bytes)
_WINDOWS_1252_LABELS = (
    "ansi_x3.4-1968", "ascii", "cp1252", "cp819", "csisolatin1", "ibm819", "iso-8859-1", "iso-ir-100",
    "iso8859-1", "iso88591", "iso_8859-1", "iso_8859-1:1987", "l1", "latin1", "us-ascii", "windows-1252",
    "x-cp1252")
_ENCODINGS = {
    **{label: ("windows-1252", "windows-1252", b"") for label in _WINDOWS_1252_LABELS},
    **{label: ("utf-8", "utf-8", b"\xef\xbb\xbf") for label in (
        "unicode-1-1-utf-8", "unicode11utf8", "unicode20utf8", "utf-8", "utf8", "x-unicode20utf8")},
    **{label: ("utf-16le", "utf-16-le", b"\xff\xfe") for label in (
        "csunicode", "iso-10646-ucs-2", "ucs-2", "unicode", "unicodefeff", "utf-16", "utf-16le")},
    **{label: ("utf-16be", "utf-16-be", b"\xfe\xff") for label in ("unicodefffe", "utf-16be")},
}
_ASCII_WHITESPACE = "\t\n\f\r "
#: Labels of the Encoding Standard's other encodings: real, but not modelled here.
NOT_MODELLED = frozenset({
    "ibm866", "iso-8859-2", "iso-8859-3", "iso-8859-4", "iso-8859-5", "iso-8859-6", "iso-8859-7", "iso-8859-8",
    "iso-8859-8-i", "iso-8859-10", "iso-8859-13", "iso-8859-14", "iso-8859-15", "iso-8859-16", "koi8-r", "koi8-u",
    "macintosh", "windows-874", "windows-1250", "windows-1251", "windows-1253", "windows-1254", "windows-1255",
    "windows-1256", "windows-1257", "windows-1258", "x-mac-cyrillic", "gbk", "gb18030", "big5", "euc-jp",
    "iso-2022-jp", "shift_jis", "euc-kr", "x-user-defined", "latin2", "latin3", "latin4", "latin5", "latin6",
    "cyrillic", "arabic", "greek", "hebrew", "koi8", "gb2312", "chinese", "sjis", "ms932", "windows-31j", "korean",
})
# WHATWG windows-1252 maps the five bytes cp1252 leaves undefined to the C1 controls.
_C1_GAPS = {0x81, 0x8D, 0x8F, 0x90, 0x9D}


class EncodingNotModelled(Exception):
    """A real encoding label whose decoder the reference model does not have."""


class TextDecoderModel:
    """``new TextDecoder(label, {fatal, ignoreBOM})``; an unknown label throws ``RangeError``.

    >>> TextDecoderModel("utf8").decode(bytes([120, 225, 187, 139, 110, 32, 120, 195, 178]))
    'xịn xò'
    """

    def __init__(self, label: str = "utf-8", *, fatal: bool = False, ignore_bom: bool = False) -> None:
        normalised = label.strip(_ASCII_WHITESPACE).lower()
        entry = _ENCODINGS.get(normalised)
        if entry is None and normalised in NOT_MODELLED:
            raise EncodingNotModelled(f"TextDecoder({label!r}): the reference model does not decode {normalised}")
        if entry is None:
            raise JsException("RangeError", f"the encoding label {label!r} is not supported")
        self.encoding, self._codec, self._bom = entry
        self.fatal = fatal
        self.ignore_bom = ignore_bom

    def decode(self, data: bytes) -> str:
        """Decode ``data``; with ``fatal``, ill-formed input throws ``TypeError``."""
        if self._bom and not self.ignore_bom and data.startswith(self._bom):
            data = data[len(self._bom):]
        if self._codec == "windows-1252":
            return "".join(chr(byte) if byte in _C1_GAPS else bytes([byte]).decode("cp1252") for byte in data)
        try:
            return data.decode(self._codec, "strict" if self.fatal else "replace")
        except UnicodeDecodeError:
            raise JsException("TypeError", f"the encoded data was not valid {self.encoding}") from None


def encode_utf8(text: str) -> bytes:
    """``new TextEncoder().encode(text)``: UTF-8, lone surrogates becoming U+FFFD."""
    well_formed = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return well_formed.encode("utf-8")
