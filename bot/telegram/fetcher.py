"""Download an incoming Telegram photo or image document through getFile."""

from __future__ import annotations

from aiogram import Bot

from handlers.types import PhotoRef
from storage.images import MAX_INPUT_BYTES, BadImage


class TelegramFetcher:
    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def fetch(self, ref: PhotoRef) -> bytes:
        file = await self.bot.get_file(ref.ref)
        if file.file_size and file.file_size > MAX_INPUT_BYTES:
            raise BadImage("file larger than 20 MB")
        if not file.file_path:
            raise BadImage("no file path")
        buffer = await self.bot.download_file(file.file_path, timeout=60)
        if buffer is None:
            raise BadImage("empty download")
        return buffer.getvalue()
