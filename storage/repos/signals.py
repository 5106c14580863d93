"""Signals: numbering, filing, lookups, the lists staff and scheduled jobs work through, the audit trail."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    AuditEvent,
    Followup,
    Signal,
    SignalCounter,
    SignalPhoto,
    SignalSupporter,
    Subscription,
)
from storage.repos.dialect import insert_for

OPEN = ("in_progress", "answer_review")


class Signals:
    def __init__(self, session: AsyncSession, dialect: str) -> None:
        self.s = session
        self.dialect = dialect

    async def next_number(self, year: int) -> str:
        """Allocate the next public number atomically (safe across instances)."""
        ins = insert_for(self.dialect)(SignalCounter).values(year=year, last=0)
        await self.s.execute(ins.on_conflict_do_nothing(index_elements=["year"]))
        last = await self.s.scalar(
            update(SignalCounter)
            .where(SignalCounter.year == year)
            .values(last=SignalCounter.last + 1)
            .returning(SignalCounter.last)
        )
        return f"{year}-{last:06d}"

    async def add(self, signal: Signal, photo_ids: Sequence[int], subscriber_id: int, now: datetime) -> None:
        """Store a new signal with its photos (in order) and its author's subscription."""
        self.s.add(signal)
        await self.s.flush()
        for position, photo_id in enumerate(photo_ids):
            self.s.add(SignalPhoto(signal_id=signal.id, photo_id=photo_id, position=position))
        self.s.add(Subscription(signal_id=signal.id, user_id=subscriber_id, created_at=now))

    async def get(self, signal_id: int, *, lock: bool = False) -> Signal | None:
        stmt = select(Signal).where(Signal.id == signal_id)
        if lock and self.dialect == "postgresql":
            stmt = stmt.with_for_update(of=Signal)
        return await self.s.scalar(stmt.execution_options(populate_existing=True))

    async def by_number(self, number: str) -> Signal | None:
        return await self.s.scalar(select(Signal).where(Signal.number == number))

    async def by_author(self, user_id: int, limit: int = 20) -> Sequence[Signal]:
        rows = await self.s.scalars(
            select(Signal).where(Signal.author_id == user_id).order_by(Signal.created_at.desc()).limit(limit)
        )
        return rows.all()

    async def count_by_author_since(self, user_id: int, since: datetime) -> int:
        return int(
            await self.s.scalar(
                select(func.count(Signal.id)).where(Signal.author_id == user_id, Signal.created_at >= since)
            )
            or 0
        )

    async def earlier_of_author(self, signal: Signal) -> int:
        """How many signals the same author filed before this one."""
        if signal.author_id is None:
            return 0
        return int(await self.s.scalar(select(func.count(Signal.id)).where(
            Signal.author_id == signal.author_id, Signal.id < signal.id)) or 0)

    async def with_status(self, status: str, limit: int = 50, offset: int = 0) -> Sequence[Signal]:
        rows = await self.s.scalars(
            select(Signal).where(Signal.status == status).order_by(Signal.created_at, Signal.id)
            .limit(limit).offset(offset)
        )
        return rows.all()

    async def count_status(self, status: str) -> int:
        return int(await self.s.scalar(select(func.count(Signal.id)).where(Signal.status == status)) or 0)

    async def listing(self, status: str | None = None, limit: int = 50) -> Sequence[Signal]:
        stmt = select(Signal).order_by(Signal.created_at.desc(), Signal.id.desc()).limit(limit)
        if status:
            stmt = stmt.where(Signal.status == status)
        return (await self.s.scalars(stmt)).all()

    async def in_work_for(self, organization_ids: Iterable[int], limit: int = 60, *,
                          most_affected: bool = False) -> Sequence[Signal]:
        """Signals in work for these organizations (an executor's tasks): nearest due date first, or
        with `most_affected` the most supported first (then by due date)."""
        ids = tuple(organization_ids)
        if not ids:
            return []
        stmt = select(Signal).where(Signal.status == "in_progress", Signal.organization_id.in_(ids))
        if most_affected:
            backing = (select(SignalSupporter.signal_id, func.count().label("n"))
                       .group_by(SignalSupporter.signal_id).subquery())
            stmt = stmt.outerjoin(backing, backing.c.signal_id == Signal.id) \
                .order_by(func.coalesce(backing.c.n, 0).desc())
        rows = await self.s.scalars(stmt.order_by(Signal.due_on, Signal.id).limit(limit))
        return rows.unique().all()

    async def due_between(self, after: date, until: date) -> Sequence[Signal]:
        """Routed signals in work due after `after` and no later than `until` (reminders)."""
        rows = await self.s.scalars(select(Signal).where(
            Signal.status == "in_progress", Signal.organization_id.is_not(None),
            Signal.due_on > after, Signal.due_on <= until).order_by(Signal.id))
        return rows.all()

    async def overdue(self, today: date) -> list[Signal]:
        """Open signals past their due date, the longest overdue first."""
        rows = await self.s.scalars(select(Signal).where(Signal.status.in_(OPEN), Signal.due_on < today)
                                    .order_by(Signal.due_on, Signal.id))
        return list(rows.all())

    async def answered_before(self, cutoff: datetime) -> list[int]:
        """Ids of answered signals whose answer was published at or before `cutoff` and that no «was it
        fixed?» question waits for (that question settles them)."""
        waiting = select(Followup.answer_id).where(Followup.signal_id == Signal.id, Followup.resolved_at.is_(None))
        return list(await self.s.scalars(select(Signal.id).where(
            Signal.status == "answered", Signal.answered_at <= cutoff, ~waiting.exists()).order_by(Signal.id)))

    async def activity(self, start: datetime, end: datetime) -> tuple[int, int, list[tuple[datetime, datetime]]]:
        """Filed and accepted counts in [start, end), and (accepted, answered) pairs answered in it."""

        def count(column):  # type: ignore[no-untyped-def]
            return select(func.count(Signal.id)).where(column >= start, column < end)

        new = int(await self.s.scalar(count(Signal.created_at)) or 0)
        accepted = int(await self.s.scalar(count(Signal.accepted_at)) or 0)
        pairs = (await self.s.execute(select(Signal.accepted_at, Signal.answered_at).where(
            Signal.answered_at >= start, Signal.answered_at < end))).all()
        return new, accepted, [(a, b) for a, b in pairs]

    async def history(self, signal_id: int) -> Sequence[AuditEvent]:
        rows = await self.s.scalars(
            select(AuditEvent).where(AuditEvent.signal_id == signal_id).order_by(AuditEvent.id)
        )
        return rows.all()

    def audit(self, action: str, *, signal_id: int | None, actor_id: int | None, **details: Any) -> None:
        self.s.add(AuditEvent(signal_id=signal_id, actor_id=actor_id, action=action, details=details))
