"""Subscriptions: the signals a person follows (filed or supported), and following or leaving one."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Signal, Subscription

FINAL = ("rejected", "closed")  # nothing more will be said about these


class Subscriptions:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def followed(self, user_id: int, limit: int = 8) -> tuple[Sequence[Signal], int]:
        """Signals the person follows that can still change (the latest first, at most `limit`),
        and how many there are in all."""
        where = (Subscription.user_id == user_id, Signal.status.not_in(FINAL))
        total = await self.s.scalar(select(func.count()).select_from(Subscription)
                                    .join(Signal, Signal.id == Subscription.signal_id).where(*where))
        rows = await self.s.scalars(select(Signal).join(Subscription, Subscription.signal_id == Signal.id)
                                    .where(*where).order_by(Signal.created_at.desc(), Signal.id.desc())
                                    .limit(limit))
        return rows.unique().all(), int(total or 0)

    async def follows(self, signal_id: int, user_id: int) -> bool:
        return await self.s.get(Subscription, (signal_id, user_id)) is not None

    async def follow(self, signal_id: int, user_id: int, now: datetime) -> bool:
        """Subscribe; False when already subscribed."""
        if await self.follows(signal_id, user_id):
            return False
        self.s.add(Subscription(signal_id=signal_id, user_id=user_id, created_at=now))
        await self.s.flush()
        return True

    async def leave(self, signal_id: int, user_id: int) -> bool:
        """Unsubscribe; False when there was nothing to leave."""
        result = await self.s.execute(delete(Subscription).where(
            Subscription.signal_id == signal_id, Subscription.user_id == user_id))
        return bool(result.rowcount)
