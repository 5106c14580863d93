"""SQLite for the async engine without a thread hop per call: sqlite3 run inline on the event loop.

aiosqlite (SQLAlchemy's async SQLite driver) sends every call — cursor, execute, fetch, close, commit —
to its own thread and waits for the answer: 4–5 hops per statement cost more CPU than the statements
(measured: ~0.25 ms per statement). A local SQLite statement takes microseconds, so this adapter runs
them on the loop instead, behind the same interface SQLAlchemy's aiosqlite dialect drives. What it
gives up: a statement waiting for another process's write lock (the CLI's few milliseconds) holds the
loop while it waits (busy_timeout); the bot itself has one writer (Database.sqlite_lock)."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Iterable
from typing import Any


class _Cursor:
    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = cursor

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    async def execute(self, sql: str, parameters: Any = ()) -> _Cursor:
        self._cursor.execute(sql, parameters)
        return self

    async def executemany(self, sql: str, parameters: Iterable[Any]) -> _Cursor:
        self._cursor.executemany(sql, parameters)
        return self

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        return self._cursor.fetchmany(size) if size is not None else self._cursor.fetchmany()

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def close(self) -> None:
        self._cursor.close()


class _RunNow:
    """Stands in for aiosqlite's request queue, which SQLAlchemy uses to set the isolation level."""

    def put_nowait(self, item: tuple[asyncio.Future[Any], Callable[[], Any]]) -> None:
        future, function = item
        try:
            future.set_result(function())
        except Exception as exc:  # handed to the awaiting caller, as aiosqlite's thread would
            future.set_exception(exc)


class InlineConnection:
    """The part of aiosqlite.Connection that SQLAlchemy's aiosqlite dialect uses."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self._tx = _RunNow()

    @property
    def isolation_level(self) -> str | None:
        return self._conn.isolation_level

    async def cursor(self) -> _Cursor:
        return _Cursor(self._conn.cursor())

    async def execute(self, sql: str, parameters: Any = ()) -> _Cursor:
        return await _Cursor(self._conn.cursor()).execute(sql, parameters)

    async def create_function(self, *args: Any, **kwargs: Any) -> None:
        self._conn.create_function(*args, **kwargs)

    async def commit(self) -> None:
        self._conn.commit()

    async def rollback(self) -> None:
        self._conn.rollback()

    async def close(self) -> None:
        self._conn.close()

    def stop(self) -> None:
        self._conn.close()


def inline_creator(path: str, timeout: float) -> Callable[[], Any]:
    """An `async_creator` for create_async_engine: a new inline connection to the file at `path`."""

    async def connect() -> InlineConnection:
        return InlineConnection(sqlite3.connect(path, timeout=timeout, check_same_thread=False))

    return connect
