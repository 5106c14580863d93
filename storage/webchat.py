"""The web chat's transcript: append messages once (by dedupe key), read them after an id, wipe them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import WebMessage
from storage.repos.dialect import insert_for as _insert
from storage.types import utcnow

HISTORY_LIMIT = 200


async def append(session: AsyncSession, dialect: str, peer_id: int, direction: str,
                 payloads: Sequence[dict[str, Any]], key: str | None = None) -> int:
    """Store messages in order; with `key`, a repeated call with the same key stores nothing. Returns how
    many were stored."""
    if not payloads:
        return 0
    now = utcnow()
    rows = [{"peer_id": peer_id, "direction": direction, "payload": dict(p), "created_at": now,
             "dedupe_key": f"{key}:{i}" if key else None} for i, p in enumerate(payloads)]
    stmt = _insert(dialect)(WebMessage).values(rows).on_conflict_do_nothing(index_elements=["dedupe_key"])
    result = await session.execute(stmt)
    return result.rowcount or 0


async def after(session: AsyncSession, peer_id: int, after_id: int, limit: int = HISTORY_LIMIT
                ) -> list[WebMessage]:
    """Messages newer than `after_id`; on a first load (0) the latest `limit` of them."""
    query = select(WebMessage).where(WebMessage.peer_id == peer_id, WebMessage.id > after_id)
    if after_id == 0:
        rows = list(await session.scalars(query.order_by(WebMessage.id.desc()).limit(limit)))
        return rows[::-1]
    return list(await session.scalars(query.order_by(WebMessage.id).limit(limit)))


async def wipe(session: AsyncSession, peer_id: int, before_id: int | None = None) -> int:
    """Delete a person's transcript (152-ФЗ /forget), optionally only what came before `before_id`."""
    stmt = delete(WebMessage).where(WebMessage.peer_id == peer_id)
    if before_id is not None:
        stmt = stmt.where(WebMessage.id < before_id)
    result = await session.execute(stmt)
    return result.rowcount or 0


async def last_id(session: AsyncSession, peer_id: int) -> int:
    found = await session.scalar(select(WebMessage.id).where(WebMessage.peer_id == peer_id)
                                 .order_by(WebMessage.id.desc()).limit(1))
    return int(found or 0)
