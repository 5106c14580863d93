"""Unit of work: one transaction per use case, committed once (or rolled back on error)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from types import TracebackType

from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import Database
from storage.repos.answers import Answers, Extensions
from storage.repos.apikeys import ApiKeys
from storage.repos.catalog import Catalog
from storage.repos.dialogs import DialogStates
from storage.repos.exports import Exports
from storage.repos.nearby import Nearby, Supporters
from storage.repos.open311 import Filings, PublicSignals
from storage.repos.outbox import Outbox
from storage.repos.people import Users
from storage.repos.photos import Photos
from storage.repos.signals import Signals
from storage.repos.stats import Stats


class UnitOfWork:
    def __init__(self, db: Database) -> None:
        self._db = db
        self.session: AsyncSession
        self._after_commit: list = []
        self._committed = False

    async def __aenter__(self) -> UnitOfWork:
        if self._db.sqlite_lock is not None:
            await self._db.sqlite_lock.acquire()
        self.session = self._db.sessions()
        self.dialect = self._db.dialect
        self.users = Users(self.session)
        self.catalog = Catalog(self.session, self._db.reference)
        self.signals = Signals(self.session, self.dialect)
        self.answers = Answers(self.session)
        self.extensions = Extensions(self.session)
        self.photos = Photos(self.session)
        self.nearby = Nearby(self.session)
        self.supporters = Supporters(self.session)
        self.outbox = Outbox(self.session)
        self.dialogs = DialogStates(self.session, self.dialect)
        self.api_keys = ApiKeys(self.session)
        self.filings = Filings(self.session)
        self.public_signals = PublicSignals(self.session)
        self.stats = Stats(self.session)
        self.exports = Exports(self.session)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            if exc_type is not None:
                await self.session.rollback()
            await self.session.close()
        finally:
            if self._db.sqlite_lock is not None:
                self._db.sqlite_lock.release()
        if exc_type is None and self._committed:
            for callback in self._after_commit:
                callback()

    async def commit(self) -> None:
        await self.session.commit()
        self._committed = True

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
