"""Resident use cases: file a signal (moderators told), forget a person (152-ФЗ)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from handlers import texts
from handlers.cases.notify import notify
from handlers.context import Services
from handlers.errors import RateLimited
from handlers.i18n import staff_text, t
from handlers.types import Say
from handlers.workdays import add_workdays
from storage.models import Signal, User
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
        raise RateLimited(t("ru", "daily-limit", limit=services.config.max_signals_per_day))
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
    existing = await uow.photos.existing(draft.photo_ids)
    await uow.signals.add(signal, [p for p in draft.photo_ids if p in existing], author.id, now)
    uow.signals.audit("filed", signal_id=signal.id, actor_id=author.id, channel=author.channel,
                      photos=len(existing))
    municipality = await uow.catalog.municipality(draft.municipality_id)
    category = await uow.catalog.category(draft.category_id)
    note = Say(staff_text("staff-new-signal",
        number=number, municipality=texts.esc(municipality.name if municipality else "?"),
        category=texts.esc(category.name if category else "?")))
    for moderator in await uow.users.with_role("moderator"):
        await notify(uow, f"signal_filed:{signal.id}:{moderator.id}", moderator, note)
    uow.after_commit(services.wake_outbox)
    expected = add_workdays(local_now.date(), services.config.deadline_workdays)
    return Filed(signal.id, number, expected)


async def forget_person(services: Services, uow: UnitOfWork, user: User) -> None:
    """152-ФЗ: delete the person's data; signals already in work stay, without the author."""
    removed = await uow.users.forget(user)
    uow.signals.audit("person_forgotten", signal_id=None, actor_id=None, removed_signals=removed)
