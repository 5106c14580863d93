"""Read-side queries behind the Open311 API (public signals only) and the records of API filings."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    Answer,
    ApiFiling,
    AuditEvent,
    Photo,
    Signal,
    SignalPhoto,
    SignalSupporter,
    Subscription,
)


@dataclass(frozen=True)
class Query:
    """What a GET requests asks for; `statuses` are ours (the caller maps open/closed onto them)."""

    statuses: tuple[str, ...]
    since: datetime
    until: datetime
    category_ids: tuple[int, ...] | None = None
    limit: int = 1000
    offset: int = 0


class PublicSignals:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def page(self, q: Query) -> Sequence[Signal]:
        stmt = (select(Signal).where(Signal.status.in_(q.statuses), Signal.created_at >= q.since,
                                     Signal.created_at <= q.until)
                .order_by(Signal.created_at.desc(), Signal.id.desc()).limit(q.limit).offset(q.offset))
        if q.category_ids is not None:
            stmt = stmt.where(Signal.category_id.in_(q.category_ids))
        return (await self.s.scalars(stmt)).all()

    async def by_numbers(self, numbers: Iterable[str], statuses: tuple[str, ...]) -> Sequence[Signal]:
        stmt = (select(Signal).where(Signal.number.in_(tuple(numbers)), Signal.status.in_(statuses))
                .order_by(Signal.created_at.desc(), Signal.id.desc()))
        return (await self.s.scalars(stmt)).all()

    async def published_answers(self, signal_ids: Sequence[int]) -> dict[int, str]:
        """The newest published answer's text per signal (signals without one are absent)."""
        rows = await self.s.execute(
            select(Answer.signal_id, Answer.text).where(Answer.signal_id.in_(signal_ids),
                                                        Answer.review_status == "published")
            .order_by(Answer.signal_id, Answer.version))
        return {signal_id: text for signal_id, text in rows}  # later versions overwrite earlier ones

    async def supporters(self, signal_ids: Sequence[int]) -> dict[int, int]:
        """Residents who joined each signal with «Я тоже» (not its subscribers: anyone may unsubscribe)."""
        rows = await self.s.execute(
            select(SignalSupporter.signal_id, func.count()).where(SignalSupporter.signal_id.in_(signal_ids))
            .group_by(SignalSupporter.signal_id))
        return dict(rows.tuples().all())

    async def last_changes(self, signal_ids: Sequence[int]) -> dict[int, datetime]:
        """When each signal last changed: its newest audit event (every transition writes one)."""
        rows = await self.s.execute(
            select(AuditEvent.signal_id, func.max(AuditEvent.created_at)).where(AuditEvent.signal_id.in_(signal_ids))
            .group_by(AuditEvent.signal_id))
        return dict(rows.tuples().all())

    async def photo_key(self, number: str, position: int, statuses: tuple[str, ...]) -> str | None:
        """The media key of a public signal's photo."""
        return await self.s.scalar(
            select(Photo.media_key).join(SignalPhoto, SignalPhoto.photo_id == Photo.id)
            .join(Signal, Signal.id == SignalPhoto.signal_id)
            .where(Signal.number == number, Signal.status.in_(statuses), SignalPhoto.position == position))


class Filings:
    """Signals filed through the API: which key, which token."""

    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def record(self, signal_id: int, api_key_id: int, token: str, now: datetime) -> None:
        self.s.add(ApiFiling(signal_id=signal_id, api_key_id=api_key_id, token=token, created_at=now))
        await self.s.flush()

    async def by_token(self, token: str) -> tuple[str, str] | None:
        """(status, public number) of the signal filed with this token."""
        row = (await self.s.execute(
            select(Signal.status, Signal.number).join(ApiFiling, ApiFiling.signal_id == Signal.id)
            .where(ApiFiling.token == token))).first()
        return (row[0], row[1]) if row else None

    async def detach_author(self, signal_id: int, user_id: int) -> None:
        """An API client is no resident: it polls instead of being notified."""
        await self.s.execute(update(Signal).where(Signal.id == signal_id).values(author_id=None)
                             .execution_options(synchronize_session=False))
        await self.s.execute(delete(Subscription).where(Subscription.signal_id == signal_id,
                                                        Subscription.user_id == user_id))
