"""Turn a request from the chat page into a stored payload, and a stored payload into a neutral Input."""

from __future__ import annotations

import math
from typing import Any

from handlers.callbacks import verify
from handlers.types import Command, Input, Location, PhotoRef, Photos, Press, Text, Unsupported

CHANNEL = "web"
MAX_TEXT = 10_000  # longer texts are cut before they are stored, as on the other channels
MAX_PRESS = 200


class BadRequest(ValueError):
    """The page sent something that is not a message at all (answered with HTTP 400)."""


def normalize(body: Any) -> dict[str, Any]:
    """The part of a POSTed JSON message worth storing: kind and its few fields, nothing else."""
    if not isinstance(body, dict):
        raise BadRequest("expected a JSON object")
    kind = body.get("kind")
    if kind == "text" and isinstance(body.get("text"), str):
        text = body["text"][:MAX_TEXT]
        if not text.strip():
            raise BadRequest("empty text")
        return {"kind": "text", "text": text}
    if kind == "press" and isinstance(body.get("data"), str):
        label = body.get("label") if isinstance(body.get("label"), str) else ""
        return {"kind": "press", "data": body["data"][:MAX_PRESS], "label": label[:64]}
    if kind == "location":
        lat, lon = body.get("lat"), body.get("lon")
        if not all(isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in (lat, lon)):
            raise BadRequest("expected numeric lat and lon")
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise BadRequest("lat/lon out of range")
        return {"kind": "location", "lat": float(lat), "lon": float(lon)}
    raise BadRequest("unknown message kind")


def to_input(payload: dict[str, Any], key: bytes, peer_id: int) -> Input:
    kind = payload.get("kind")
    if kind == "text":
        text = payload["text"]
        if text.startswith("/") and len(text) > 1:
            head, _, args = text[1:].partition(" ")
            return Command(head.lower(), args.strip())
        return Text(text)
    if kind == "press":
        verified = verify(key, CHANNEL, peer_id, payload["data"])
        return Press(verified) if verified else Unsupported("forged")
    if kind == "location":
        return Location(payload["lat"], payload["lon"])
    if kind == "photos":
        files = payload.get("files", [])
        if not files or all(f["ref"] == "bad:type" for f in files):
            return Unsupported("document")  # as a non-image file on Telegram or VK
        return Photos(tuple(PhotoRef(CHANNEL, f["ref"], f.get("mime", "")) for f in files))
    return Unsupported("other")


def echo(payload: dict[str, Any]) -> dict[str, Any]:
    """What the transcript shows of the resident's own message (never the upload refs)."""
    kind = payload["kind"]
    if kind == "text":
        return {"kind": "text", "text": payload["text"]}
    if kind == "location":
        return {"kind": "location", "lat": payload["lat"], "lon": payload["lon"]}
    if kind == "photos":
        return {"kind": "photos", "count": len(payload.get("files", []))}
    return {"kind": "press", "label": payload.get("label", "")[:64]}
