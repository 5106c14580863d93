"""Make an incoming image safe to store: no EXIF (GPS included) or other metadata, bounded size.

A JPEG that needs neither rotating nor downscaling keeps its compressed data: its metadata segments are
cut out losslessly (storage/jpeg.py) and the result is decoded once (at 1/8 scale, which still reads every
byte of the image data) to prove it is a valid image — about a tenth of a full decode and re-encode, and
without a second round of JPEG loss. Everything else is decoded, rotated by its EXIF orientation,
downscaled and re-encoded."""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from storage.jpeg import strip_metadata

ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP"}
MAX_INPUT_BYTES = 20 * 1024 * 1024
MAX_PIXELS = 50_000_000
ORIENTATION = 0x0112


class BadImage(Exception):
    """Not an image we accept (unknown format, corrupt, too large)."""


@dataclass(frozen=True)
class CleanImage:
    data: bytes
    width: int
    height: int


def _keeps_pixels(probe: Image.Image, max_side: int) -> bool:
    """A baseline colour or grey JPEG, upright and small enough: nothing to change but the metadata."""
    return (probe.format == "JPEG" and probe.mode in ("RGB", "L") and max(probe.size) <= max_side
            and probe.getexif().get(ORIENTATION, 1) == 1)


def _stripped(raw: bytes) -> bytes | None:
    clean = strip_metadata(raw)
    if clean is None:
        return None
    try:
        with Image.open(io.BytesIO(clean)) as check:
            check.draft(check.mode, (max(1, check.width // 8), max(1, check.height // 8)))
            check.load()
    except (OSError, ValueError, Image.DecompressionBombError):
        return None  # not cleanly decodable: the full path decides (and rejects it if it must)
    return clean


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
            if _keeps_pixels(probe, max_side) and (clean := _stripped(raw)) is not None:
                return CleanImage(clean, probe.width, probe.height)
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
