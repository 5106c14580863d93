"""Callback signing, text splitting, image sanitising, the media store."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from handlers.callbacks import sign, verify
from handlers.textsplit import split_text
from storage.images import BadImage, sanitize
from storage.media import LocalMediaStore
from tests.images import jpeg_with_gps, png

KEY = b"k"


def test_signed_payload_round_trip_and_forgery():
    data = sign(KEY, "telegram", 1, "acc:15")
    assert len(data.encode()) <= 64
    assert verify(KEY, "telegram", 1, data) == "acc:15"
    assert verify(KEY, "telegram", 2, data) is None  # replayed by another person
    assert verify(KEY, "telegram", 1, data.replace("acc:15", "acc:16")) is None  # edited id
    assert verify(KEY, "telegram", 1, "acc:15") is None
    with pytest.raises(ValueError):
        sign(KEY, "telegram", 1, "x" * 60)


def test_split_prefers_paragraphs_and_keeps_tags_whole():
    text = "<b>Заголовок</b>\n\n" + ("Предложение номер один. " * 40 + "\n\n") * 5
    parts = split_text(text, 1000)
    assert all(len(p) <= 1000 for p in parts)
    assert "".join(parts).replace("\n", "").replace(" ", "") == text.replace("\n", "").replace(" ", "")
    assert parts[0].startswith("<b>Заголовок</b>")
    assert all(p.endswith(".") or p.endswith("</b>") for p in parts)


def test_split_never_cuts_an_entity():
    text = "&amp;" * 500
    for part in split_text(text, 333):
        assert part.count("&") == part.count(";")


def test_sanitize_strips_exif_and_caps_size():
    clean = sanitize(jpeg_with_gps(size=(3000, 1000)), max_side=1000)
    with Image.open(io.BytesIO(clean.data)) as img:
        assert img.format == "JPEG" and max(img.size) == 1000 and not img.getexif()
    assert (clean.width, clean.height) == (1000, 333)
    assert sanitize(png()).data[:2] == b"\xff\xd8"
    with pytest.raises(BadImage):
        sanitize(b"GIF89a not really")


async def test_media_store_is_content_addressed(tmp_path):
    store = LocalMediaStore(tmp_path)
    a = await store.put(b"same")
    b = await store.put(b"same")
    assert a == b and await store.get(a) == b"same"
    assert len(list(tmp_path.rglob("*.jpg"))) == 1
    with pytest.raises(ValueError):
        store.path("../etc/passwd")
