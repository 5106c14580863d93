"""Moderating new signals: accept (route to an organization), reject with a reason, correct category or place."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from handlers import lifecycle, limits
from handlers.cases import staff_rules
from handlers.cases.notify import notify, tell_subscribers
from handlers.cases.staff_rules import (
    MODERATION,
    day,
    guarded,
    move,
    require,
    who_handled,
)
from handlers.context import Services
from handlers.errors import AlreadyHandled, DomainError, NotFound
from handlers.i18n import LANGUAGES, staff_text, t
from handlers.texts import esc
from handlers.types import Button, Say
from storage.models import Signal, User
from storage.uow import UnitOfWork


@dataclass(frozen=True)
class Accepted:
    number: str
    organization: str
    due_on: date
    executors: int


async def accept(services: Services, uow: UnitOfWork, moderator: User, signal_id: int,
                 organization_id: int) -> Accepted:
    """new → in_progress for an organization; its executors and the residents are told."""
    require(moderator, "moderator")
    async with guarded(uow, signal_id, MODERATION):
        signal = await staff_rules.locked(uow, signal_id)
        org = await uow.catalog.organization(organization_id)
        if org is None:
            raise NotFound()
        await move(services, uow, signal, "accept", MODERATION, workdays=services.config.deadline_workdays)
        signal.organization_id = org.id
        uow.signals.audit("accept", signal_id=signal.id, actor_id=moderator.id, organization_id=org.id,
                          organization=org.name, due_on=signal.due_on.isoformat() if signal.due_on else None)
        await uow.flush()
        executors = await uow.users.members_of(org.id)
        task = Say(staff_text("staff-task-assigned", number=signal.number, municipality=esc(signal.municipality.name),
                                           category=esc(signal.category.name), due=day(signal.due_on)),
                   ((Button(staff_text("staff-btn-open-task"), f"tk:{signal.id}"),),))
        for executor in executors:
            await notify(uow, f"task_assigned:{signal.id}:{executor.id}", executor, task)
        org_name, due_on = esc(org.name), signal.due_on
        await tell_subscribers(uow, f"signal_accepted:{signal.id}", signal, lambda lang: Say(
            t(lang, "notify-accepted", number=signal.number, organization=org_name, due=day(due_on, lang))))
    uow.after_commit(services.wake_outbox)
    assert signal.due_on is not None
    return Accepted(signal.number, org.name, signal.due_on, len(executors))


async def reject_reason(uow: UnitOfWork, services: Services, signal: Signal, code: str,
                        detail: str | None, lang: str = "ru") -> str:
    """The plain-words reason a resident reads (validated), in `lang` (a moderator's own words as typed)."""
    if code == "own":
        text = " ".join((detail or "").split())
        if not limits.REASON_MIN <= len(text) <= limits.REASON_MAX:
            raise DomainError("staff-reason-length", min=limits.REASON_MIN, max=limits.REASON_MAX)
        return text
    if code == "duplicate":
        original = await uow.signals.by_number(detail or "")
        if original is None:
            raise NotFound("staff-duplicate-unknown", number=esc(detail or ""))
        if original.id == signal.id:
            raise DomainError("staff-duplicate-self")
        url = services.config.portal_signal_url.format(number=original.number)
        return t(lang, f"reject-reason.{code}", original=original.number, url=url)
    if code not in limits.REJECT_CODES:
        raise NotFound()
    return t(lang, f"reject-reason.{code}")


async def reject(services: Services, uow: UnitOfWork, moderator: User, signal_id: int, code: str,
                 detail: str | None = None) -> str:
    """new → rejected; the residents get the reason in plain words. Returns that reason."""
    require(moderator, "moderator")
    async with guarded(uow, signal_id, MODERATION):
        signal = await staff_rules.locked(uow, signal_id)
        reason = await reject_reason(uow, services, signal, code, detail)
        await move(services, uow, signal, "reject", MODERATION, reason=reason)
        uow.signals.audit("reject", signal_id=signal.id, actor_id=moderator.id, code=code, reason=reason)
        told = {lang: Say(t(lang, "notify-rejected", number=signal.number, reason=esc(
            await reject_reason(uow, services, signal, code, detail, lang)))) for lang in LANGUAGES}
        await tell_subscribers(uow, f"signal_rejected:{signal.id}", signal, told.__getitem__)
    uow.after_commit(services.wake_outbox)
    return reason


async def edit(services: Services, uow: UnitOfWork, moderator: User, signal_id: int, *,
               category_id: int | None = None, municipality_id: int | None = None) -> Signal:
    """Change a new signal's category or municipality (before routing)."""
    require(moderator, "moderator")
    async with guarded(uow, signal_id, MODERATION):
        signal = await staff_rules.locked(uow, signal_id)
        if signal.status != lifecycle.NEW:
            raise AlreadyHandled(await who_handled(uow, signal.id, MODERATION))
        if category_id is not None:
            if await uow.catalog.category(category_id) is None:
                raise NotFound()
            old, signal.category_id, field = signal.category_id, category_id, "category_id"
        elif municipality_id is not None:
            if await uow.catalog.municipality(municipality_id) is None:
                raise NotFound()
            old, signal.municipality_id, field = signal.municipality_id, municipality_id, "municipality_id"
        else:
            raise ValueError("nothing to change")
        uow.signals.audit("edit", signal_id=signal.id, actor_id=moderator.id, field=field, old=old,
                          new=getattr(signal, field))
    return signal

