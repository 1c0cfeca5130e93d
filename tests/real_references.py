"""Python implementations the real modules' expectations are computed with, independently of linmem.

Hashes the standard library lacks (xxHash), the LZ4 block format and the
zstd frame format, written from their specifications; ``tests/test_real_modules.py``
uses them (and ``hashlib``, ``zlib``) to recompute every ``expect`` of
``tests/scenarios/real``. Nothing here runs WebAssembly.
"""

from __future__ import annotations

import struct

MASK32 = 0xFFFFFFFF
MASK64 = 0xFFFFFFFFFFFFFFFF

_P32 = (0x9E3779B1, 0x85EBCA77, 0xC2B2AE3D, 0x27D4EB2F, 0x165667B1)
_P64 = (0x9E3779B185EBCA87, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0x85EBCA77C2B2AE63, 0x27D4EB2F165667C5)


def _rotl(value: int, count: int, bits: int) -> int:
    mask = (1 << bits) - 1
    return ((value << count) | (value >> (bits - count))) & mask


def xxh32(data: bytes, seed: int = 0) -> int:
    """XXH32 as its specification (xxhash_spec.md) defines it.

    >>> hex(xxh32(b""))
    '0x2cc5d05'
    """
    p1, p2, p3, p4, p5 = _P32
    length, offset = len(data), 0

    def round_(acc: int, lane: int) -> int:
        return (_rotl((acc + lane * p2) & MASK32, 13, 32) * p1) & MASK32

    if length >= 16:
        accs = [(seed + p1 + p2) & MASK32, (seed + p2) & MASK32, seed & MASK32, (seed - p1) & MASK32]
        while offset + 16 <= length:
            lanes = struct.unpack_from("<4I", data, offset)
            accs = [round_(acc, lane) for acc, lane in zip(accs, lanes)]
            offset += 16
        acc = (_rotl(accs[0], 1, 32) + _rotl(accs[1], 7, 32) + _rotl(accs[2], 12, 32) + _rotl(accs[3], 18, 32)) & MASK32
    else:
        acc = (seed + p5) & MASK32
    acc = (acc + length) & MASK32
    while offset + 4 <= length:
        acc = (_rotl((acc + struct.unpack_from("<I", data, offset)[0] * p3) & MASK32, 17, 32) * p4) & MASK32
        offset += 4
    for byte in data[offset:]:
        acc = (_rotl((acc + byte * p5) & MASK32, 11, 32) * p1) & MASK32
    acc = ((acc ^ (acc >> 15)) * p2) & MASK32
    acc = ((acc ^ (acc >> 13)) * p3) & MASK32
    return acc ^ (acc >> 16)


def xxh64(data: bytes, seed: int = 0) -> int:
    """XXH64 as its specification defines it.

    >>> hex(xxh64(b""))
    '0xef46db3751d8e999'
    """
    p1, p2, p3, p4, p5 = _P64
    length, offset = len(data), 0

    def round_(acc: int, lane: int) -> int:
        return (_rotl((acc + lane * p2) & MASK64, 31, 64) * p1) & MASK64

    def merge(acc: int, lane_acc: int) -> int:
        return (((acc ^ round_(0, lane_acc)) * p1) + p4) & MASK64

    if length >= 32:
        accs = [(seed + p1 + p2) & MASK64, (seed + p2) & MASK64, seed & MASK64, (seed - p1) & MASK64]
        while offset + 32 <= length:
            lanes = struct.unpack_from("<4Q", data, offset)
            accs = [round_(acc, lane) for acc, lane in zip(accs, lanes)]
            offset += 32
        acc = (_rotl(accs[0], 1, 64) + _rotl(accs[1], 7, 64) + _rotl(accs[2], 12, 64) + _rotl(accs[3], 18, 64)) & MASK64
        for lane_acc in accs:
            acc = merge(acc, lane_acc)
    else:
        acc = (seed + p5) & MASK64
    acc = (acc + length) & MASK64
    while offset + 8 <= length:
        acc ^= round_(0, struct.unpack_from("<Q", data, offset)[0])
        acc = (_rotl(acc, 27, 64) * p1 + p4) & MASK64
        offset += 8
    if offset + 4 <= length:
        acc ^= (struct.unpack_from("<I", data, offset)[0] * p1) & MASK64
        acc = (_rotl(acc, 23, 64) * p2 + p3) & MASK64
        offset += 4
    for byte in data[offset:]:
        acc ^= (byte * p5) & MASK64
        acc = (_rotl(acc, 11, 64) * p1) & MASK64
    acc = ((acc ^ (acc >> 33)) * p2) & MASK64
    acc = ((acc ^ (acc >> 29)) * p3) & MASK64
    return acc ^ (acc >> 32)


def signed32(value: int) -> int:
    """An i32 result as JavaScript sees it (a signed number)."""
    return value - (1 << 32) if value & 0x80000000 else value


# --- LZ4 block format (lz4_Block_format.md), with lz4_flex's 4-byte little-endian size prepended ---

_MIN_MATCH = 4
_LAST_LITERALS = 5   # the last five bytes are always literals
_MF_LIMIT = 12       # no match starts within the last twelve bytes


