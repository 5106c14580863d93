"""Unit of work: one transaction per use case, committed once (or rolled back on error)."""

from __future__ import annotations

from types import TracebackType

from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import Database
from storage.repositories import (
    Catalog,
    DialogStates,
    Outbox,
    Signals,
    Users,
)


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
        self.outbox = Outbox(self.session)
        self.dialogs = DialogStates(self.session, self.dialect)
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

    def after_commit(self, callback) -> None:  # type: ignore[no-untyped-def]
        """Run a callback once the transaction has committed (e.g. wake the notifier)."""
        self._after_commit.append(callback)
