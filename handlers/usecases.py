"""Resident use cases. Each runs inside the caller's unit of work; the caller commits once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import delete, select, update

from handlers import texts
from handlers.context import Services
from handlers.errors import RateLimited
from handlers.types import Say
from handlers.workdays import add_workdays
from storage import inbox
from storage.models import (
    DialogState,
    OutboxMessage,
    Photo,
    Rating,
    Signal,
    SignalPhoto,
    Subscription,
    User,
)
from storage.uow import UnitOfWork


@dataclass(frozen=True)
class Draft:
    municipality_id: int
    category_id: int
    description: str
    photo_ids: tuple[int, ...]
    latitude: float | None
    longitude: float | None
    address: str | None


@dataclass(frozen=True)
class Filed:
    signal_id: int
    number: str
    expected_due: date


async def submit_signal(services: Services, uow: UnitOfWork, author: User, draft: Draft) -> Filed:
    """Store the signal with its photos, an audit event and notifications for the moderators."""
    now = services.now()
    since = now - timedelta(days=1)
    if await uow.signals.count_by_author_since(author.id, since) >= services.config.max_signals_per_day:
        raise RateLimited(texts.DAILY_LIMIT.format(limit=services.config.max_signals_per_day))
    local_now = now.astimezone(services.config.tz)
    number = await uow.signals.next_number(local_now.year)
    signal = Signal(
        number=number,
        author_id=author.id,
        municipality_id=draft.municipality_id,
        category_id=draft.category_id,
        description=draft.description,
        latitude=draft.latitude,
        longitude=draft.longitude,
        address=draft.address,
        status="new",
        source_channel=author.channel,
        created_at=now,
    )
    uow.session.add(signal)
    await uow.session.flush()
    existing = set(await uow.session.scalars(select(Photo.id).where(Photo.id.in_(draft.photo_ids))))
    for position, photo_id in enumerate(p for p in draft.photo_ids if p in existing):
        uow.session.add(SignalPhoto(signal_id=signal.id, photo_id=photo_id, position=position))
    uow.session.add(Subscription(signal_id=signal.id, user_id=author.id, created_at=now))
    uow.signals.audit("filed", signal_id=signal.id, actor_id=author.id, channel=author.channel,
                      photos=len(existing))
    municipality = await uow.catalog.municipality(draft.municipality_id)
    category = await uow.catalog.category(draft.category_id)
    note = Say(texts.NEW_SIGNAL_FOR_MODERATORS.format(
        number=number, municipality=texts.esc(municipality.name if municipality else "?"),
        category=texts.esc(category.name if category else "?")))
    for moderator in await uow.users.with_role("moderator"):
        await uow.outbox.add(f"signal_filed:{signal.id}:{moderator.id}", channel=moderator.channel,
                             peer_id=moderator.external_id, user_id=moderator.id, payload=[note.to_dict()])
    uow.after_commit(services.wake_outbox)
    expected = add_workdays(local_now.date(), services.config.deadline_workdays)
    return Filed(signal.id, number, expected)


async def forget_person(services: Services, uow: UnitOfWork, user: User) -> None:
    """152-ФЗ: delete the person's data; signals already in work stay, without the author."""
    s = uow.session
    unmoderated = list(await s.scalars(
        select(Signal.id).where(Signal.author_id == user.id, Signal.status == "new")))
    if unmoderated:
        await s.execute(delete(Signal).where(Signal.id.in_(unmoderated)))
    await s.execute(update(Signal).where(Signal.author_id == user.id).values(author_id=None))
    await s.execute(update(Rating).where(Rating.user_id == user.id).values(user_id=None, comment=None))
    await s.execute(delete(Subscription).where(Subscription.user_id == user.id))
    await s.execute(delete(OutboxMessage).where(
        OutboxMessage.user_id == user.id, OutboxMessage.state.in_(("pending", "failed"))))
    await s.execute(update(DialogState).where(
        DialogState.channel == user.channel, DialogState.peer_id == user.external_id).values(step="idle", data={}))
    await inbox.forget_peer(s, user.channel, user.external_id)
    uow.signals.audit("person_forgotten", signal_id=None, actor_id=None, removed_signals=len(unmoderated))
    await s.delete(user)


def moment(value: datetime | date | None, services: Services) -> str:
    if value is None:
        return "—"
    if isinstance(value, datetime):
        return value.astimezone(services.config.tz).strftime("%d.%m.%Y %H:%M")
    return value.strftime("%d.%m.%Y")
