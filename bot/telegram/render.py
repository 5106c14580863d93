"""Neutral replies → Telegram messages: photos first, then HTML text with a keyboard."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from aiogram import Bot
from aiogram.exceptions import TelegramRetryAfter
from aiogram.types import (
    BufferedInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaPhoto,
    KeyboardButton,
    ReplyKeyboardMarkup,
)

from bot.photo_cache import load_photos, remember
from handlers.callbacks import sign
from handlers.context import Services
from handlers.textsplit import split_text
from handlers.types import Say

T = TypeVar("T")
CHANNEL = "telegram"
TEXT_LIMIT = 4096
SHARE_LOCATION = "📍 Отправить геопозицию"


def keyboard(reply: Say, key: bytes, chat_id: int) -> InlineKeyboardMarkup | ReplyKeyboardMarkup | None:
    if reply.ask_location:
        rows = [[KeyboardButton(text=SHARE_LOCATION, request_location=True)]]
        rows += [[KeyboardButton(text=b.label) for b in row] for row in reply.buttons]
        return ReplyKeyboardMarkup(keyboard=rows, resize_keyboard=True, one_time_keyboard=True)
    if not reply.buttons:
        return None
    return InlineKeyboardMarkup(inline_keyboard=[
        [InlineKeyboardButton(text=b.label, callback_data=sign(key, CHANNEL, chat_id, b.payload)) for b in row]
        for row in reply.buttons
    ])


class TelegramRenderer:
    """Sends one reply as several calls; a 429 in the middle waits and continues from that call, so the
    parts already delivered (say, the photos before the text) are never sent twice."""

    max_inline_waits = 3
    max_inline_wait = 30.0

    def __init__(self, bot: Bot, services: Services) -> None:
        self.bot = bot
        self.services = services

    async def _call(self, method: Callable[[], Awaitable[T]]) -> T:
        for attempt in range(self.max_inline_waits + 1):
            try:
                return await method()
            except TelegramRetryAfter as exc:
                if attempt == self.max_inline_waits or exc.retry_after > self.max_inline_wait:
                    raise
                await asyncio.sleep(exc.retry_after)
        raise AssertionError("unreachable")

    async def send(self, chat_id: int, replies: Sequence[Say]) -> None:
        for reply in replies:
            if reply.photos:
                await self._photos(chat_id, reply.photos)
            markup = keyboard(reply, self.services.signing_key, chat_id)
            pieces = split_text(reply.text, TEXT_LIMIT)
            for i, piece in enumerate(pieces):
                last = i == len(pieces) - 1
                await self._call(lambda p=piece, m=(markup if last else None): self.bot.send_message(
                    chat_id, p, parse_mode="HTML", reply_markup=m))

    async def _photos(self, chat_id: int, photo_ids: Sequence[int]) -> None:
        photos = await load_photos(self.services, photo_ids)
        uploaded: dict[int, str] = {}
        for start in range(0, len(photos), 10):
            chunk = photos[start:start + 10]
            media = [await self._media(p) for p in chunk]
            if len(chunk) == 1:
                sent = [await self._call(lambda m=media[0].media: self.bot.send_photo(chat_id, m))]
            else:
                sent = await self._call(lambda m=media: self.bot.send_media_group(chat_id, m))
            for photo, message in zip(chunk, sent, strict=False):
                if message.photo and CHANNEL not in (photo.channel_ids or {}):
                    uploaded[photo.id] = message.photo[-1].file_id
        await remember(self.services, CHANNEL, uploaded)

    async def _media(self, photo) -> InputMediaPhoto:  # type: ignore[no-untyped-def]
        cached = (photo.channel_ids or {}).get(CHANNEL)
        if cached:
            return InputMediaPhoto(media=cached)
        data = await self.services.media.get(photo.media_key)
        return InputMediaPhoto(media=BufferedInputFile(data, filename=f"{photo.sha256[:12]}.jpg"))
