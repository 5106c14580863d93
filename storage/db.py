"""Engine and session factory for SQLite (single instance) and PostgreSQL (many instances)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from storage.instances import InstanceLock
from storage.refcache import ReferenceCache
from storage.sqlite_inline import inline_creator


class Database:
    """Owns the engine; on SQLite also the process-wide writer lock (SQLite has one writer)."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        if self.is_sqlite:
            _ensure_sqlite_dir(url)
            self.engine: AsyncEngine = create_async_engine(
                url, echo=echo, pool_size=1, max_overflow=0,
                async_creator=inline_creator(make_url(url).database or ":memory:", timeout=30))
            _sqlite_immediate_transactions(self.engine)
        else:
            self.engine = create_async_engine(url, echo=echo, pool_size=10, max_overflow=10)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False, class_=AsyncSession)
        self.sqlite_lock = asyncio.Lock() if self.is_sqlite else None
        self.reference = ReferenceCache()
        dsn = None if self.is_sqlite else self.engine.url.set(drivername="postgresql").render_as_string(
            hide_password=False)
        self.instance = InstanceLock(dsn)

    @property
    def dialect(self) -> str:
        return "sqlite" if self.is_sqlite else "postgresql"

    async def dispose(self) -> None:
        await self.instance.release()
        await self.engine.dispose()


def _ensure_sqlite_dir(url: str) -> None:
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)


def _sqlite_immediate_transactions(engine: AsyncEngine) -> None:
    """Take the write lock at BEGIN so concurrent transactions queue instead of failing on upgrade."""

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_conn, _record):  # type: ignore[no-untyped-def]
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn):  # type: ignore[no-untyped-def]
        conn.exec_driver_sql("BEGIN IMMEDIATE")
