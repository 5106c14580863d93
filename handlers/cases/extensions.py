"""Extensions: an executor asks for more working days, a moderator approves (residents told) or declines."""

from __future__ import annotations

from handlers import lifecycle, limits
from handlers import staff_format as sf
from handlers.cases import staff_rules
from handlers.cases.notify import notify, tell_subscribers
from handlers.cases.staff_rules import (
    day,
    guarded,
    handled_by,
    local_now,
    member,
    require,
)
from handlers.context import Services
from handlers.errors import DomainError, NotFound
from handlers.i18n import staff_text, t
from handlers.texts import esc
from handlers.types import Button, Say
from handlers.workdays import add_workdays
from storage.models import ExtensionRequest, Signal, User
from storage.uow import UnitOfWork

MAX_EXTENSION = 30


async def request_extension(services: Services, uow: UnitOfWork, executor: User, signal_id: int, reason: str,
                            workdays: int) -> ExtensionRequest:
    """Ask the moderators to move the due date by `workdays` working days."""
    reason = " ".join(reason.split())
    if not limits.REASON_MIN <= len(reason) <= limits.REASON_MAX:
        raise DomainError("staff-reason-length", min=limits.REASON_MIN, max=limits.REASON_MAX)
    if not 1 <= workdays <= MAX_EXTENSION:
        raise DomainError("staff-ext-days-bad", max=MAX_EXTENSION)
    async with guarded(uow, signal_id, ("extension_requested",)):
        signal = await staff_rules.locked(uow, signal_id)
        member(executor, signal.organization_id)
        if signal.status not in (lifecycle.IN_PROGRESS, lifecycle.ANSWER_REVIEW):
            raise DomainError("staff-not-in-work", number=signal.number, status=sf.status_name(signal.status))
        if await uow.extensions.pending_for(signal.id) is not None:
            raise DomainError("staff-ext-already", number=signal.number)
        request = ExtensionRequest(signal_id=signal.id, requested_by=executor.id, reason=reason,
                                   workdays=workdays, status="pending", created_at=services.now())
        await uow.extensions.add(request)
        uow.signals.audit("extension_requested", signal_id=signal.id, actor_id=executor.id,
                          request_id=request.id, workdays=workdays, reason=reason)
        org = await uow.catalog.organization(signal.organization_id) if signal.organization_id else None
        note = Say(staff_text("staff-extension-for-moderators",
            organization=esc(org.name if org else "—"), number=signal.number, days=workdays,
            due=day(signal.due_on), reason=esc(reason)),
            ((Button(staff_text("staff-btn-ext-approve"), f"exa:{request.id}"), Button(staff_text("staff-btn-ext-decline"), f"exd:{request.id}")),))
        for moderator in await uow.users.with_role("moderator"):
            await notify(uow, f"extension_requested:{request.id}:{moderator.id}", moderator, note)
    uow.after_commit(services.wake_outbox)
    return request


async def decide_extension(services: Services, uow: UnitOfWork, moderator: User, request_id: int,
                           approve: bool) -> tuple[Signal, ExtensionRequest]:
    """Approve (due date moved by working days from the current one; residents told) or decline."""
    require(moderator, "moderator")
    first = await uow.extensions.get(request_id)
    if first is None:
        raise NotFound()
    async with guarded(uow, first.signal_id, ("extend", "extension_declined")):
        signal = await staff_rules.locked(uow, first.signal_id)
        request = await uow.extensions.get(request_id, fresh=True)
        assert request is not None
        if request.status != "pending":
            raise await handled_by(uow, request.decided_by)
        if approve and signal.status not in (lifecycle.IN_PROGRESS, lifecycle.ANSWER_REVIEW):
            raise DomainError("staff-not-in-work", number=signal.number, status=sf.status_name(signal.status))
        request.status = "approved" if approve else "declined"
        request.decided_by, request.decided_at = moderator.id, services.now()
        old_due = signal.due_on
        if approve:
            signal.due_on = add_workdays(old_due or local_now(services).date(), request.workdays)
        uow.signals.audit("extend" if approve else "extension_declined", signal_id=signal.id,
                          actor_id=moderator.id, request_id=request.id, workdays=request.workdays,
                          old_due=old_due.isoformat() if old_due else None,
                          new_due=signal.due_on.isoformat() if signal.due_on else None)
        requester = await uow.users.by_id(request.requested_by) if request.requested_by else None
        if requester is not None:
            decided = "staff-executor-ext-approved" if approve else "staff-executor-ext-declined"
            await notify(uow, f"extension_decided:{request.id}:{requester.id}", requester,
                         Say(staff_text(decided, number=signal.number, due=day(signal.due_on))))
        if approve:
            due_on, reason = signal.due_on, esc(request.reason)
            await tell_subscribers(uow, f"signal_extended:{request.id}", signal, lambda lang: Say(
                t(lang, "notify-extended", number=signal.number, due=day(due_on, lang), reason=reason)))
    uow.after_commit(services.wake_outbox)
    return signal, request
