"""Number literals of the text format, read exactly (the spec's text/values section).

Integers are written unsigned (``0 .. 2^N-1``) or with a sign (``-2^(N-1) ..
2^(N-1)-1``), in decimal or ``0x`` hex, with single underscores between
digits. Floats are decimal or hex, ``inf``, ``nan`` or ``nan:0x...``, and are
rounded once, ties to even, straight to their format (never through a double
for f32). A literal out of its type's range is malformed, as the spec says: an
integer that does not fit, a float that rounds to infinity. A float that
rounds to zero is zero.

Every bound is checked on the digits before any number is built, so
``1e999999999`` or a thousand-digit integer costs no more than its length: a
float keeps at most :data:`SIGNIFICANT_DECIMALS` (or
:data:`SIGNIFICANT_HEX_DIGITS`) digits and a sticky digit for the rest,
enough that no rounding boundary of f32 or f64 is lost.
"""

from __future__ import annotations

import re
from fractions import Fraction

from ..model.floats import Format

_NUM = r"[0-9](?:_?[0-9])*"
_HEXNUM = r"[0-9a-fA-F](?:_?[0-9a-fA-F])*"
_INTEGER = re.compile(rf"([+-]?)(?:0x({_HEXNUM})|({_NUM}))", re.ASCII)
_DECIMAL_FLOAT = re.compile(rf"({_NUM})(?:\.({_NUM})?)?(?:[eE]([+-]?{_NUM}))?", re.ASCII)
_HEX_FLOAT = re.compile(rf"0x({_HEXNUM})(?:\.({_HEXNUM})?)?(?:[pP]([+-]?{_NUM}))?", re.ASCII)
_NAN_PAYLOAD = re.compile(rf"nan:0x({_HEXNUM})", re.ASCII)

#: decimal digits kept of a float literal: f64's rounding boundaries have at most 769 significant digits
SIGNIFICANT_DECIMALS = 800
#: hex digits kept of a float literal: 1,200 bits reach below f64's smallest boundary (2^-1075) from any
#: value that does not round to zero
SIGNIFICANT_HEX_DIGITS = 300
#: a decimal exponent with more digits than this is beyond every range (it saturates)
_EXPONENT_DIGITS = 15


class LiteralError(ValueError):
    """A literal that is malformed or out of its type's range (the message says which)."""


def shown(text: str, limit: int = 40) -> str:
    """A literal quoted for a message, its middle left out when it is long.

    >>> shown("1" * 100, 10)
    "'11111...11111' (100 characters)"
    """
    if len(text) <= limit:
        return repr(text)
    half = limit // 2
    return f"'{text[:half]}...{text[-half:]}' ({len(text)} characters)"


def parse_integer(text: str, bits: int) -> int:
    """An N-bit integer literal as its unsigned bit pattern.

    >>> hex(parse_integer("-1", 32)), hex(parse_integer("0xffff_ffff", 32))
    ('0xffffffff', '0xffffffff')
    >>> parse_integer("+0xffff_ffff", 32)
    Traceback (most recent call last):
    harness.wast.literals.LiteralError: constant out of range: '+0xffff_ffff' does not fit i32
    """
    match = _INTEGER.fullmatch(text)
    if not match:
        raise LiteralError(f"malformed integer {shown(text)}")
    sign, hex_digits, decimal_digits = match.groups()
    digits = (hex_digits if hex_digits is not None else decimal_digits).replace("_", "").lstrip("0") or "0"
    longest = bits // 4 if hex_digits is not None else len(str(1 << bits))
    if len(digits) > longest:  # out of range, said before a big number is built
        raise LiteralError(f"constant out of range: {shown(text)} does not fit i{bits}")
    magnitude = int(digits, 16 if hex_digits is not None else 10)
    # unsigned: below 2^N; with a sign: -2^(N-1) .. 2^(N-1)-1
    limit = 1 << bits if not sign else (1 << (bits - 1)) + (sign == "-")
    if magnitude >= limit:
        raise LiteralError(f"constant out of range: {shown(text)} does not fit i{bits}")
    return (-magnitude if sign == "-" else magnitude) % (1 << bits)


def parse_float(text: str, fmt: Format) -> int:
    """A float literal as the format's bit pattern, rounded once, ties to even.

    >>> from harness.model.floats import F32
    >>> hex(parse_float("0x1p-1", F32)), hex(parse_float("-nan:0x1", F32)), parse_float("1e-999999999", F32)
    ('0x3f000000', '0xff800001', 0)
    >>> parse_float("1e999999999", F32)
    Traceback (most recent call last):
    harness.wast.literals.LiteralError: constant out of range: '1e999999999' rounds to infinity in f32
    """
    sign = fmt.sign if text.startswith("-") else 0
    body = text[1:] if text[:1] in ("+", "-") else text
    if body == "inf":
        return sign | fmt.exponent_mask
    if body == "nan":
        return sign | fmt.exponent_mask | fmt.quiet
    payload = _NAN_PAYLOAD.fullmatch(body)
    if payload:
        return sign | fmt.exponent_mask | _nan_payload(payload[1], text, fmt)
    exact = _exact_value(body, text)
    bits = fmt.exponent_mask if exact is None else 0 if exact == 0 else round_to_format(exact, fmt)
    if bits == fmt.exponent_mask:
        raise LiteralError(f"constant out of range: {shown(text)} rounds to infinity in f{fmt.bits}")
    return sign | bits


