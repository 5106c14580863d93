"""Persist-then-handle: each stored update is handled in order per person, exactly once, at one commit.

A channel stores a batch with `store()` (one transaction) before acknowledging it to the platform and
hands the new rows to `submit()`: they queue in memory per person, so handling them reads nothing back.
One drain task per person lets the channel turn its leading rows into one dialog input (`handle(rows)`);
the dialog's own transaction marks them handled and journals the replies. That the replies went out is
recorded for many updates at once by a background flush, not by a transaction per update.

What other processes left behind is found through the database (`recover()` at start, then a sweep every
second): unhandled updates and journaled-but-unsent replies of instances that are gone (see
storage/instances.py). A person's latest such reply goes out through that person's queue, before anything
newer; an older one that a newer reply superseded is never sent. A turn that finds an earlier update of
the same person still waiting (stored by another instance) is rolled back and the person's queue is
re-read from the database in order.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from bot.logs import current_update
from handlers.context import Services
from handlers.types import Say
from storage import inbox
from storage.errors import error_class, is_transient
from storage.models import InboxUpdate

log = logging.getLogger(__name__)

Handle = Callable[[list[InboxUpdate]], Awaitable[int]]
"""Handle the leading rows of a person's queue; returns how many it consumed (0: not ready yet,
-1: an earlier update of this person is waiting elsewhere — read the queue from the database)."""
Resend = Callable[[InboxUpdate, list[Say]], Awaitable[None]]
Poisoned = Callable[[InboxUpdate, str], Awaitable[None]]
"""Tell the person an update could not be processed (and stop a button's spinner); count it."""
REREAD = -1


class InboxProcessor:
    def __init__(self, services: Services, channel: str, handle: Handle, resend: Resend, poisoned: Poisoned, *,
                 retry_wait: float = 0.1, sweep_every: float = 1.0) -> None:
        self.services = services
        self.channel = channel
        self.handle = handle
        self.resend = resend
        self.poisoned = poisoned
        self.retry_wait = retry_wait
        self.sweep_every = sweep_every
        self.instance = services.db.instance
        self._queues: dict[int, list[InboxUpdate]] = {}
        self._reread: set[int] = set()  # people whose queue must be read from the database
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self._replied: set[int] = set()
        self._replied_wake = asyncio.Event()
        self._closing = False
        self._sweeper: asyncio.Task[None] | None = None
        self._flusher: asyncio.Task[None] | None = None

    async def store(self, items: Sequence[tuple[str, int, dict[str, Any]]]) -> list[InboxUpdate]:
        """Store a batch in one transaction; returns the rows that were new (redeliveries are skipped)."""
        async with self.services.uow() as uow:
            rows = await inbox.put_many(uow.conn, uow.dialect, self.channel, items, self.instance.id)
            await uow.commit()
        return rows

    def submit(self, peer_id: int, rows: Sequence[InboxUpdate] = ()) -> None:
        """Queue rows for a person (none: only make sure their drain runs)."""
        if rows:
            self._queues.setdefault(peer_id, []).extend(rows)
        if self._closing:
            return
        task = self._tasks.get(peer_id)
        if task is None or task.done():
            self._tasks[peer_id] = asyncio.create_task(self._drain(peer_id))

    def replied(self, row_id: int) -> None:
        """The row's replies went out; recorded by the next batched flush."""
        self._replied.add(row_id)
        self._replied_wake.set()

    async def start(self) -> None:
        """Pick up what dead instances left, then sweep every second and flush 'replied' marks."""
        await self.instance.hold()
        await self.recover()
        self._sweeper = asyncio.create_task(self._sweep())
        self._flusher = asyncio.create_task(self._flush_replied())

    async def recover(self) -> int:
        """Queue orphaned updates and each person's orphaned latest reply; returns the people touched."""
        async with self.services.uow() as uow:
            alive = await inbox.alive_instances(uow.session, uow.dialect, self.instance.id)
            peers = await inbox.orphaned_peers(uow.session, self.channel, alive)
            replies = await inbox.orphaned_replies(uow.session, self.channel, alive)
        for row in replies:
            queue = self._queues.setdefault(row.peer_id, [])
            if all(queued.id != row.id for queued in queue):
                queue.insert(0, row)  # before anything newer of this person
            self.submit(row.peer_id)
        for peer in peers:
            self._reread.add(peer)
            self.submit(peer)
        for peer in list(self._queues):  # own rows whose drain stopped on a database error
            self.submit(peer)
        return len(set(peers) | {r.peer_id for r in replies})

    async def _next(self, peer_id: int) -> list[InboxUpdate]:
        queue = self._queues.get(peer_id, [])
        if peer_id in self._reread:
            self._reread.discard(peer_id)
            async with self.services.uow() as uow:
                stored = await inbox.pending_for_peer(uow.session, self.channel, peer_id)
            resends = [r for r in self._queues.get(peer_id, []) if r.handled_at is not None]
            known = {r.id for r in stored}
            fresh = [r for r in self._queues.get(peer_id, []) if r.handled_at is None and r.id not in known]
            queue = self._queues[peer_id] = resends + stored + fresh
        return queue

    async def _drain(self, peer_id: int) -> None:
        try:
            while not self._closing:
                rows = await self._next(peer_id)
                if not rows:
                    self._queues.pop(peer_id, None)
                    return
                consumed = await self._one(rows)
                if consumed == REREAD:
                    self._reread.add(peer_id)
                    self._queues[peer_id] = [r for r in self._queues.get(peer_id, []) if r.handled_at is not None]
                    continue
                if consumed == 0:
                    await asyncio.sleep(self.retry_wait)
                    continue
                done = {r.id for r in rows[:consumed]}
                self._queues[peer_id] = [r for r in self._queues.get(peer_id, []) if r.id not in done]
        except Exception as exc:  # the database is unreachable: the rows stay queued, the sweep retries
            log.warning("inbox drain for a %s peer stopped (%s); the sweep retries it", self.channel,
                        type(exc).__name__)
        finally:
            self._tasks.pop(peer_id, None)

    async def _one(self, rows: list[InboxUpdate]) -> int:
        token = current_update.set(f"{self.channel}:{rows[0].update_key}")
        try:
            if rows[0].handled_at is not None:  # an orphaned journaled reply
                await self._resend_orphan(rows[0])
                return 1
            return await self.handle(rows)
        except Exception as exc:
            if is_transient(exc):
                raise
            return await self._set_aside(rows[0], exc)
        finally:
            current_update.reset(token)

    async def _resend_orphan(self, row: InboxUpdate) -> None:
        async with self.services.uow() as uow:  # by one instance, and only if not superseded
            claimed = await inbox.claim_orphan(uow.conn, row, self.instance.id)
            await uow.commit()
        if claimed:
            await self.resend(row, [Say.from_dict(r) for r in row.replies or []])
            self.replied(row.id)  # until this mark is flushed, a crash leaves it to the next instance

    async def _set_aside(self, row: InboxUpdate, exc: Exception) -> int:
        """A poison update (bad data or a bug, not a database hiccup): failed, kept, never blocking."""
        log.error("a %s update could not be handled and is set aside", self.channel, exc_info=exc)
        error = error_class(exc)
        async with self.services.uow() as uow:
            await inbox.mark_failed(uow.conn, [row.id], error)
            await uow.commit()
        try:
            await self.poisoned(row, error)
        except Exception:  # telling the person failed too; the row is set aside all the same
            log.exception("a %s poison reply could not be sent", self.channel)
        return 1

    async def _sweep(self) -> None:
        while not self._closing:
            await asyncio.sleep(self.sweep_every)
            try:
                await self.instance.hold()
                await self.recover()
            except Exception as exc:  # the database may be restarting: try again next round
                log.warning("inbox sweep failed: %s", type(exc).__name__)

    async def _flush_replied(self) -> None:
        """Group commit of 'replies sent' marks: one UPDATE for all that arrived since the last one."""
        while not (self._closing and not self._replied):
            await self._replied_wake.wait()
            self._replied_wake.clear()
            ids, self._replied = self._replied, set()
            if not ids:
                continue
            try:
                async with self.services.uow() as uow:
                    await inbox.mark_replied_many(uow.conn, sorted(ids))
                    await uow.commit()
            except Exception as exc:  # kept and retried: a lost mark would resend a reply after a restart
                log.warning("could not record sent replies (%s); retrying", type(exc).__name__)
                self._replied |= ids
                await asyncio.sleep(max(self.retry_wait, 0.5))
                self._replied_wake.set()

    async def close(self) -> None:
        """Stop taking new work, let in-flight drains finish, record what was sent."""
        self._closing = True
        tasks = list(self._tasks.values())
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        if self._sweeper is not None:
            self._sweeper.cancel()
            await asyncio.gather(self._sweeper, return_exceptions=True)
        if self._flusher is not None:
            self._replied_wake.set()
            try:
                await asyncio.wait_for(self._flusher, 10)
            except TimeoutError:
                log.warning("%d 'replies sent' marks not recorded at shutdown", len(self._replied))

    @property
    def busy(self) -> int:
        return sum(1 for t in self._tasks.values() if not t.done())
