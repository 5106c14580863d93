"""Answers (versions under review), their ratings, and executors' extension requests."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Answer, AnswerPhoto, ExtensionRequest, Rating, Signal


class Answers:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def get(self, answer_id: int, *, fresh: bool = False) -> Answer | None:
        """An answer; `fresh` re-reads it from the database (after its signal was locked)."""
        return await self.s.get(Answer, answer_id, populate_existing=fresh)

    async def signal_of(self, answer_id: int) -> int | None:
        return await self.s.scalar(select(Answer.signal_id).where(Answer.id == answer_id))

    async def latest(self, signal_id: int, statuses: Iterable[str] | None = None) -> Answer | None:
        """The newest version of a signal's answer (among `statuses` when given)."""
        stmt = select(Answer).where(Answer.signal_id == signal_id)
        if statuses is not None:
            stmt = stmt.where(Answer.review_status.in_(tuple(statuses)))
        return await self.s.scalar(stmt.order_by(Answer.version.desc()).limit(1))

    async def latest_published(self, signal_id: int) -> Answer | None:
        return await self.latest(signal_id, ("published",))

    async def max_version(self, signal_id: int) -> int:
        return int(await self.s.scalar(select(func.max(Answer.version)).where(Answer.signal_id == signal_id)) or 0)

    async def open_versions(self, signal_id: int) -> Sequence[Answer]:
        """Versions still pending or returned (superseded by a new submission)."""
        rows = await self.s.scalars(select(Answer).where(
            Answer.signal_id == signal_id, Answer.review_status.in_(("pending", "returned"))))
        return rows.all()

    async def pending(self, limit: int = 60) -> list[tuple[Answer, Signal]]:
        """Answers awaiting review with their signals, oldest first."""
        rows = await self.s.execute(select(Answer, Signal).join(Signal, Signal.id == Answer.signal_id)
                                    .where(Answer.review_status == "pending")
                                    .order_by(Answer.created_at, Answer.id).limit(limit))
        return [(a, sig) for a, sig in rows.unique()]

    async def count_pending(self) -> int:
        return int(await self.s.scalar(select(func.count(Answer.id)).where(Answer.review_status == "pending")) or 0)

    async def add(self, answer: Answer, photo_ids: Sequence[int]) -> None:
        """Store a new version with its photos in order."""
        self.s.add(answer)
        await self.s.flush()
        for position, photo_id in enumerate(photo_ids):
            self.s.add(AnswerPhoto(answer_id=answer.id, photo_id=photo_id, position=position))

    async def earlier_texts(self, answer: Answer, limit: int) -> list[str]:
        """Texts of earlier published or pending answers to other signals, newest first."""
        rows = await self.s.scalars(
            select(Answer.text).where(Answer.id < answer.id, Answer.signal_id != answer.signal_id,
                                      Answer.review_status.in_(("published", "pending")))
            .order_by(Answer.id.desc()).limit(limit))
        return list(rows.all())

    async def rated_by(self, answer_id: int, user_id: int) -> bool:
        found = await self.s.scalar(select(Rating.id).where(Rating.answer_id == answer_id, Rating.user_id == user_id))
        return found is not None

    async def rate(self, *, signal_id: int, answer_id: int, user_id: int, value: int, comment: str | None,
                   now: datetime) -> None:
        self.s.add(Rating(signal_id=signal_id, answer_id=answer_id, user_id=user_id, value=value,
                          comment=comment, created_at=now))
        await self.s.flush()


class Extensions:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def get(self, request_id: int, *, fresh: bool = False) -> ExtensionRequest | None:
        return await self.s.get(ExtensionRequest, request_id, populate_existing=fresh)

    async def pending(self, limit: int = 60) -> list[tuple[ExtensionRequest, Signal]]:
        rows = await self.s.execute(select(ExtensionRequest, Signal)
                                    .join(Signal, Signal.id == ExtensionRequest.signal_id)
                                    .where(ExtensionRequest.status == "pending")
                                    .order_by(ExtensionRequest.created_at, ExtensionRequest.id).limit(limit))
        return [(r, sig) for r, sig in rows.unique()]

    async def count_pending(self) -> int:
        return int(await self.s.scalar(select(func.count(ExtensionRequest.id))
                                       .where(ExtensionRequest.status == "pending")) or 0)

    async def pending_for(self, signal_id: int) -> ExtensionRequest | None:
        return await self.s.scalar(select(ExtensionRequest).where(
            ExtensionRequest.signal_id == signal_id, ExtensionRequest.status == "pending").limit(1))

    async def add(self, request: ExtensionRequest) -> None:
        self.s.add(request)
        await self.s.flush()
