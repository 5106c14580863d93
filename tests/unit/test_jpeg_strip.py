"""Lossless metadata removal: no EXIF/XMP/ICC/comments/trailers left, the image data byte for byte the same."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from storage.images import BadImage, sanitize
from storage.jpeg import strip_metadata
from tests.images import jpeg_with_gps


def segments(data: bytes) -> list[int]:
    """Markers of a JPEG's header segments, up to the first scan."""
    found, i = [], 2
    while i < len(data) and data[i] == 0xFF:
        marker = data[i + 1]
        found.append(marker)
        if marker == 0xDA:
            break
        i += 2 + int.from_bytes(data[i + 2:i + 4], "big")
    return found


def with_extras(raw: bytes) -> bytes:
    """Add an XMP segment, a comment, an ICC segment and trailing bytes after the end of the image."""
    app1_xmp = b"\xff\xe1" + (len(b"http://ns.adobe.com/xap/1.0/\x00<x:gps>61.6,50.8</x:gps>") + 2).to_bytes(2, "big") \
        + b"http://ns.adobe.com/xap/1.0/\x00<x:gps>61.6,50.8</x:gps>"
    com = b"\xff\xfe" + (len(b"Ivan's phone") + 2).to_bytes(2, "big") + b"Ivan's phone"
    icc = b"\xff\xe2" + (len(b"ICC_PROFILE\x00\x01\x01secret-device") + 2).to_bytes(2, "big") \
        + b"ICC_PROFILE\x00\x01\x01secret-device"
    return raw[:2] + app1_xmp + com + icc + raw[2:] + b"TRAILER-with-a-second-image"


def test_strip_removes_every_metadata_segment_and_keeps_the_pixels():
    raw = with_extras(jpeg_with_gps(size=(320, 240)))
    clean = strip_metadata(raw)
    assert clean is not None and clean.endswith(b"\xff\xd9")
    assert not ({0xE1, 0xE2, 0xFE} & set(segments(clean)))
    for secret in (b"PhoneMaker", b"61.6", b"Ivan", b"secret-device", b"TRAILER"):
        assert secret not in clean
    with Image.open(io.BytesIO(raw)) as a, Image.open(io.BytesIO(clean)) as b:
        assert a.tobytes() == b.tobytes()  # lossless: the same decoded pixels
        assert not b.getexif()


def test_sanitize_takes_the_lossless_path_for_upright_jpegs():
    raw = jpeg_with_gps(size=(640, 480))
    clean = sanitize(raw, max_side=1280)
    assert (clean.width, clean.height) == (640, 480)
    assert b"PhoneMaker" not in clean.data and clean.data == strip_metadata(raw)


def test_rotated_or_large_jpegs_are_re_encoded_upright():
    img = Image.new("RGB", (60, 40), (10, 200, 10))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    out = io.BytesIO()
    img.save(out, format="JPEG", exif=exif)
    clean = sanitize(out.getvalue())
    assert (clean.width, clean.height) == (40, 60)
    assert sanitize(jpeg_with_gps(size=(3000, 1000)), max_side=1000).width == 1000


def test_broken_jpegs_are_not_stored():
    raw = jpeg_with_gps(size=(320, 240))
    assert strip_metadata(raw[:len(raw) // 2]) is None  # cut in the middle of the image data
    assert strip_metadata(b"\xff\xd8\xff\xe1\xff\xff") is None  # a segment longer than the file
    with pytest.raises(BadImage):
        sanitize(raw[:len(raw) // 2])
