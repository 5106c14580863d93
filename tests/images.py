"""Test images made on the fly, including a JPEG with GPS EXIF."""

from __future__ import annotations

import io

from PIL import Image


def jpeg_with_gps(color=(200, 30, 30), size=(64, 48)) -> bytes:
    img = Image.new("RGB", size, color)
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    gps = {1: "N", 2: (61.0, 40.0, 5.0), 3: "E", 4: (50.0, 50.0, 10.0)}
    exif[0x8825] = gps
    out = io.BytesIO()
    img.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def png(color=(10, 120, 200, 255), size=(40, 40)) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", size, color).save(out, format="PNG")
    return out.getvalue()


def webp(size=(30, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (0, 200, 0)).save(out, format="WEBP")
    return out.getvalue()
