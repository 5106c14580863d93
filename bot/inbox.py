"""Persist-then-handle: each stored update is handled in order per person, exactly once.

A channel stores updates with `store()` before acknowledging them to the platform, then calls
`submit(peer)`. One drain task per person takes that person's oldest unhandled updates, lets the
channel turn them into one dialog input (`handle(rows)`), and the dialog marks them handled in its
own transaction. On start, `recover()` drains whatever a crashed instance left behind.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from typing import Any

from bot.logs import current_update
from handlers.context import Services
from handlers.types import Say
from storage import inbox
from storage.errors import error_class, is_transient
from storage.models import InboxUpdate

log = logging.getLogger(__name__)

Handle = Callable[[list[InboxUpdate]], Awaitable[int]]
"""Handle the leading rows of a person's backlog; returns how many rows it consumed (0: not ready yet)."""
Resend = Callable[[InboxUpdate, list[Say]], Awaitable[None]]
Poisoned = Callable[[InboxUpdate, str], Awaitable[None]]
"""Tell the person an update could not be processed (and stop a button's spinner); count it."""


class InboxProcessor:
    def __init__(self, services: Services, channel: str, handle: Handle, resend: Resend, poisoned: Poisoned, *,
                 retry_wait: float = 0.1, resend_after: float = 10.0) -> None:
        self.services = services
        self.channel = channel
        self.handle = handle
        self.resend = resend
        self.poisoned = poisoned
        self.resend_after = resend_after
        self.retry_wait = retry_wait
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self._again: set[int] = set()
        self._closing = False
        self._sweeper: asyncio.Task[None] | None = None

    async def store(self, items: Sequence[tuple[str, int, dict[str, Any]]]) -> int:
        async with self.services.uow() as uow:
            new = await inbox.put_many(uow.session, uow.dialect, self.channel, items)
            await uow.commit()
        return new

    def submit(self, peer_id: int) -> None:
        if self._closing:
            return
        task = self._tasks.get(peer_id)
        if task is not None and not task.done():
            self._again.add(peer_id)
            return
        self._tasks[peer_id] = asyncio.create_task(self._drain(peer_id))

    async def recover(self) -> int:
        async with self.services.uow() as uow:
            peers = await inbox.peers_with_backlog(uow.session, self.channel)
        for peer in peers:
            self.submit(peer)
        return len(peers)

    async def _drain(self, peer_id: int) -> None:
        try:
            while not self._closing:
                self._again.discard(peer_id)
                async with self.services.uow() as uow:
                    rows = await inbox.pending_for_peer(uow.session, self.channel, peer_id)
                if not rows:
                    if peer_id in self._again:
                        continue
                    return
                token = current_update.set(f"{self.channel}:{rows[0].update_key}")
                try:
                    consumed = await self.handle(rows)
                except Exception as exc:
                    if is_transient(exc):
                        raise
                    consumed = await self._set_aside(rows[0], exc)
                finally:
                    current_update.reset(token)
                if consumed == 0:
                    await asyncio.sleep(self.retry_wait)
                elif consumed == len(rows) and peer_id not in self._again:
                    return  # nothing new arrived meanwhile: no need to read the backlog again
        except Exception as exc:  # the database is unreachable: the sweep picks the backlog up again
            log.warning("inbox drain for a %s peer stopped (%s); the sweep retries it", self.channel,
                        type(exc).__name__)
        finally:
            self._tasks.pop(peer_id, None)

    async def _set_aside(self, row: InboxUpdate, exc: Exception) -> int:
        """A poison update (bad data or a bug, not a database hiccup): failed, kept, never blocking."""
        log.error("a %s update could not be handled and is set aside", self.channel, exc_info=exc)
        error = error_class(exc)
        async with self.services.uow() as uow:
            await inbox.mark_failed(uow.session, [row.id], error)
            await uow.commit()
        await self.poisoned(row, error)
        return 1

    def start_sweeping(self, every: float = 2.0) -> None:
        """Periodically pick up updates another (crashed) instance stored but never handled."""
        self._sweeper = asyncio.create_task(self._sweep(every))

    async def _sweep(self, every: float) -> None:
        while not self._closing:
            await asyncio.sleep(every)
            try:
                await self.recover()
                await self.resend_lost_replies()
            except Exception as exc:  # the database may be restarting: try again next round
                log.warning("inbox sweep failed: %s", type(exc).__name__)

    async def replied(self, row_id: int) -> bool:
        async with self.services.uow() as uow:
            claimed = await inbox.mark_replied(uow.session, row_id)
            await uow.commit()
        return claimed

    async def resend_lost_replies(self) -> int:
        """Send the journaled replies of rows whose instance died after committing, before sending."""
        cutoff = self.services.now() - timedelta(seconds=self.resend_after)
        async with self.services.uow() as uow:
            rows = await inbox.unreplied(uow.session, self.channel, cutoff)
        sent = 0
        for row in rows:
            if await self.replied(row.id):  # claimed by this instance: at most one resend
                await self.resend(row, [Say.from_dict(r) for r in row.replies or []])
                sent += 1
        return sent

    async def close(self) -> None:
        """Stop taking new work and let in-flight drains finish."""
        self._closing = True
        if self._sweeper is not None:
            self._sweeper.cancel()
            await asyncio.gather(self._sweeper, return_exceptions=True)
        tasks = list(self._tasks.values())
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)

    @property
    def busy(self) -> int:
        return sum(1 for t in self._tasks.values() if not t.done())
