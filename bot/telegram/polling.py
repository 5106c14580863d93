"""Long polling that stores each raw batch before confirming it (aiogram's own polling confirms on fetch).

The batch is taken as raw JSON: aiogram parses each update later, one at a time, so an update it cannot
read is set aside on its own instead of failing the whole batch (and the loop) — and nothing is parsed
twice on the hot path."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from aiogram import Bot

log = logging.getLogger(__name__)

Ingest = Callable[[list[dict[str, Any]]], Awaitable[None]]


class PollError(Exception):
    def __init__(self, code: int, retry_after: float | None = None) -> None:
        super().__init__(f"getUpdates failed with {code}")
        self.code = code
        self.retry_after = retry_after


class Poller:
    def __init__(self, bot: Bot, ingest: Ingest, allowed_updates: list[str], timeout: int = 25) -> None:
        self.bot = bot
        self.ingest = ingest
        self.allowed_updates = allowed_updates
        self.timeout = timeout
        self.url = bot.session.api.api_url(token=bot.token, method="getUpdates")
        self._http: aiohttp.ClientSession | None = None
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()

    async def start(self) -> None:
        info = await self.bot.get_webhook_info()
        if info.url:
            raise RuntimeError("a webhook is set for this bot: long polling is refused (unset "
                               "TELEGRAM_WEBHOOK_URL's webhook with deleteWebhook, or run in webhook mode)")
        self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout + 10))
        self._task = asyncio.create_task(self._loop())

    async def _fetch(self, offset: int | None) -> list[Any]:
        assert self._http is not None
        params: dict[str, Any] = {"timeout": self.timeout, "allowed_updates": self.allowed_updates}
        if offset is not None:
            params["offset"] = offset
        async with self._http.post(self.url, json=params) as response:
            body = await response.json(content_type=None)
        if isinstance(body, dict) and body.get("ok") and isinstance(body.get("result"), list):
            return body["result"]
        body = body if isinstance(body, dict) else {}
        retry_after = (body.get("parameters") or {}).get("retry_after")
        raise PollError(int(body.get("error_code") or response.status), retry_after)

    async def _loop(self) -> None:
        offset: int | None = None
        backoff = 0.5
        while not self._stopping.is_set():
            try:
                # Confirming `offset` tells Telegram the previous batch is safe: it is stored by now.
                batch = await self._fetch(offset)
                updates = [u for u in batch if isinstance(u, dict) and isinstance(u.get("update_id"), int)]
                if len(updates) < len(batch):
                    log.warning("getUpdates returned %d items without an update_id; skipped", len(batch) - len(updates))
                if updates:
                    await self.ingest(updates)
                    offset = max(u["update_id"] for u in updates) + 1
                backoff = 0.5
            except PollError as exc:
                if exc.code == 429:
                    await asyncio.sleep(float(exc.retry_after or 1))
                    continue
                if exc.code == 409:
                    log.error("another process is polling this bot (409 Conflict); retrying")
                elif exc.code == 401:
                    log.error("the Bot API rejects TELEGRAM_BOT_TOKEN (401 Unauthorized); retrying")
                else:
                    log.warning("getUpdates failed (%s); retrying in %.1fs", exc.code, backoff)
                await asyncio.sleep(5 if exc.code in (401, 409) else backoff)
                backoff = min(backoff * 2, 30)
            except (aiohttp.ClientError, TimeoutError, ValueError, OSError) as exc:
                log.warning("getUpdates failed (%s); retrying in %.1fs", type(exc).__name__, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 30)
            except Exception as exc:  # storing the batch failed (database down): not confirmed, fetched again
                log.warning("storing updates failed (%s); retrying in %.1fs", type(exc).__name__, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 30)

    async def stop(self) -> None:
        self._stopping.set()
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        if self._http is not None:
            await self._http.close()
            self._http = None
