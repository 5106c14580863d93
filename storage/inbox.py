"""Inbox of incoming platform updates: stored before they are acknowledged, handled exactly once."""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import JSON, TextClause, bindparam, delete, exists, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage.models import InboxUpdate
from storage.types import UTCDateTime, utcnow

INSTANCE_LOCK_NS = 0x41524931  # "ARI1": advisory lock class id of the running instances


_COLUMNS = ("channel", "update_key", "peer_id", "payload", "received_at", "instance")


@lru_cache(maxsize=64)
def _insert_rows(count: int) -> TextClause:
    """INSERT … ON CONFLICT DO NOTHING RETURNING for `count` rows. Plain SQL that both databases speak,
    so SQLAlchemy compiles it once per row count (its SQLite ON CONFLICT construct is never cached)."""
    rows = ", ".join("(" + ", ".join(f":{c}_{n}" for c in _COLUMNS) + ")" for n in range(count))
    stmt = text(f"INSERT INTO inbox ({', '.join(_COLUMNS)}) VALUES {rows} "
                "ON CONFLICT (channel, update_key) DO NOTHING RETURNING id, update_key")
    return stmt.bindparams(*(bindparam(f"payload_{n}", type_=JSON) for n in range(count)),
                           *(bindparam(f"received_at_{n}", type_=UTCDateTime()) for n in range(count)))


# PostgreSQL: one statement for any batch size (arrays unnested), so every pooled connection keeps a single
# prepared statement for it instead of one per batch size crowding the hot statements out of its cache
_PG_INSERT = text(
    "INSERT INTO inbox (channel, update_key, peer_id, payload, received_at, instance) "
    "SELECT :channel, k, p, CAST(d AS json), :now, :instance "
    "FROM unnest(CAST(:keys AS text[]), CAST(:peers AS bigint[]), CAST(:payloads AS text[])) AS t(k, p, d) "
    "ON CONFLICT (channel, update_key) DO NOTHING RETURNING id, update_key"
).bindparams(bindparam("now", type_=UTCDateTime()))


async def put_many(session: AsyncSession, dialect: str, channel: str,
                   items: Sequence[tuple[str, int, dict[str, Any]]], instance: int = 0) -> list[InboxUpdate]:
    """Store (update key, peer id, raw payload) items; a key seen before is skipped. Returns the new rows
    (detached, with their ids), so the storing instance can queue them without reading them back."""
    if not items:
        return []
    now = utcnow()
    rows = {key: {"channel": channel, "update_key": key, "peer_id": peer, "payload": payload, "received_at": now,
                  "instance": instance} for key, peer, payload in items}
    if dialect == "postgresql":
        new = sorted((await session.execute(_PG_INSERT, {
            "channel": channel, "now": now, "instance": instance, "keys": list(rows),
            "peers": [row["peer_id"] for row in rows.values()],
            "payloads": [json.dumps(row["payload"]) for row in rows.values()]})).all())
    else:
        params = {f"{c}_{n}": row[c] for n, row in enumerate(rows.values()) for c in _COLUMNS}
        new = sorted((await session.execute(_insert_rows(len(rows)), params)).all())
    return [InboxUpdate(id=row_id, **rows[key]) for row_id, key in new]


async def pending_for_peer(session: AsyncSession, channel: str, peer_id: int, limit: int = 20) -> list[InboxUpdate]:
    rows = await session.scalars(
        select(InboxUpdate)
        .where(InboxUpdate.channel == channel, InboxUpdate.peer_id == peer_id, InboxUpdate.handled_at.is_(None))
        .order_by(InboxUpdate.id).limit(limit))
    return list(rows)


async def alive_instances(session: AsyncSession, dialect: str, own: int) -> set[int]:
    """Instances that are running now. PostgreSQL: each holds an advisory lock (storage/instances.py) that
    the server drops the moment its process dies. SQLite: one process serves the file — only this one."""
    if dialect != "postgresql":
        return {own}
    rows = await session.execute(text(
        "SELECT objid::bigint FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 2"
        " AND classid::bigint = :ns AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"),
        {"ns": INSTANCE_LOCK_NS})
    return {int(r) for r in rows.scalars()} | {own}


async def orphaned_peers(session: AsyncSession, channel: str, alive: set[int]) -> list[int]:
    """People with unhandled updates stored by an instance that is gone."""
    rows = await session.scalars(
        select(InboxUpdate.peer_id).where(InboxUpdate.channel == channel, InboxUpdate.handled_at.is_(None),
                                          InboxUpdate.instance.not_in(alive))
        .group_by(InboxUpdate.peer_id).order_by(func.min(InboxUpdate.id)))
    return list(rows)


