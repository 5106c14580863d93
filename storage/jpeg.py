"""Lossless JPEG metadata removal: the compressed image data is kept, every metadata segment is dropped."""

from __future__ import annotations

SOI, EOI, SOS = 0xD8, 0xD9, 0xDA
APP0, APP14, COM = 0xE0, 0xEE, 0xFE
STANDALONE = {0x01, *range(0xD0, 0xD8)}  # TEM and RST0..RST7 carry no length


def _jfif(payload: bytes) -> bytes | None:
    """A minimal JFIF APP0 (version and pixel density kept, any embedded thumbnail dropped)."""
    if len(payload) < 14 or payload[:5] != b"JFIF\x00":
        return None
    body = payload[:12] + b"\x00\x00"
    return b"\xff\xe0" + (len(body) + 2).to_bytes(2, "big") + body


def _scan_end(data: bytes, start: int) -> int:
    """Index of the marker that ends the entropy-coded data starting at `start`, or -1."""
    j = start
    while True:
        j = data.find(b"\xff", j)
        if j < 0 or j + 1 >= len(data):
            return -1
        following = data[j + 1]
        if following == 0x00 or 0xD0 <= following <= 0xD7:
            j += 2  # a stuffed 0xFF byte or a restart marker: still image data
        elif following == 0xFF:
            j += 1  # fill byte before a marker
        else:
            return j


def strip_metadata(data: bytes) -> bytes | None:
    """The JPEG without APP1–APP15 (EXIF, XMP, ICC, IPTC, maker notes…) except Adobe's colour-transform
    flags, without comments, without a JFIF thumbnail and without anything after the end of the image.
    None when the stream is not a well-formed JPEG (the caller then re-encodes or rejects it)."""
    if data[:2] != b"\xff\xd8":
        return None
    out, i, n = [b"\xff\xd8"], 2, len(data)
    while i < n:
        if data[i] != 0xFF:
            return None
        while i < n and data[i] == 0xFF:
            i += 1
        if i >= n:
            return None
        marker = data[i]
        i += 1
        if marker == EOI:
            out.append(b"\xff\xd9")
            return b"".join(out)
        if marker in STANDALONE:
            out.append(bytes((0xFF, marker)))
            continue
        if i + 2 > n:
            return None
        length = int.from_bytes(data[i:i + 2], "big")
        if length < 2 or i + length > n:
            return None
        payload = data[i + 2:i + length]
        if marker == APP0:
            jfif = _jfif(payload)
            if jfif is not None and len(out) == 1:
                out.append(jfif)
        elif marker == APP14 and payload[:5] == b"Adobe":
            out.append(data[i - 2:i + length])  # colour transform flags only: needed to decode, not personal
        elif not (0xE0 <= marker <= 0xEF or marker == COM):
            out.append(data[i - 2:i + length])
        i += length
        if marker == SOS:
            end = _scan_end(data, i)
            if end < 0:
                return None
            out.append(data[i:end])
            i = end
    return None
