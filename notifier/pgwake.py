"""PostgreSQL coordination between instances: LISTEN/NOTIFY wake-ups and an advisory-lock leader."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable

import asyncpg

from notifier.context import Hub

log = logging.getLogger(__name__)
LEADER_LOCK = 0x41_52_4C_44  # "ARLD": one scheduler leader per database


def asyncpg_dsn(services: Hub) -> str:
    url = services.db.engine.url.set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


class _Dedicated:
    """One long-lived connection outside the pool, reconnected with backoff when it drops."""

    def __init__(self, services: Hub, name: str, retry: float = 2.0) -> None:
        self.services, self.name, self.retry = services, name, retry
        self.conn: asyncpg.Connection | None = None
        self._task: asyncio.Task[None] | None = None
        self._lost = asyncio.Event()

    async def start(self) -> None:
        self._task = asyncio.create_task(self._keep(), name=self.name)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if self.conn is not None and not self.conn.is_closed():
            await self.conn.close()
        self.conn = None

    async def _keep(self) -> None:
        while True:
            try:
                self.conn = await asyncpg.connect(asyncpg_dsn(self.services))
                self._lost.clear()
                self.conn.add_termination_listener(lambda _c: self._lost.set())
                await self.connected(self.conn)
                await self._lost.wait()
                log.warning("%s: connection lost", self.name)
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                log.warning("%s: cannot connect (%s); retrying", self.name, type(exc).__name__)
            self.disconnected()
            self.conn = None
            await asyncio.sleep(self.retry)

    async def connected(self, conn: asyncpg.Connection) -> None: ...

    def disconnected(self) -> None: ...


class PgWakeup(_Dedicated):
    """A commit on any instance wakes the delivery workers of every instance within milliseconds.

    Registered in services.outbox_listeners: a local commit NOTIFYs the others (coalesced); a NOTIFY
    from another instance wakes this instance's workers (`local` listeners), never re-NOTIFYing.
    """

    def __init__(self, services: Hub, channel: str = "outbox") -> None:
        super().__init__(services, "pg-wakeup")
        self.channel, self.me = channel, uuid.uuid4().hex
        self._dirty = False
        self._sending: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self.services.outbox_listeners.append(self.notify)
        await super().start()

    async def stop(self) -> None:
        with contextlib.suppress(ValueError):
            self.services.outbox_listeners.remove(self.notify)
        await super().stop()

    def notify(self) -> None:
        self._dirty = True
        if self._sending is None and self.conn is not None:
            self._sending = asyncio.create_task(self._send())

    async def _send(self) -> None:
        try:
            while self._dirty and self.conn is not None:
                self._dirty = False
                await self.conn.execute("SELECT pg_notify($1, $2)", self.channel, self.me)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            log.warning("outbox NOTIFY failed (%s); the sweep will catch up", type(exc).__name__)
        finally:
            self._sending = None

    def _wake_local(self) -> None:
        for listener in list(self.services.outbox_listeners):
            if listener != self.notify:
                listener()

    def _on_notify(self, _conn: object, _pid: int, _channel: str, payload: str) -> None:
        if payload != self.me:
            self._wake_local()

    async def connected(self, conn: asyncpg.Connection) -> None:
        await conn.add_listener(self.channel, self._on_notify)
        self._wake_local()  # anything committed while we were not listening


class Leadership(_Dedicated):
    """Holds pg_try_advisory_lock on its own connection; when the leader dies its session ends, the lock
    is released, and the next instance to try takes over."""

    def __init__(self, services: Hub, *, retry: float = 5.0, key: int = LEADER_LOCK,
                 on_change: Callable[[bool], None] | None = None) -> None:
        super().__init__(services, "scheduler-leader", retry)
        self.key, self.on_change = key, on_change
        self.is_leader = services.db.is_sqlite  # SQLite: the single instance leads
        self.tries = 0

    async def start(self) -> None:
        if not self.services.db.is_sqlite:
            await super().start()

    async def connected(self, conn: asyncpg.Connection) -> None:
        while True:
            self.tries += 1
            if await conn.fetchval("SELECT pg_try_advisory_lock($1)", self.key):
                break
            await asyncio.sleep(self.retry)  # poll: another instance leads until its session ends
        self._set(True)
        log.info("this instance is now the scheduler leader")

    def disconnected(self) -> None:
        self._set(False)

    def _set(self, value: bool) -> None:
        if value != self.is_leader:
            self.is_leader = value
            if self.on_change is not None:
                self.on_change(value)
