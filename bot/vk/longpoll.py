"""Bots Long Poll in its own thread: batches go to the asyncio loop in order; the last ts is persisted."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import Future

from vk_api.bot_longpoll import VkBotLongPoll

from bot.vk.client import VkClient, describe
from handlers.context import Services
from storage.models import KeyValue

log = logging.getLogger(__name__)

Deliver = Callable[[list[dict]], Awaitable[None]]


class LongPoll:
    """Polls `a_check` (vk_api handles `failed` 1/2/3); HTTP and API errors back off and retry, capped."""

    def __init__(self, client: VkClient, services: Services, group_id: int, deliver: Deliver, *,
                 wait: int = 25, backoff: float = 0.5, max_backoff: float = 30.0) -> None:
        self.client, self.services, self.group_id, self.deliver = client, services, group_id, deliver
        self.wait, self.backoff, self.max_backoff = wait, backoff, max_backoff
        self.key = f"vk_longpoll_ts:{group_id}"
        self.saved_ts: str | None = None
        self._stopping = threading.Event()
        self._handover = asyncio.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        async with self.services.uow() as uow:
            row = await uow.session.get(KeyValue, self.key)
            self.saved_ts = row.value if row else None
        self._thread = threading.Thread(target=self._run, name=f"vk-longpoll-{self.group_id}", daemon=True)
        self._thread.start()

    async def stop(self) -> None:
        """Stop handing batches over; a poll still waiting on the server is abandoned (its batch is
        not confirmed, so the next start fetches it again from the saved ts)."""
        self._stopping.set()
        async with self._handover:
            pass

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive() and not self._stopping.is_set()

    def _run(self) -> None:
        poll: VkBotLongPoll | None = None
        delay = self.backoff
        while not self._stopping.is_set():
            try:
                if poll is None:
                    poll = VkBotLongPoll(self.client.vk, self.group_id, wait=self.wait)
                    poll.ts = self.saved_ts or poll.ts
                events = poll.check()
            except Exception as exc:  # HTTP error, non-JSON answer, API error: keep the thread alive
                log.warning("vk long poll failed (%s), retrying in %.1fs", describe(exc), delay)
                self._stopping.wait(delay)
                delay = min(delay * 2, self.max_backoff)
                continue
            delay = self.backoff
            ts = str(poll.ts)
            if (events or ts != self.saved_ts) and not self._hand_over([e.raw for e in events], ts):
                return

    def _hand_over(self, raws: list[dict], ts: str) -> bool:
        """Run the batch's hand-over on the loop and wait for it; False when stopping."""
        assert self._loop is not None
        try:
            future: Future[bool] = asyncio.run_coroutine_threadsafe(self._take(raws, ts), self._loop)
        except RuntimeError:  # the loop is closed
            return False
        while not self._stopping.is_set() or not self._loop.is_closed():
            try:
                return future.result(timeout=1.0)
            except TimeoutError:
                continue
            except Exception as exc:
                log.exception("vk batch hand-over failed: %s", type(exc).__name__)
                return not self._stopping.is_set()
        return False

    async def _take(self, raws: list[dict], ts: str) -> bool:
        async with self._handover:
            if self._stopping.is_set():
                return False
            await self.deliver(raws)
            await self._save(ts)
            return True

    async def _save(self, ts: str) -> None:
        async with self.services.uow() as uow:
            row = await uow.session.get(KeyValue, self.key)
            if row is None:
                uow.session.add(KeyValue(key=self.key, value=ts))
            else:
                row.value = ts
            await uow.commit()
        self.saved_ts = ts
