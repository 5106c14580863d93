"""«Was it fixed?» rows (scheduled, asked, resolved) and an organization's track record for the review card."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Answer, Followup, Signal


@dataclass(frozen=True)
class AnswerFacts:
    """What the track record needs of one answer version submitted in the window."""

    flagged: bool
    published: bool
    reopened: bool
    accepted_at: datetime | None
    published_at: datetime | None


class Followups:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def add(self, followup: Followup) -> None:
        self.s.add(followup)
        await self.s.flush()

    async def get(self, answer_id: int, *, fresh: bool = False) -> Followup | None:
        return await self.s.get(Followup, answer_id, populate_existing=fresh)

    async def to_ask(self, today: date) -> list[int]:
        """Answer ids whose question is due and not yet asked."""
        return list(await self.s.scalars(select(Followup.answer_id).where(
            Followup.resolved_at.is_(None), Followup.asked_at.is_(None), Followup.ask_on <= today)
            .order_by(Followup.ask_on, Followup.answer_id)))

    async def silent(self, today: date) -> list[int]:
        """Answer ids asked about, unanswered, whose waiting time is over."""
        return list(await self.s.scalars(select(Followup.answer_id).where(
            Followup.resolved_at.is_(None), Followup.asked_at.is_not(None), Followup.close_on <= today)
            .order_by(Followup.close_on, Followup.answer_id)))

    async def answer_facts(self, organization_id: int, since: datetime) -> list[AnswerFacts]:
        """Every answer version the organization submitted since `since` (one query)."""
        rows = await self.s.execute(
            select(Answer.flags, Answer.review_status, Answer.reopened_at, Answer.reviewed_at, Signal.accepted_at)
            .join(Signal, Signal.id == Answer.signal_id)
            .where(Answer.organization_id == organization_id, Answer.created_at >= since))
        return [AnswerFacts(bool(flags), status == "published", reopened is not None, accepted,
                            reviewed if status == "published" else None)
                for flags, status, reopened, reviewed, accepted in rows]
