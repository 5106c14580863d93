"""Moderating new signals: accept (route to an organization), reject with a reason, correct category or place."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from handlers import lifecycle
from handlers import staff_texts as st
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
        task = Say(st.TASK_ASSIGNED.format(number=signal.number, municipality=esc(signal.municipality.name),
                                           category=esc(signal.category.name), due=day(signal.due_on)),
                   ((Button(st.OPEN_TASK, f"tk:{signal.id}"),),))
        for executor in executors:
            await notify(uow, f"task_assigned:{signal.id}:{executor.id}", executor, task)
        told = Say(st.RESIDENT_ACCEPTED.format(number=signal.number, organization=esc(org.name),
                                               due=day(signal.due_on)))
        await tell_subscribers(uow, f"signal_accepted:{signal.id}", signal, told)
    uow.after_commit(services.wake_outbox)
    assert signal.due_on is not None
    return Accepted(signal.number, org.name, signal.due_on, len(executors))


async def reject_reason(uow: UnitOfWork, services: Services, signal: Signal, code: str,
                        detail: str | None) -> str:
    """The plain-words reason a resident reads (validated)."""
    if code == "own":
        text = " ".join((detail or "").split())
        if not st.REASON_MIN <= len(text) <= st.REASON_MAX:
            raise DomainError(st.REASON_LENGTH.format(min=st.REASON_MIN, max=st.REASON_MAX))
        return text
    if code == "duplicate":
        original = await uow.signals.by_number(detail or "")
        if original is None:
            raise NotFound(st.DUPLICATE_UNKNOWN.format(number=esc(detail or "")))
        if original.id == signal.id:
            raise DomainError(st.DUPLICATE_SELF)
        url = services.config.portal_signal_url.format(number=original.number)
        return st.REJECT_FOR_RESIDENT[code].format(original=original.number, url=url)
    if code not in st.REJECT_FOR_RESIDENT:
        raise NotFound()
    return st.REJECT_FOR_RESIDENT[code]


async def reject(services: Services, uow: UnitOfWork, moderator: User, signal_id: int, code: str,
                 detail: str | None = None) -> str:
    """new → rejected; the residents get the reason in plain words. Returns that reason."""
    require(moderator, "moderator")
    async with guarded(uow, signal_id, MODERATION):
        signal = await staff_rules.locked(uow, signal_id)
        reason = await reject_reason(uow, services, signal, code, detail)
        await move(services, uow, signal, "reject", MODERATION, reason=reason)
        uow.signals.audit("reject", signal_id=signal.id, actor_id=moderator.id, code=code, reason=reason)
        told = Say(st.RESIDENT_REJECTED.format(number=signal.number, reason=esc(reason)))
        await tell_subscribers(uow, f"signal_rejected:{signal.id}", signal, told)
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

