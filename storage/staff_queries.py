"""Read queries for moderators and executors (functions over a session; no business rules)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    Answer,
    AuditEvent,
    ExtensionRequest,
    Organization,
    Signal,
    Subscription,
    User,
)


async def pending_answers(s: AsyncSession, limit: int = 60) -> list[tuple[Answer, Signal]]:
    """Answers awaiting review with their signals, oldest first."""
    rows = await s.execute(select(Answer, Signal).join(Signal, Signal.id == Answer.signal_id)
                           .where(Answer.review_status == "pending").order_by(Answer.created_at, Answer.id)
                           .limit(limit))
    return [(a, sig) for a, sig in rows.unique()]


async def count_pending_answers(s: AsyncSession) -> int:
    return int(await s.scalar(select(func.count(Answer.id)).where(Answer.review_status == "pending")) or 0)


async def latest_answer(s: AsyncSession, signal_id: int, statuses: Iterable[str] | None = None) -> Answer | None:
    stmt = select(Answer).where(Answer.signal_id == signal_id)
    if statuses is not None:
        stmt = stmt.where(Answer.review_status.in_(tuple(statuses)))
    return await s.scalar(stmt.order_by(Answer.version.desc()).limit(1))


async def max_answer_version(s: AsyncSession, signal_id: int) -> int:
    return int(await s.scalar(select(func.max(Answer.version)).where(Answer.signal_id == signal_id)) or 0)


async def open_answers(s: AsyncSession, signal_id: int) -> Sequence[Answer]:
    """Versions still pending or returned (superseded by a new submission)."""
    rows = await s.scalars(select(Answer).where(
        Answer.signal_id == signal_id, Answer.review_status.in_(("pending", "returned"))))
    return rows.all()


async def pending_extensions(s: AsyncSession, limit: int = 60) -> list[tuple[ExtensionRequest, Signal]]:
    rows = await s.execute(select(ExtensionRequest, Signal).join(Signal, Signal.id == ExtensionRequest.signal_id)
                           .where(ExtensionRequest.status == "pending")
                           .order_by(ExtensionRequest.created_at, ExtensionRequest.id).limit(limit))
    return [(r, sig) for r, sig in rows.unique()]


async def count_pending_extensions(s: AsyncSession) -> int:
    return int(await s.scalar(select(func.count(ExtensionRequest.id))
                              .where(ExtensionRequest.status == "pending")) or 0)


async def pending_extension_for(s: AsyncSession, signal_id: int) -> ExtensionRequest | None:
    return await s.scalar(select(ExtensionRequest).where(
        ExtensionRequest.signal_id == signal_id, ExtensionRequest.status == "pending").limit(1))


async def tasks(s: AsyncSession, organization_ids: Iterable[int], limit: int = 60) -> Sequence[Signal]:
    """Signals in work for these organizations, nearest due date first."""
    ids = tuple(organization_ids)
    if not ids:
        return []
    rows = await s.scalars(select(Signal).where(Signal.status == "in_progress", Signal.organization_id.in_(ids))
                           .order_by(Signal.due_on, Signal.id).limit(limit))
    return rows.all()


async def earlier_signals_of(s: AsyncSession, signal: Signal) -> int:
    if signal.author_id is None:
        return 0
    return int(await s.scalar(select(func.count(Signal.id)).where(
        Signal.author_id == signal.author_id, Signal.id < signal.id)) or 0)


async def audience(s: AsyncSession, signal: Signal) -> list[User]:
    """Who hears about a signal: its subscribers and its author (deleted people are simply absent)."""
    rows = await s.scalars(select(User).join(Subscription, Subscription.user_id == User.id)
                           .where(Subscription.signal_id == signal.id).order_by(User.id))
    people = {u.id: u for u in rows}
    if signal.author_id is not None and signal.author_id not in people:
        author = await s.get(User, signal.author_id)
        if author is not None:
            people[author.id] = author
    return list(people.values())


async def organization_named(s: AsyncSession, name: str) -> Organization | None:
    """Case-insensitive, quote-tolerant lookup (names like «Администрация МО ГО "Ухта"»)."""
    wanted = _fold(name)
    for org in await s.scalars(select(Organization).order_by(Organization.id)):
        if _fold(org.name) == wanted:
            return org
    return None


def _fold(name: str) -> str:
    return " ".join(name.casefold().replace("«", '"').replace("»", '"').split())


async def last_actor(s: AsyncSession, signal_id: int, actions: Iterable[str]) -> User | None:
    """The person behind the latest of these audit events on a signal."""
    actor_id = await s.scalar(select(AuditEvent.actor_id).where(
        AuditEvent.signal_id == signal_id, AuditEvent.action.in_(tuple(actions)))
        .order_by(AuditEvent.id.desc()).limit(1))
    return await s.get(User, actor_id) if actor_id is not None else None


async def names(s: AsyncSession, user_ids: Iterable[int | None]) -> dict[int, str]:
    """Display names for audit trails and cards."""
    ids = {i for i in user_ids if i is not None}
    if not ids:
        return {}
    return {u.id: display(u) for u in await s.scalars(select(User).where(User.id.in_(ids)))}


def display(user: User) -> str:
    return user.display_name or user.identity
