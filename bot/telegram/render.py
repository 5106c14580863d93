"""Neutral replies → Telegram messages: photos first, then HTML text with a keyboard."""

from __future__ import annotations

from collections.abc import Sequence

from aiogram import Bot
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
    def __init__(self, bot: Bot, services: Services) -> None:
        self.bot = bot
        self.services = services

    async def send(self, chat_id: int, replies: Sequence[Say]) -> None:
        for reply in replies:
            if reply.photos:
                await self._photos(chat_id, reply.photos)
            markup = keyboard(reply, self.services.signing_key, chat_id)
            pieces = split_text(reply.text, TEXT_LIMIT)
            for i, piece in enumerate(pieces):
                last = i == len(pieces) - 1
                await self.bot.send_message(chat_id, piece, parse_mode="HTML",
                                            reply_markup=markup if last else None,
                                            link_preview_options=None)

    async def _photos(self, chat_id: int, photo_ids: Sequence[int]) -> None:
        photos = await load_photos(self.services, photo_ids)
        uploaded: dict[int, str] = {}
        for start in range(0, len(photos), 10):
            chunk = photos[start:start + 10]
            media = [await self._media(p) for p in chunk]
            if len(chunk) == 1:
                sent = [await self.bot.send_photo(chat_id, media[0].media)]
            else:
                sent = await self.bot.send_media_group(chat_id, media)
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
