"""Long polling that stores each batch before confirming it (aiogram's own polling confirms on fetch)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import Bot
from aiogram.exceptions import (
    TelegramConflictError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import GetUpdates

log = logging.getLogger(__name__)

Ingest = Callable[[list[dict[str, Any]]], Awaitable[None]]


class Poller:
    def __init__(self, bot: Bot, ingest: Ingest, allowed_updates: list[str], timeout: int = 25) -> None:
        self.bot = bot
        self.ingest = ingest
        self.allowed_updates = allowed_updates
        self.timeout = timeout
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()

    async def start(self) -> None:
        info = await self.bot.get_webhook_info()
        if info.url:
            raise RuntimeError("a webhook is set for this bot: long polling is refused (unset "
                               "TELEGRAM_WEBHOOK_URL's webhook with deleteWebhook, or run in webhook mode)")
        self._task = asyncio.create_task(self._loop())

    async def _loop(self) -> None:
        offset: int | None = None
        backoff = 0.5
        while not self._stopping.is_set():
            try:
                # Confirming `offset` tells Telegram the previous batch is safe: it is stored by now.
                raw = await self.bot.session.make_request(
                    self.bot, GetUpdates(offset=offset, timeout=self.timeout, allowed_updates=self.allowed_updates),
                    timeout=self.timeout + 10)
                if raw:
                    await self.ingest([u.model_dump(mode="json", exclude_none=True, by_alias=True) for u in raw])
                    offset = raw[-1].update_id + 1
                backoff = 0.5
            except TelegramRetryAfter as exc:
                await asyncio.sleep(exc.retry_after)
            except TelegramConflictError:
                log.error("another process is polling this bot (409 Conflict); retrying")
                await asyncio.sleep(5)
            except (TelegramNetworkError, TelegramServerError, OSError) as exc:
                log.warning("getUpdates failed (%s); retrying in %.1fs", type(exc).__name__, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 30)

    async def stop(self) -> None:
        self._stopping.set()
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
