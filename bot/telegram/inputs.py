"""Translate raw Telegram updates (the Bot API's JSON) into neutral dialog inputs.

Read straight from the stored JSON, without building aiogram models: a field of an unexpected type is
treated as absent (the resident gets the polite "I cannot read this" answer), never as a crash."""

from __future__ import annotations

from typing import Any

from handlers.callbacks import verify
from handlers.types import Command, Input, Location, Peer, PhotoRef, Photos, Press, Text, Unsupported

CHANNEL = "telegram"
IMAGE_MIME = {"image/jpeg", "image/png", "image/webp"}
MAX_TEXT = 10_000  # longer texts are cut before the dialog sees them (Telegram itself caps at 4096)
OTHER_KINDS = ("sticker", "voice", "video", "video_note", "audio", "contact", "poll", "animation")


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def full_name(user: Any) -> str | None:
    """First and last name as Telegram shows them (aiogram's `full_name`)."""
    user = _dict(user)
    first, last = _str(user.get("first_name")), _str(user.get("last_name"))
    return f"{first} {last}" if first and last else first or last


class Unreadable(ValueError):
    """An update without the fields every Bot API update of its kind has: set aside, never guessed at."""


def _int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def peer_of(message: dict[str, Any]) -> Peer:
    chat = _dict(message.get("chat"))
    if not (_int(message.get("message_id")) and _int(message.get("date")) and _int(chat.get("id"))):
        raise Unreadable("a message without an integer message_id, date or chat id")
    sender = _dict(message.get("from"))
    return Peer(CHANNEL, chat["id"], full_name(sender), _str(sender.get("language_code")))


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def message_input(message: dict[str, Any]) -> Input:
    text = _str(message.get("text"))
    if text is not None:
        text = text[:MAX_TEXT]
        if text.startswith("/") and len(text) > 1:
            head, _, args = text[1:].partition(" ")
            return Command(head.split("@", 1)[0].lower(), args.strip())
        return Text(text)
    sizes = [p for p in message.get("photo") or () if isinstance(p, dict) and _str(p.get("file_id"))] \
        if isinstance(message.get("photo"), list) else []
    if sizes:
        largest = max(sizes, key=lambda p: (_number(p.get("width")) or 0) * (_number(p.get("height")) or 0))
        return Photos((PhotoRef(CHANNEL, largest["file_id"]),))
    document = message.get("document")
    if isinstance(document, dict):
        mime, file_id = (_str(document.get("mime_type")) or "").lower(), _str(document.get("file_id"))
        if mime in IMAGE_MIME and file_id:
            return Photos((PhotoRef(CHANNEL, file_id, mime),))
        return Unsupported("document")
    location = _dict(message.get("location"))
    lat, lon = _number(location.get("latitude")), _number(location.get("longitude"))
    if lat is not None and lon is not None:
        return Location(lat, lon)
    for kind in OTHER_KINDS:
        if message.get(kind) is not None:
            return Unsupported("video" if kind == "animation" else kind)
    return Unsupported("other")


def callback_input(query: dict[str, Any], key: bytes) -> tuple[Peer, Input]:
    sender = _dict(query.get("from"))
    if not (isinstance(query.get("id"), str) and _int(sender.get("id"))):
        raise Unreadable("a callback query without a string id or a sender id")
    chat_id = _dict(_dict(query.get("message")).get("chat")).get("id") or sender.get("id")
    peer = Peer(CHANNEL, chat_id, full_name(sender), _str(sender.get("language_code")))
    payload = verify(key, CHANNEL, chat_id, query.get("data") or "")
    return peer, Press(payload) if payload else Unsupported("forged")
