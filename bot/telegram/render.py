"""Neutral replies → Telegram messages: photos first, then HTML text with a keyboard, then generated files."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from aiogram import Bot
from aiogram.exceptions import TelegramRetryAfter
from aiogram.types import BufferedInputFile, InputMediaPhoto

from bot.photo_cache import load_photos, remember
from bot.telegram.api import BotApi
from handlers.callbacks import sign
from handlers.context import Services
from handlers.i18n import DEFAULT, t
from handlers.textsplit import split_text
from handlers.types import FileRef, Say

T = TypeVar("T")
CHANNEL = "telegram"
TEXT_LIMIT = 4096


def keyboard(reply: Say, key: bytes, chat_id: int) -> dict[str, Any] | None:
    """The Bot API's reply_markup object (an inline keyboard, or a reply keyboard asking for the location)."""
    if reply.ask_location:
        label = reply.location_label or t(DEFAULT, "btn-share-location")
        rows: list[list[dict[str, Any]]] = [[{"text": label, "request_location": True}]]
        rows += [[{"text": b.label} for b in row] for row in reply.buttons]
        return {"keyboard": rows, "resize_keyboard": True, "one_time_keyboard": True}
    if not reply.buttons:
        return None
    return {"inline_keyboard": [[{"text": b.label, "callback_data": sign(key, CHANNEL, chat_id, b.payload)}
                                 for b in row] for row in reply.buttons]}


class Stopped(Exception):
    """A 429 the renderer will not wait out inline; `calls_done` API calls of this send already went out."""

    def __init__(self, retry_after: float, calls_done: int) -> None:
        super().__init__(f"retry after {retry_after}s after {calls_done} calls")
        self.retry_after, self.calls_done = retry_after, calls_done


class _Progress:
    """Counts one send's API calls; the first `skip` were delivered by an earlier attempt of the same send."""

    def __init__(self, skip: int = 0) -> None:
        self.skip, self.done = skip, 0


class TelegramRenderer:
    """Sends one reply as several calls; a 429 in the middle waits and continues from that call, so the
    parts already delivered (say, the photos before the text) are never sent twice.

    Inline waits of one send add up to at most `wait_budget` seconds; a longer wait raises Stopped with
    the number of calls already made, so the caller can retry later from there. Every 429 is reported to
    `on_retry_after(chat_id, seconds)` (the notifier's limiter takes it as a penalty)."""

    def __init__(self, bot: Bot, services: Services, *, wait_budget: float = 90.0,
                 on_retry_after: Callable[[int, float], None] | None = None, api: BotApi | None = None) -> None:
        self.bot = bot
        self.api = api or BotApi(bot)
        self.services = services
        self.wait_budget = wait_budget
        self.on_retry_after = on_retry_after

    async def _call(self, chat_id: int, progress: _Progress, waited: list[float],
                    method: Callable[[], Awaitable[T]]) -> T | None:
        if progress.done < progress.skip:  # delivered by an earlier attempt of this send
            progress.done += 1
            return None
        while True:
            try:
                result = await method()
                progress.done += 1
                return result
            except TelegramRetryAfter as exc:
                if self.on_retry_after is not None:
                    self.on_retry_after(chat_id, float(exc.retry_after))
                if waited[0] + exc.retry_after > self.wait_budget:
                    raise Stopped(float(exc.retry_after), progress.done) from exc
                waited[0] += exc.retry_after
                await asyncio.sleep(exc.retry_after)

    async def send(self, chat_id: int, replies: Sequence[Say], *, skip: int = 0) -> None:
        """Deliver `replies`; `skip` API calls were made by an earlier attempt (Stopped.calls_done)."""
        progress, waited = _Progress(skip), [0.0]
        for reply in replies:
            if reply.photos:
                await self._photos(chat_id, reply.photos, progress, waited)
            markup = keyboard(reply, self.services.signing_key, chat_id)
            pieces = split_text(reply.text, TEXT_LIMIT)
            for i, piece in enumerate(pieces):
                last = i == len(pieces) - 1
                params = {"chat_id": chat_id, "text": piece, "parse_mode": "HTML"}
                if last and markup is not None:
                    params["reply_markup"] = markup
                await self._call(chat_id, progress, waited, lambda p=params: self.api.call("sendMessage", p))
            for file in reply.files:
                await self._file(chat_id, file, progress, waited)

    async def _file(self, chat_id: int, file: FileRef, progress: _Progress, waited: list[float]) -> None:
        """A generated file after the text: a picture (sendPhoto) or a document (sendDocument)."""
        if progress.done < progress.skip:
            await self._call(chat_id, progress, waited, _nothing)
            return
        upload = BufferedInputFile(await self.services.media.get(file.key), filename=file.name)
        if file.is_image:
            await self._call(chat_id, progress, waited, lambda: self.bot.send_photo(chat_id, upload))
        else:
            await self._call(chat_id, progress, waited, lambda: self.bot.send_document(chat_id, upload))

    async def _photos(self, chat_id: int, photo_ids: Sequence[int], progress: _Progress,
                      waited: list[float]) -> None:
        photos = await load_photos(self.services, photo_ids)
        uploaded: dict[int, str] = {}
        for start in range(0, len(photos), 10):
            chunk = photos[start:start + 10]
            if progress.done < progress.skip:
                await self._call(chat_id, progress, waited, _nothing)
                continue
            media = [await self._media(p) for p in chunk]
            if len(chunk) == 1:
                one = await self._call(chat_id, progress, waited,
                                       lambda m=media[0].media: self.bot.send_photo(chat_id, m))
                sent = [one] if one is not None else []
            else:
                sent = await self._call(chat_id, progress, waited,
                                        lambda m=media: self.bot.send_media_group(chat_id, m)) or []
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


async def _nothing() -> None:
    return None
