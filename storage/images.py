"""Make an incoming image safe to store: decode, drop EXIF (GPS included), downscale, re-encode."""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP"}
MAX_INPUT_BYTES = 20 * 1024 * 1024
MAX_PIXELS = 50_000_000


class BadImage(Exception):
    """Not an image we accept (unknown format, corrupt, too large)."""


@dataclass(frozen=True)
class CleanImage:
    data: bytes
    width: int
    height: int


def sanitize(raw: bytes, *, max_side: int = 2560, quality: int = 85) -> CleanImage:
    """Re-encode `raw` as a metadata-free JPEG no larger than max_side on its longer side.

    Orientation from EXIF is applied to the pixels first, so dropping EXIF does not rotate photos.
    """
    if len(raw) > MAX_INPUT_BYTES:
        raise BadImage("image larger than 20 MB")
    try:
        with Image.open(io.BytesIO(raw)) as probe:
            if probe.format not in ACCEPTED_FORMATS:
                raise BadImage(f"format {probe.format} is not accepted")
            if probe.width * probe.height > MAX_PIXELS:
                raise BadImage("image has too many pixels")
            probe.load()
            img = ImageOps.exif_transpose(probe)
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
        raise BadImage(str(exc)) from exc
    if img.mode in ("RGBA", "LA", "P"):
        img = img.convert("RGBA")
        background = Image.new("RGB", img.size, (255, 255, 255))
        background.paste(img, mask=img.split()[-1])
        img = background
    elif img.mode != "RGB":
        img = img.convert("RGB")
    img.thumbnail((max_side, max_side))
    out = io.BytesIO()
    # A fresh image carries no info dict: no EXIF, no XMP, no ICC comments are written.
    clean = Image.new("RGB", img.size)
    clean.paste(img)
    clean.save(out, format="JPEG", quality=quality, optimize=True)
    return CleanImage(out.getvalue(), clean.width, clean.height)
