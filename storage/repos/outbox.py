"""The outbox as the product writes and admins read it: queue a notification, counts, failed rows, retry."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import OutboxMessage
from storage.types import utcnow


class Outbox:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def add(
        self,
        dedupe_key: str,
        *,
        channel: str,
        peer_id: int,
        user_id: int | None,
        payload: list[dict[str, Any]],
        available_at: datetime | None = None,
    ) -> bool:
        """Queue a notification unless one with the same dedupe key exists; True when queued."""
        exists = await self.s.scalar(select(OutboxMessage.id).where(OutboxMessage.dedupe_key == dedupe_key))
        if exists is not None:
            return False
        self.s.add(
            OutboxMessage(
                dedupe_key=dedupe_key,
                channel=channel,
                peer_id=peer_id,
                user_id=user_id,
                payload=payload,
                state="pending",
                available_at=available_at or utcnow(),
            )
        )
        await self.s.flush()
        return True

    async def counts(self) -> dict[str, int]:
        """Rows per state (for /healthz, /metrics and the CLI)."""
        rows = (await self.s.execute(select(OutboxMessage.state, func.count(OutboxMessage.id))
                                     .group_by(OutboxMessage.state))).all()
        return {state: n for state, n in rows}

    async def in_state(self, state: str, *, channel: str | None = None, limit: int = 100) -> list[OutboxMessage]:
        """Rows in `state`, newest first."""
        stmt = select(OutboxMessage).where(OutboxMessage.state == state).order_by(OutboxMessage.id.desc()).limit(limit)
        if channel:
            stmt = stmt.where(OutboxMessage.channel == channel)
        return list(await self.s.scalars(stmt))

    async def requeue(self, ids: Sequence[int] | None, now: datetime) -> int:
        """Failed rows (or the given failed/undeliverable ids) back to pending with fresh attempts."""
        row = OutboxMessage
        where = row.state == "failed" if ids is None else and_(row.id.in_(list(ids)),
                                                               row.state.in_(("failed", "undeliverable")))
        result = await self.s.execute(update(row).where(where).values(
            state="pending", attempts=0, available_at=now, claimed_until=None))
        return result.rowcount
