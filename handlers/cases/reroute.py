"""Re-routing from a «Не в нашей компетенции» answer: the moderator sends the signal to another organization,
which gets it in work with a fresh due date; the old executor and the residents are told."""

from __future__ import annotations

from handlers.cases.notify import notify
from handlers.cases.review import _reviewable, _signal_of
from handlers.cases.staff_rules import REVIEW, day, guarded, move, require
from handlers.context import Services
from handlers.errors import DomainError, NotFound
from handlers.i18n import staff_text, t
from handlers.texts import esc
from handlers.types import Button, Say
from storage.models import Organization, Signal, User
from storage.uow import UnitOfWork

ACTIONS = (*REVIEW, "reroute")


async def reroute(services: Services, uow: UnitOfWork, moderator: User, answer_id: int,
                  organization_id: int) -> tuple[Signal, Organization]:
    """answer_review → in_progress for `organization_id`; the answer is closed as «rerouted»."""
    require(moderator, "moderator")
    signal_id = await _signal_of(uow, answer_id)
    async with guarded(uow, signal_id, ACTIONS):
        signal, answer = await _reviewable(uow, signal_id, answer_id)
        if answer.kind != "not_ours":
            raise DomainError("staff-reroute-only-not-ours")
        org = await uow.catalog.organization(organization_id)
        if org is None:
            raise NotFound()
        if org.id == signal.organization_id:
            raise DomainError("staff-reroute-same")
        old = signal.organization_id
        await move(services, uow, signal, "reroute", ACTIONS, workdays=services.config.deadline_workdays)
        signal.organization_id = org.id
        answer.review_status, answer.reviewer_id, answer.reviewed_at = "rerouted", moderator.id, services.now()
        uow.signals.audit("reroute", signal_id=signal.id, actor_id=moderator.id, answer_id=answer.id,
                          from_organization_id=old, organization_id=org.id, organization=org.name,
                          competent=answer.competent, due_on=signal.due_on.isoformat() if signal.due_on else None)
        await uow.flush()
        task = Say(staff_text("staff-task-assigned", number=signal.number, municipality=esc(signal.municipality.name),
                              category=esc(signal.category.name), due=day(signal.due_on)),
                   ((Button(staff_text("staff-btn-open-task"), f"tk:{signal.id}"),),))
        for executor in await uow.users.members_of(org.id):
            await notify(uow, f"task_rerouted:{answer.id}:{executor.id}", executor, task)
        author = await uow.users.by_id(answer.author_id) if answer.author_id else None
        if author is not None and org.id not in author.organization_ids:
            await notify(uow, f"rerouted_old:{answer.id}:{author.id}", author,
                         staff_text("staff-rerouted-old", number=signal.number, organization=esc(org.name)))
        org_name, due_on = esc(org.name), signal.due_on
        for person in await uow.users.audience(signal):
            await notify(uow, f"rerouted:{answer.id}:{person.id}", person, lambda lang: t(
                lang, "notify-rerouted", number=signal.number, organization=org_name, due=day(due_on, lang)))
    uow.after_commit(services.wake_outbox)
    return signal, org
