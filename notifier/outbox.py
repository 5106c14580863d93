"""Outbox rows as a work queue: claim due rows, then mark them sent, retried, failed or undeliverable."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import aliased

from handlers.types import Say
from notifier.context import Hub
from storage.models import OutboxMessage, User

ACTIVE = ("pending", "sending")
Row = OutboxMessage


@dataclass(frozen=True)
class Claimed:
    """A row this worker holds until `claimed_until`; (id, attempts) is the claim token."""

    id: int
    channel: str
    peer_id: int
    user_id: int | None
    payload: list[dict[str, Any]]
    attempts: int
    created_at: datetime
    claimed_until: datetime

    def replies(self) -> list[Say]:
        return [Say.from_dict(raw) for raw in self.payload]


def backoff(attempts: int, base: float, cap: float, rng: Callable[[], float] = random.random) -> float:
    """Exponential backoff with "equal jitter": half the step fixed, half random."""
    step = min(cap, base * 2 ** max(0, attempts - 1))
    return step / 2 + rng() * step / 2


async def claim(services: Hub, channel: str, *, limit: int, lease: float,
                now: datetime | None = None) -> list[Claimed]:
    """Take up to `limit` due rows, at most one per chat (the oldest unfinished), in one short transaction.

    A row is due when pending and available, or when 'sending' past its lease (its worker died). A row
    waits while an older row to the same chat is unfinished, so every chat gets its messages in id order
    even with several workers (PostgreSQL: FOR UPDATE SKIP LOCKED; SQLite: one writer, one statement).
    """
    now = now or services.now()
    o, p = aliased(Row, name="o"), aliased(Row, name="p")
    due = or_(and_(o.state == "pending", o.available_at <= now),
              and_(o.state == "sending", o.claimed_until < now))
    heads = select(func.min(p.id)).where(p.channel == channel, p.state.in_(ACTIVE)).group_by(p.peer_id)
    pick = select(o.id).where(o.id.in_(heads), due).order_by(o.id).limit(limit)
    if not services.db.is_sqlite:
        pick = pick.with_for_update(skip_locked=True, of=o)
    until = now + timedelta(seconds=lease)
    stmt = (update(Row).where(Row.id.in_(pick.scalar_subquery()))
            .values(state="sending", claimed_until=until, attempts=Row.attempts + 1)
            .returning(Row.id, Row.channel, Row.peer_id, Row.user_id, Row.payload, Row.attempts,
                       Row.created_at)
            .execution_options(synchronize_session=False))
    async with services.uow() as uow:
        rows = (await uow.session.execute(stmt)).all()
        await uow.commit()
    return sorted((Claimed(*row, claimed_until=until) for row in rows), key=lambda c: c.id)


async def finish(services: Hub, outcomes: Sequence[tuple[Claimed, dict[str, Any]]]) -> list[bool]:
    """Record several outcomes in one short transaction (a group commit); each update applies only while
    its claim still holds (same id, state 'sending' and attempts). False where the claim was lost."""
    done = []
    async with services.uow() as uow:
        for row, values in outcomes:
            result = await uow.session.execute(
                update(Row).where(Row.id == row.id, Row.state == "sending", Row.attempts == row.attempts)
                .values(claimed_until=None, **values))
            done.append(result.rowcount == 1)
        await uow.commit()
    return done


def sent(now: datetime) -> dict[str, Any]:
    return {"state": "sent", "sent_at": now, "last_error": None}


def later(row: Claimed, *, delay: float, error: str, now: datetime, count_attempt: bool = True) -> dict[str, Any]:
    """Back to pending after `delay` seconds; a platform's "slow down" (count_attempt=False) is free."""
    values: dict[str, Any] = {"state": "pending", "available_at": now + timedelta(seconds=delay),
                              "last_error": error[:500]}
    if not count_attempt:
        values["attempts"] = row.attempts - 1
    return values


def failed(error: str) -> dict[str, Any]:
    return {"state": "failed", "last_error": error[:500]}


async def mark_sent(services: Hub, row: Claimed, now: datetime | None = None) -> bool:
    return (await finish(services, [(row, sent(now or services.now()))]))[0]


async def retry_later(services: Hub, row: Claimed, *, delay: float, error: str,
                      count_attempt: bool = True, now: datetime | None = None) -> bool:
    values = later(row, delay=delay, error=error, now=now or services.now(), count_attempt=count_attempt)
    return (await finish(services, [(row, values)]))[0]


async def mark_failed(services: Hub, row: Claimed, error: str) -> bool:
    return (await finish(services, [(row, failed(error))]))[0]


async def mark_undeliverable(services: Hub, row: Claimed, error: str,
                             now: datetime | None = None) -> bool:
    """The person blocked the bot: this row and their queued ones stop; the user is marked unreachable."""
    now = now or services.now()
    async with services.uow() as uow:
        s = uow.session
        result = await s.execute(
            update(Row).where(Row.id == row.id, Row.state == "sending", Row.attempts == row.attempts)
            .values(state="undeliverable", claimed_until=None, last_error=error[:500]))
        if result.rowcount == 1:
            await s.execute(update(Row).where(Row.channel == row.channel, Row.peer_id == row.peer_id,
                                              Row.state == "pending", Row.id > row.id)
                            .values(state="undeliverable", last_error=f"peer unreachable (row {row.id})"))
            if row.user_id is not None:
                await s.execute(update(User).where(User.id == row.user_id).values(unreachable_at=now))
        await uow.commit()
    return result.rowcount == 1


async def next_due(services: Hub, channel: str) -> datetime | None:
    """When the earliest pending row becomes available or a claimed row's lease runs out."""
    async with services.uow() as uow:
        pending = await uow.session.scalar(
            select(func.min(Row.available_at)).where(Row.channel == channel, Row.state == "pending"))
        leased = await uow.session.scalar(
            select(func.min(Row.claimed_until)).where(Row.channel == channel, Row.state == "sending"))
        await uow.commit()
    found = [t for t in (pending, leased) if t is not None]
    return min(found) if found else None
