"""Inbox of incoming platform updates: stored before they are acknowledged, handled exactly once."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import InboxUpdate
from storage.repositories import _insert
from storage.types import utcnow


async def put_many(session: AsyncSession, dialect: str, channel: str,
                   items: Sequence[tuple[str, int, dict[str, Any]]]) -> int:
    """Store (update key, peer id, raw payload) items; a key seen before is skipped. Returns how many were new."""
    if not items:
        return 0
    now = utcnow()
    rows = [{"channel": channel, "update_key": key, "peer_id": peer, "payload": payload, "received_at": now}
            for key, peer, payload in items]
    stmt = _insert(dialect)(InboxUpdate).values(rows).on_conflict_do_nothing(
        index_elements=["channel", "update_key"])
    result = await session.execute(stmt)
    return result.rowcount or 0


async def pending_for_peer(session: AsyncSession, channel: str, peer_id: int, limit: int = 20) -> list[InboxUpdate]:
    rows = await session.scalars(
        select(InboxUpdate)
        .where(InboxUpdate.channel == channel, InboxUpdate.peer_id == peer_id, InboxUpdate.handled_at.is_(None))
        .order_by(InboxUpdate.id).limit(limit))
    return list(rows)


async def peers_with_backlog(session: AsyncSession, channel: str) -> list[int]:
    rows = await session.scalars(
        select(InboxUpdate.peer_id).where(InboxUpdate.channel == channel, InboxUpdate.handled_at.is_(None))
        .group_by(InboxUpdate.peer_id).order_by(func.min(InboxUpdate.id)))
    return list(rows)


async def mark_handled(session: AsyncSession, ids: Sequence[int]) -> int:
    """Mark rows handled unless someone else already did; returns how many this call marked."""
    if not ids:
        return 0
    result = await session.execute(
        update(InboxUpdate).where(InboxUpdate.id.in_(list(ids)), InboxUpdate.handled_at.is_(None))
        .values(handled_at=utcnow()))
    return result.rowcount or 0


async def backlog(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count(InboxUpdate.id)).where(InboxUpdate.handled_at.is_(None)))
               or 0)


async def journal_replies(session: AsyncSession, row_id: int, replies: list[dict[str, Any]]) -> None:
    await session.execute(update(InboxUpdate).where(InboxUpdate.id == row_id).values(replies=replies))


async def mark_replied(session: AsyncSession, row_id: int) -> bool:
    """Claim the sending of a row's replies; False when another instance already did."""
    result = await session.execute(
        update(InboxUpdate).where(InboxUpdate.id == row_id, InboxUpdate.replied_at.is_(None))
        .values(replied_at=utcnow()))
    return bool(result.rowcount)


async def unreplied(session: AsyncSession, channel: str, older_than: datetime, limit: int = 50) -> list[InboxUpdate]:
    """Handled rows whose replies were journaled but never marked sent (the instance died in between)."""
    rows = await session.scalars(
        select(InboxUpdate).where(
            InboxUpdate.channel == channel, InboxUpdate.handled_at.is_not(None), InboxUpdate.handled_at < older_than,
            InboxUpdate.replied_at.is_(None), InboxUpdate.replies.is_not(None), InboxUpdate.failed_at.is_(None))
        .order_by(InboxUpdate.id).limit(limit))
    return list(rows)


async def mark_failed(session: AsyncSession, ids: Sequence[int], error: str) -> int:
    """Set poison updates aside: handled (so the person's later updates go on) and failed, with the error."""
    if not ids:
        return 0
    now = utcnow()
    result = await session.execute(
        update(InboxUpdate).where(InboxUpdate.id.in_(list(ids)), InboxUpdate.failed_at.is_(None))
        .values(handled_at=func.coalesce(InboxUpdate.handled_at, now), failed_at=now, error=error[:200]))
    return result.rowcount or 0


async def failed(session: AsyncSession, limit: int = 50) -> list[InboxUpdate]:
    rows = await session.scalars(
        select(InboxUpdate).where(InboxUpdate.failed_at.is_not(None)).order_by(InboxUpdate.id.desc()).limit(limit))
    return list(rows)


async def failed_counts(session: AsyncSession) -> dict[str, int]:
    """Failed (poison) updates per channel."""
    rows = await session.execute(
        select(InboxUpdate.channel, func.count(InboxUpdate.id)).where(InboxUpdate.failed_at.is_not(None))
        .group_by(InboxUpdate.channel))
    return {channel: int(n) for channel, n in rows.all()}


async def requeue(session: AsyncSession, ids: Sequence[int]) -> int:
    """Put failed updates back in their person's queue (after the cause was fixed)."""
    result = await session.execute(
        update(InboxUpdate).where(InboxUpdate.id.in_(list(ids)), InboxUpdate.failed_at.is_not(None))
        .values(handled_at=None, failed_at=None, error=None, replies=None, replied_at=None))
    return result.rowcount or 0


async def forget_peer(session: AsyncSession, channel: str, peer_id: int) -> None:
    """152-ФЗ: drop the person's stored updates that are done with (handled or failed)."""
    await session.execute(delete(InboxUpdate).where(
        InboxUpdate.channel == channel, InboxUpdate.peer_id == peer_id, InboxUpdate.handled_at.is_not(None)))
