"""Translate Bots Long Poll `message_new` and `message_event` objects into neutral dialog inputs."""

from __future__ import annotations

import json
from typing import Any

from handlers.callbacks import verify
from handlers.types import Command, Input, Location, Peer, PhotoRef, Photos, Press, Text, Unsupported

CHANNEL = "vk"
MAX_TEXT = 10_000
CHAT_PEER_BASE = 2_000_000_000
IMAGE_EXT = {"jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png", "webp": "image/webp"}
KINDS = {"sticker": "sticker", "audio_message": "voice", "audio": "audio", "video": "video", "wall": "wall",
         "wall_reply": "wall", "link": "link", "doc": "document", "poll": "poll"}
PAYLOAD_KEY = "b"  # our buttons carry {"b": "<signed payload>"}


def is_private(peer_id: int, from_id: int | None = None) -> bool:
    """A one-to-one dialog with a person (not a group chat, not another community)."""
    return 0 < peer_id < CHAT_PEER_BASE and (from_id is None or from_id == peer_id)


def button_payload(signed: str) -> str:
    return json.dumps({PAYLOAD_KEY: signed}, ensure_ascii=False, separators=(",", ":"))


def _payload(raw: Any) -> dict:
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            return {}
    return raw if isinstance(raw, dict) else {}


def _pressed(key: bytes, peer_id: int, payload: dict) -> Input:
    signed = payload.get(PAYLOAD_KEY)
    verified = verify(key, CHANNEL, peer_id, signed) if isinstance(signed, str) else None
    return Press(verified) if verified else Unsupported("forged")


def _largest(photo: dict) -> str | None:
    sizes = [s for s in [*photo.get("sizes", []), photo.get("orig_photo") or {}] if s.get("url")]
    return max(sizes, key=lambda s: s.get("width", 0) * s.get("height", 0))["url"] if sizes else None


def _image_refs(attachments: list[dict]) -> list[PhotoRef]:
    refs = []
    for item in attachments:
        body = item.get(item.get("type", ""), {})
        if item.get("type") == "photo" and (url := _largest(body)):
            refs.append(PhotoRef(CHANNEL, url))
        elif item.get("type") == "doc" and (mime := IMAGE_EXT.get(str(body.get("ext", "")).lower())):
            refs.append(PhotoRef(CHANNEL, body.get("url", ""), mime))
    return refs


def _location(geo: Any) -> Input:
    coords = geo.get("coordinates") if isinstance(geo, dict) else None
    try:
        return Location(float(coords["latitude"]), float(coords["longitude"]))  # type: ignore[index]
    except (TypeError, KeyError, ValueError):
        return Unsupported("other")


def message_input(message: dict, key: bytes) -> Input:
    """A private message: a pressed text button, the start button, photos, a place, text or a command."""
    peer_id = message["peer_id"]
    payload = _payload(message.get("payload"))
    if PAYLOAD_KEY in payload:
        return _pressed(key, peer_id, payload)
    if payload.get("command") == "start":  # VK's «Начать» button of a new conversation
        return Command("start")
    attachments = message.get("attachments") or []
    text = (message.get("text") or "")[:MAX_TEXT]
    if refs := _image_refs(attachments):
        return Photos(tuple(refs))
    if geo := message.get("geo"):
        return _location(geo)
    others = [a.get("type", "") for a in attachments if not (text and a.get("type") == "link")]
    if others:
        return Unsupported(KINDS.get(others[0], "other"))
    if text.startswith("/") and len(text) > 1:
        name, _, args = text[1:].partition(" ")
        return Command(name.lower(), args.strip())
    return Text(text) if text else Unsupported("other")


def event_input(event: dict, key: bytes) -> Input:
    """A callback-button press (`message_event`)."""
    return _pressed(key, event["peer_id"], _payload(event.get("payload")))


def peer_of(peer_id: int, names: dict[int, str]) -> Peer:
    return Peer(CHANNEL, peer_id, names.get(peer_id) or None)