def _lz4_length(extra: int) -> bytes:
    out = bytearray()
    while extra >= 255:
        out.append(255)
        extra -= 255
    out.append(extra)
    return bytes(out)


def _lz4_sequence(literals: bytes, match_length: int | None, distance: int = 0) -> bytes:
    token_literals = min(len(literals), 15)
    token_match = 0 if match_length is None else min(match_length - _MIN_MATCH, 15)
    out = bytearray([token_literals << 4 | token_match])
    if len(literals) >= 15:
        out += _lz4_length(len(literals) - 15)
    out += literals
    if match_length is not None:
        out += struct.pack("<H", distance)
        if match_length - _MIN_MATCH >= 15:
            out += _lz4_length(match_length - _MIN_MATCH - 15)
    return bytes(out)


def lz4_compress(data: bytes) -> bytes:
    """A greedy LZ4 block compressor (any valid block decodes the same), size-prepended as lz4_flex expects."""
    out = bytearray(struct.pack("<I", len(data)))
    last_seen: dict[bytes, int] = {}
    anchor = position = 0
    while position + _MF_LIMIT < len(data):
        key = data[position:position + _MIN_MATCH]
        candidate = last_seen.get(key)
        last_seen[key] = position
        if candidate is None or position - candidate > 0xFFFF:
            position += 1
            continue
        length = _MIN_MATCH
        while position + length < len(data) - _LAST_LITERALS and data[candidate + length] == data[position + length]:
            length += 1
        out += _lz4_sequence(data[anchor:position], length, position - candidate)
        position += length
        anchor = position
    out += _lz4_sequence(data[anchor:], None)
    return bytes(out)


def lz4_decompress(block: bytes) -> bytes:
    """Decode a size-prepended LZ4 block; raises ``ValueError`` on a malformed one."""
    (size,) = struct.unpack_from("<I", block)
    out = bytearray()
    position = 4

    def length(nibble: int) -> int:
        nonlocal position
        if nibble == 15:
            while True:
                byte = block[position]
                position += 1
                nibble += byte
                if byte != 255:
                    break
        return nibble

    while position < len(block):
        token = block[position]
        position += 1
        literal_count = length(token >> 4)
        out += block[position:position + literal_count]
        position += literal_count
        if position >= len(block):
            break
        distance = struct.unpack_from("<H", block, position)[0]
        position += 2
        match_length = length(token & 15) + _MIN_MATCH
        if not 0 < distance <= len(out):
            raise ValueError("match distance outside the output")
        for _ in range(match_length):  # byte by byte: a match may overlap what it copies
            out.append(out[-distance])
    if len(out) != size:
        raise ValueError(f"block decodes to {len(out)} bytes, not the {size} its prefix says")
    return bytes(out)


# --- zstd frames (RFC 8878) made of raw and RLE blocks ---

ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"


def zstd_frame(blocks: list[tuple[str, bytes]]) -> bytes:
    """A single-segment zstd frame of ``("raw", bytes)`` and ``("rle", byte * n)`` blocks, with its checksum."""
    content = b"".join(data for _, data in blocks)
    if len(content) < 256:
        header = bytes([0b0010_0100]) + bytes([len(content)])        # FCS 1 byte, single segment, checksum
    elif len(content) < 65536 + 256:
        header = bytes([0b0110_0100]) + struct.pack("<H", len(content) - 256)  # FCS 2 bytes
    else:
        raise ValueError("content too large for this builder")
    out = bytearray(ZSTD_MAGIC + header)
    for index, (kind, data) in enumerate(blocks):
        last = index == len(blocks) - 1
        block_type = {"raw": 0, "rle": 1}[kind]
        out += (len(data) << 3 | block_type << 1 | last).to_bytes(3, "little")
        out += data if kind == "raw" else data[:1]
    out += struct.pack("<I", xxh64(content) & MASK32)
    return bytes(out)


def zstd_frame_content(frame: bytes) -> bytes:
    """What a frame made by :func:`zstd_frame` decodes to (its checksum verified)."""
    if not frame.startswith(ZSTD_MAGIC):
        raise ValueError("not a zstd frame")
    descriptor = frame[4]
    position = 6 if descriptor >> 6 == 0 else 7
    content = bytearray()
    while True:
        header = int.from_bytes(frame[position:position + 3], "little")
        position += 3
        size, block_type = header >> 3, (header >> 1) & 3
        if block_type == 0:
            content += frame[position:position + size]
            position += size
        elif block_type == 1:
            content += frame[position:position + 1] * size
            position += 1
        else:
            raise ValueError("only raw and RLE blocks are read here")
        if header & 1:
            break
    if struct.unpack_from("<I", frame, position)[0] != xxh64(bytes(content)) & MASK32:
        raise ValueError("checksum mismatch")
    return bytes(content)


def utf16_index(text: str, index: int) -> int:
    """The UTF-16 code-unit offset of ``text[index]`` (what a JavaScript string index is)."""
    return len(text[:index].encode("utf-16-le")) // 2
