"""Unit of work: one transaction per use case, committed once (or rolled back on error).

The transaction lives on a Core connection; the ORM session (and the repositories that need it) is made
only when first used, so a dialog turn that reads and writes plain rows never pays for the ORM."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import cached_property
from types import TracebackType

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from storage.db import Database
from storage.repos.answers import Answers, Extensions
from storage.repos.apikeys import ApiKeys
from storage.repos.catalog import Catalog
from storage.repos.dialogs import DialogStates
from storage.repos.exports import Exports
from storage.repos.followups import Followups
from storage.repos.identities import Identities
from storage.repos.nearby import Nearby, Supporters
from storage.repos.open311 import Filings, PublicSignals
from storage.repos.outbox import Outbox
from storage.repos.people import Users
from storage.repos.photos import Photos
from storage.repos.signals import Signals
from storage.repos.stats import Stats
from storage.repos.subscriptions import Subscriptions


class UnitOfWork:
    def __init__(self, db: Database) -> None:
        self._db = db
        self.dialect = db.dialect
        self.conn: AsyncConnection
        self._after_commit: list = []
        self._committed = False

    async def __aenter__(self) -> UnitOfWork:
        if self._db.sqlite_lock is not None:
            await self._db.sqlite_lock.acquire()
        try:
            self.conn = await self._db.engine.connect()  # the transaction begins with the first statement
        except BaseException:
            if self._db.sqlite_lock is not None:
                self._db.sqlite_lock.release()
            raise
        self.dialogs = DialogStates(self.conn, self.dialect)
        self.people = Identities(self.conn, self.dialect)
        self.catalog = Catalog(self.conn, lambda: self.session, self._db.reference)
        return self

    @cached_property
    def session(self) -> AsyncSession:
        """The ORM session, in this unit of work's transaction (made on first use)."""
        return self._db.sessions(bind=self.conn, join_transaction_mode="rollback_only")

    @cached_property
    def users(self) -> Users:
        return Users(self.session)

    @cached_property
    def signals(self) -> Signals:
        return Signals(self.session, self.dialect)

    @cached_property
    def answers(self) -> Answers:
        return Answers(self.session)

    @cached_property
    def extensions(self) -> Extensions:
        return Extensions(self.session)

    @cached_property
    def followups(self) -> Followups:
        return Followups(self.session)

    @cached_property
    def photos(self) -> Photos:
        return Photos(self.session)

    @cached_property
    def nearby(self) -> Nearby:
        return Nearby(self.session)

    @cached_property
    def supporters(self) -> Supporters:
        return Supporters(self.session)

    @cached_property
    def subscriptions(self) -> Subscriptions:
        return Subscriptions(self.session)

    @cached_property
    def stats(self) -> Stats:
        return Stats(self.session)

    @cached_property
    def exports(self) -> Exports:
        return Exports(self.session)

    @cached_property
    def outbox(self) -> Outbox:
        return Outbox(self.session)

    @cached_property
    def api_keys(self) -> ApiKeys:
        return ApiKeys(self.session)

    @cached_property
    def filings(self) -> Filings:
        return Filings(self.session)

    @cached_property
    def public_signals(self) -> PublicSignals:
        return PublicSignals(self.session)

    @property
    def _has_session(self) -> bool:
        return "session" in self.__dict__

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            try:
                if self._has_session:
                    await self.session.close()
            finally:
                await self.conn.close()  # rolls back whatever was not committed
        finally:
            if self._db.sqlite_lock is not None:
                self._db.sqlite_lock.release()
        if exc_type is None and self._committed:
            for callback in self._after_commit:
                callback()

    async def commit(self) -> None:
        if self._has_session:
            await self.session.flush()
        await self.conn.commit()
        self._committed = True  # a later statement begins the next transaction (long jobs commit in steps)

    async def flush(self) -> None:
        """Send pending changes now (a stale row version raises StaleDataError here)."""
        await self.session.flush()

    @asynccontextmanager
    async def savepoint(self) -> AsyncIterator[None]:
        """A nested transaction: an exception inside undoes only what was done inside."""
        async with self.session.begin_nested():
            yield
            await self.session.flush()

    def after_commit(self, callback) -> None:  # type: ignore[no-untyped-def]
        """Run a callback once the transaction has committed (e.g. wake the notifier)."""
        self._after_commit.append(callback)
