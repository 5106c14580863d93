"""Exports: signals of a filing period streamed in batches, one wide row each (no personal data unless asked)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Answer, Category, Municipality, Organization, Rating, Signal, SignalSupporter, User

BATCH = 2000


def _published(column: Any) -> Any:
    return (select(column).where(Answer.signal_id == Signal.id, Answer.review_status == "published")
            .order_by(Answer.version.desc()).limit(1).scalar_subquery())


class Exports:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def count(self, start: datetime, end: datetime) -> int:
        return int(await self.s.scalar(select(func.count()).where(Signal.created_at >= start,
                                                                   Signal.created_at < end)) or 0)

    def _query(self, start: datetime, end: datetime, personal: bool) -> Any:
        rated = select(func.count()).where(Rating.signal_id == Signal.id).scalar_subquery()
        liked = select(func.count()).where(Rating.signal_id == Signal.id, Rating.value > 0).scalar_subquery()
        supporters = select(func.count()).where(SignalSupporter.signal_id == Signal.id).scalar_subquery()
        columns = [Signal.id, Signal.number, Signal.description, Category.name, Signal.created_at,
                   Signal.accepted_at, Signal.due_on, Signal.answered_at, Signal.closed_at, Signal.status,
                   Signal.latitude, Signal.longitude, Signal.address, Municipality.name, Organization.name,
                   Signal.source_channel, _published(Answer.kind), _published(Answer.flags), liked, rated,
                   Signal.reopen_count, supporters]
        if personal:
            columns += [User.display_name, User.channel, User.external_id]
        stmt = (select(*columns).join(Category, Category.id == Signal.category_id)
                .join(Municipality, Municipality.id == Signal.municipality_id)
                .outerjoin(Organization, Organization.id == Signal.organization_id)
                .where(Signal.created_at >= start, Signal.created_at < end).order_by(Signal.created_at, Signal.id))
        if personal:
            stmt = stmt.outerjoin(User, User.id == Signal.author_id)
        return stmt

    async def signals(self, start: datetime, end: datetime, *, personal: bool = False
                      ) -> AsyncIterator[Sequence[Row[Any]]]:
        """Batches of rows of signals filed in [start, end), oldest first (a server-side cursor on PostgreSQL)."""
        result = await self.s.stream(self._query(start, end, personal).execution_options(yield_per=BATCH))
        async for batch in result.partitions(BATCH):
            yield batch