async def orphaned_replies(session: AsyncSession, channel: str, alive: set[int], limit: int = 200) -> list[InboxUpdate]:
    """Journaled replies an instance that is gone committed but never sent — only each person's latest
    handled update counts: a reply that a newer one already superseded is never sent late."""
    newer = aliased(InboxUpdate)
    rows = await session.scalars(
        select(InboxUpdate).where(
            InboxUpdate.channel == channel, InboxUpdate.replied_at.is_(None), InboxUpdate.replies.is_not(None),
            InboxUpdate.failed_at.is_(None), InboxUpdate.instance.not_in(alive),
            ~exists().where(newer.channel == InboxUpdate.channel, newer.peer_id == InboxUpdate.peer_id,
                            newer.id > InboxUpdate.id, newer.handled_at.is_not(None)))
        .order_by(InboxUpdate.id).limit(limit))
    return list(rows)


def _finish_statements() -> tuple[Any, Any, Any, Any]:
    """The turn's statements, built once (building a statement costs more than running it)."""
    earlier = aliased(InboxUpdate)
    waiting = exists().where(earlier.channel == InboxUpdate.channel, earlier.peer_id == InboxUpdate.peer_id,
                             earlier.handled_at.is_(None), earlier.id < bindparam("first"))
    mark = update(InboxUpdate).where(InboxUpdate.id.in_(bindparam("ids", expanding=True)),
                                     InboxUpdate.handled_at.is_(None), ~waiting) \
        .execution_options(synchronize_session=False)
    journal = update(InboxUpdate).where(InboxUpdate.id == bindparam("first")) \
        .values(replies=bindparam("replies", type_=JSON)).execution_options(synchronize_session=False)
    handled = select(InboxUpdate.handled_at).where(InboxUpdate.id == bindparam("first"))
    return (mark.values(handled_at=bindparam("now", type_=UTCDateTime())),
            mark.values(handled_at=bindparam("now", type_=UTCDateTime()), replies=bindparam("replies", type_=JSON)),
            journal, handled)


_MARK, _MARK_AND_JOURNAL, _JOURNAL, _HANDLED_AT = _finish_statements()
_REPLIED = update(InboxUpdate).where(InboxUpdate.id.in_(bindparam("ids", expanding=True)),
                                     InboxUpdate.replied_at.is_(None)) \
    .values(replied_at=bindparam("now", type_=UTCDateTime())).execution_options(synchronize_session=False)


async def finish_turn(session: AsyncSession, ids: Sequence[int], replies: list[dict[str, Any]] | None) -> str:
    """Mark a turn's updates handled and journal its replies, in the turn's transaction.

    Returns "done"; "duplicate" when a redelivery was handled already; "later" when an earlier update of
    the same person is still waiting (it went to another instance): the caller rolls back and handles the
    person's queue from the database, in order."""
    first, one = min(ids), len(ids) == 1 and bool(replies)
    params = {"ids": list(ids), "first": first, "now": utcnow()} | ({"replies": replies} if one else {})
    result = await session.execute(_MARK_AND_JOURNAL if one else _MARK, params)
    if not result.rowcount:
        handled = await session.scalar(_HANDLED_AT, {"first": first})
        return "duplicate" if handled is not None else "later"
    if not one and replies:
        await session.execute(_JOURNAL, {"first": first, "replies": replies})
    return "done"


async def mark_replied_many(session: AsyncSession, ids: Sequence[int]) -> int:
    """Replies of these rows went out (one statement for a whole batch)."""
    result = await session.execute(_REPLIED, {"ids": list(ids), "now": utcnow()})
    return result.rowcount or 0


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


async def claim_orphan(session: AsyncSession, row: InboxUpdate, instance: int) -> bool:
    """Take over a dead instance's journaled reply before resending it: the row becomes this instance's, so
    if this one dies too before the 'replied' mark, the next live instance resends it (at least once, like
    any reply). False when another instance took it first, it was sent, or a newer update of the same
    person was handled since the sweep read it (the reply is superseded and never sent)."""
    newer = aliased(InboxUpdate)
    superseded = exists().where(newer.channel == InboxUpdate.channel, newer.peer_id == InboxUpdate.peer_id,
                                newer.id > InboxUpdate.id, newer.handled_at.is_not(None))
    result = await session.execute(
        update(InboxUpdate).where(InboxUpdate.id == row.id, InboxUpdate.instance == row.instance,
                                  InboxUpdate.replied_at.is_(None), ~superseded)
        .values(instance=instance).execution_options(synchronize_session=False))
    return bool(result.rowcount)


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
