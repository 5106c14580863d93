"""Translate aiogram Messages and CallbackQueries into neutral dialog inputs."""

from __future__ import annotations

from aiogram.types import CallbackQuery, Message

from handlers.callbacks import verify
from handlers.types import Command, Input, Location, Peer, PhotoRef, Photos, Press, Text, Unsupported

CHANNEL = "telegram"
IMAGE_MIME = {"image/jpeg", "image/png", "image/webp"}
MAX_TEXT = 10_000  # longer texts are cut before the dialog sees them (Telegram itself caps at 4096)


def peer_of(message: Message) -> Peer:
    user = message.from_user
    name = user.full_name if user else None
    return Peer(CHANNEL, message.chat.id, name, user.language_code if user else None)


def message_input(message: Message) -> Input:
    if message.text is not None:
        text = message.text[:MAX_TEXT]
        if text.startswith("/") and len(text) > 1:
            head, _, args = text[1:].partition(" ")
            return Command(head.split("@", 1)[0].lower(), args.strip())
        return Text(text)
    if message.photo:
        largest = max(message.photo, key=lambda p: p.width * p.height)
        return Photos((PhotoRef(CHANNEL, largest.file_id),))
    if message.document is not None:
        if (message.document.mime_type or "").lower() in IMAGE_MIME:
            return Photos((PhotoRef(CHANNEL, message.document.file_id, message.document.mime_type or ""),))
        return Unsupported("document")
    if message.location is not None:
        return Location(message.location.latitude, message.location.longitude)
    for kind in ("sticker", "voice", "video", "video_note", "audio", "contact", "poll", "animation"):
        if getattr(message, kind, None) is not None:
            return Unsupported("video" if kind == "animation" else kind)
    return Unsupported("other")


def callback_input(query: CallbackQuery, key: bytes) -> tuple[Peer, Input]:
    chat_id = query.message.chat.id if query.message else query.from_user.id
    peer = Peer(CHANNEL, chat_id, query.from_user.full_name, query.from_user.language_code)
    payload = verify(key, CHANNEL, chat_id, query.data or "")
    return peer, Press(payload) if payload else Unsupported("forged")