def _nan_payload(digits: str, text: str, fmt: Format) -> int:
    digits = digits.replace("_", "").lstrip("0")
    if not digits or len(digits) > (fmt.mantissa_bits + 3) // 4 or not 0 < int(digits, 16) <= fmt.mantissa_mask:
        raise LiteralError(f"NaN payload out of range in {shown(text)} (1 to 0x{fmt.mantissa_mask:x})")
    return int(digits, 16)


def _exact_value(body: str, text: str) -> Fraction | None:
    """The value of a finite float literal, its digits bounded: zero when it is below every subnormal,
    ``None`` when it is above every format's range."""
    hex_match = _HEX_FLOAT.fullmatch(body)
    match = hex_match or _DECIMAL_FLOAT.fullmatch(body)
    if not match:
        raise LiteralError(f"malformed float {shown(text)}")
    whole, fraction, exponent_text = match[1].replace("_", ""), (match[2] or "").replace("_", ""), match[3]
    exponent = _saturated_exponent(exponent_text)
    if hex_match:
        return _scaled(whole, fraction, exponent, base=16)
    return _scaled(whole, fraction, exponent, base=10)


def _saturated_exponent(text: str | None) -> int:
    """An exponent's value, or +-10^15 when it has more digits than any range could use."""
    if text is None:
        return 0
    negative = text.startswith("-")
    digits = text.lstrip("+-").replace("_", "").lstrip("0") or "0"
    magnitude = int(digits) if len(digits) <= _EXPONENT_DIGITS else 10 ** _EXPONENT_DIGITS
    return -magnitude if negative else magnitude


def _scaled(whole: str, fraction: str, exponent: int, *, base: int) -> Fraction | None:
    """``whole.fraction`` times 10 (decimal) or 2 (hex) to ``exponent``, exactly, once the digits show it is
    within range (``None`` above it, zero below it).

    Decimal: ``digits * 10^power``; hex: ``digits * 2^power``, each hex digit four bits.
    """
    digits = (whole + fraction).lstrip("0")
    power = exponent - len(fraction) * (1 if base == 10 else 4)
    trimmed = digits.rstrip("0")
    power += (len(digits) - len(trimmed)) * (1 if base == 10 else 4)
    digits = trimmed
    if not digits:
        return Fraction(0)
    count = len(digits)
    if base == 10:
        lowest, highest, kept = count - 1 + power, count + power, SIGNIFICANT_DECIMALS  # log10 bounds
        too_big, too_small = lowest > 308, highest < -400  # >= 10^309 > f64's max; < 10^-400, rounds to 0
    else:
        lowest, highest, kept = 4 * (count - 1) + power, 4 * count + power, SIGNIFICANT_HEX_DIGITS  # log2
        too_big, too_small = lowest >= 1024, highest < -1080
    if too_big:
        return None
    if too_small:
        return Fraction(0)
    if count > kept:  # the rest is not zero (trailing zeros are gone): a sticky 1 stands for it
        digits = digits[:kept] + "1"
        power += (count - kept - 1) * (1 if base == 10 else 4)
    radix = 10 if base == 10 else 2
    value = Fraction(int(digits, base))
    return value * radix ** power if power >= 0 else value / radix ** -power


def round_to_format(value: Fraction, fmt: Format) -> int:
    """The bits of a non-negative exact value in ``fmt``, round to nearest, ties to even (infinity when it
    overflows)."""
    if value == 0:
        return 0
    mantissa_bits = fmt.mantissa_bits
    bias = (1 << (fmt.bits - 2 - mantissa_bits)) - 1
    exponent = value.numerator.bit_length() - value.denominator.bit_length()
    if Fraction(2) ** exponent > value:
        exponent -= 1
    exponent = max(exponent, 1 - bias)  # subnormals share the smallest exponent
    scaled = value / Fraction(2) ** (exponent - mantissa_bits)
    quotient, remainder = divmod(scaled.numerator, scaled.denominator)
    twice = 2 * remainder
    if twice > scaled.denominator or (twice == scaled.denominator and quotient & 1):
        quotient += 1
    if quotient >> (mantissa_bits + 1):
        quotient >>= 1
        exponent += 1
    if exponent > bias:
        return fmt.exponent_mask  # overflow: infinity
    if quotient >> mantissa_bits == 0:
        return quotient  # subnormal
    return ((exponent + bias) << mantissa_bits) | (quotient & fmt.mantissa_mask)
