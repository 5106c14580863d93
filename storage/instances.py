"""This process's identity among the bot instances sharing a database, and the lock that proves it alive.

On PostgreSQL the instance holds a session advisory lock (INSTANCE_LOCK_NS, id) on a connection of its
own; the server releases it the moment the process dies (a killed process's socket closes), so another
instance knows at once that the rows this one stored and the replies it journaled are orphaned — no
heartbeat, no timeout to wait out. On SQLite one process serves the file, so every other id is gone."""

from __future__ import annotations

import logging
import secrets

import asyncpg

from storage.inbox import INSTANCE_LOCK_NS

log = logging.getLogger(__name__)


class InstanceLock:
    def __init__(self, dsn: str | None) -> None:
        self.id = secrets.randbelow(2**31 - 2) + 1
        self.dsn = dsn  # None on SQLite
        self._conn: asyncpg.Connection | None = None

    async def hold(self) -> bool:
        """Take (or re-take after a lost connection) the lock; cheap when already held. False if the
        database cannot be reached now (the caller tries again on its next round)."""
        if self.dsn is None or (self._conn is not None and not self._conn.is_closed()):
            return True
        try:
            conn = await asyncpg.connect(self.dsn)
            await conn.execute("SELECT pg_advisory_lock($1, $2)", INSTANCE_LOCK_NS, self.id)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            log.warning("instance lock not taken (%s); retrying", type(exc).__name__)
            return False
        self._conn = conn
        return True

    async def release(self) -> None:
        if self._conn is not None and not self._conn.is_closed():
            await self._conn.close()
        self._conn = None
