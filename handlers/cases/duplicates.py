"""Moderators merge a duplicate: the new signal is rejected with the original's number, its author
supports the original and its photos go to the original for the executor."""

from __future__ import annotations

from datetime import timedelta

from handlers.cases import staff_rules
from handlers.cases.notify import tell_subscribers
from handlers.cases.queue import reject_reason
from handlers.cases.staff_rules import MODERATION, guarded, move, require
from handlers.context import Services
from handlers.errors import NotFound
from handlers.i18n import t
from handlers.texts import esc
from handlers.types import Say
from storage.models import Signal, User
from storage.repos.nearby import Near
from storage.uow import UnitOfWork


async def candidates(services: Services, uow: UnitOfWork, signal: Signal) -> list[Near]:
    """Open signals of the same category within the staff radius, nearest first (not the signal itself)."""
    if signal.latitude is None or signal.longitude is None:
        return []  # a typed address: nothing to measure from
    rules = services.region.nearby
    found = await uow.nearby.open_near(signal.latitude, signal.longitude, radius_m=rules.staff_radius_m,
                                       category_id=signal.category_id, limit=rules.limit + 1,
                                       since=services.now() - timedelta(days=rules.days_for(signal.category.code)))
    return [n for n in found if n.signal.id != signal.id][: rules.limit]


async def merge_duplicate(services: Services, uow: UnitOfWork, moderator: User, signal_id: int,
                          original_id: int) -> str:
    """new → rejected as a duplicate of a nearby open signal; returns the original's number."""
    require(moderator, "moderator")
    async with guarded(uow, signal_id, MODERATION):
        signal = await staff_rules.locked(uow, signal_id)
        original = next((n.signal for n in await candidates(services, uow, signal)
                         if n.signal.id == original_id), None)
        if original is None:
            raise NotFound("staff-duplicate-not-near")
        reason = await reject_reason(uow, services, signal, "duplicate", original.number)
        await move(services, uow, signal, "reject", MODERATION, reason=reason)
        signal.duplicate_of = original.id
        uow.signals.audit("reject", signal_id=signal.id, actor_id=moderator.id, code="duplicate", reason=reason)
        # its author and its own supporters now back (and follow) the original
        for person in dict.fromkeys([signal.author_id, *await uow.supporters.of(signal.id)]):
            if person is not None and person != original.author_id and not await uow.supporters.supports(
                    original.id, person):
                await uow.supporters.add(original.id, person, services.now())
                uow.signals.audit("supported", signal_id=original.id, actor_id=person, merged_from=signal.number)
        await uow.photos.attach(original.id, [p.photo_id for p in signal.photos])
        url = services.config.portal_signal_url.format(number=original.number)

        def told(lang: str) -> Say:
            reason_in = t(lang, "reject-reason.duplicate", original=original.number, url=url)
            return Say(t(lang, "notify-rejected", number=signal.number, reason=esc(reason_in))
                       + t(lang, "notify-merged", original=original.number))

        await tell_subscribers(uow, f"signal_rejected:{signal.id}", signal, told)
    uow.after_commit(services.wake_outbox)
    return original.number
