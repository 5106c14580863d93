"""A subscriber answers «Проблема решена?»: the first reply decides — «Да» closes the signal as fixed, «Нет»
reopens it for the organization with the resident's comment and photos; later presses are told «уже отмечено»."""

from __future__ import annotations

from collections.abc import Sequence

from handlers import followup_texts as ft
from handlers import lifecycle
from handlers import staff_texts as st
from handlers.cases.followup import current
from handlers.cases.notify import notify
from handlers.cases.staff_rules import day, local_now
from handlers.context import Services
from handlers.errors import DomainError, Forbidden, NotFound
from handlers.texts import esc
from handlers.types import Button, Say
from storage.models import Answer, Followup, Signal, User
from storage.uow import UnitOfWork


async def _open(uow: UnitOfWork, user: User, answer_id: int) -> tuple[Followup, Signal, Answer]:
    """The asked question a subscriber may settle, its signal locked; polite refusals otherwise."""
    f = await uow.followups.get(answer_id)
    signal = await uow.signals.get(f.signal_id, lock=True) if f is not None else None
    answer = await uow.answers.get(answer_id)
    if f is None or signal is None or answer is None or f.asked_at is None:
        raise NotFound()
    if signal.author_id != user.id and not await uow.subscriptions.follows(signal.id, user.id):
        raise Forbidden(ft.NOT_YOURS)
    f = await uow.followups.get(answer_id, fresh=True)
    assert f is not None
    if f.resolved_at is not None:
        raise DomainError(ft.ALREADY_MARKED.format(number=signal.number, outcome=ft.OUTCOMES.get(f.outcome or "", "—")))
    if not current(signal, await uow.answers.latest_published(signal.id), answer_id):
        raise DomainError(ft.OUTDATED.format(number=signal.number))
    return f, signal, answer


async def check(uow: UnitOfWork, user: User, answer_id: int) -> Signal:
    """Refuse a «Нет» press early (before asking for a photo) when it could not be recorded."""
    return (await _open(uow, user, answer_id))[1]


async def confirm_fixed(services: Services, uow: UnitOfWork, user: User, answer_id: int) -> Signal:
    f, signal, _ = await _open(uow, user, answer_id)
    change = lifecycle.apply(signal, "confirm_fixed", now=local_now(services))
    f.resolved_at, f.outcome, f.resolved_by = services.now(), lifecycle.FIXED, user.id
    uow.signals.audit(change.action, signal_id=signal.id, actor_id=user.id, answer_id=answer_id)
    await uow.flush()
    return signal


async def not_fixed(services: Services, uow: UnitOfWork, user: User, answer_id: int, comment: str | None,
                    photo_ids: Sequence[int]) -> Signal:
    """Reopen for the same organization with a fresh due date; its executors and the moderators get the
    resident's comment and photos."""
    f, signal, answer = await _open(uow, user, answer_id)
    found = await uow.photos.existing(list(photo_ids)[: ft.PHOTOS_MAX])
    photos = tuple(p for p in photo_ids if p in found)
    change = lifecycle.apply(signal, "reopen_not_fixed", now=local_now(services),
                             workdays=services.config.deadline_workdays)
    f.resolved_at, f.outcome, f.resolved_by = services.now(), lifecycle.REOPENED, user.id
    answer.reopened_at = services.now()
    uow.signals.audit(change.action, signal_id=signal.id, actor_id=user.id, answer_id=answer_id, comment=comment,
                      photos=list(photos), due_on=signal.due_on.isoformat() if signal.due_on else None,
                      reopen_count=signal.reopen_count)
    note = ft.COMMENT.format(text=esc(comment)) if comment else ""
    shown = ft.PHOTOS.format(count=len(photos)) if photos else ""
    org = await uow.catalog.organization(signal.organization_id) if signal.organization_id else None
    task = Say(ft.FOR_EXECUTORS.format(number=signal.number, municipality=esc(signal.municipality.name),
                                       category=esc(signal.category.name), due=day(signal.due_on),
                                       comment=note, photos=shown),
               ((Button(st.OPEN_TASK, f"tk:{signal.id}"),),), photos)
    for executor in await uow.users.members_of(signal.organization_id or 0):
        await notify(uow, f"followup_reopened:{answer_id}:{executor.id}", executor, task)
    told = Say(ft.FOR_MODERATORS.format(number=signal.number, organization=esc(org.name if org else "—"),
                                        comment=note, photos=shown),
               ((Button(st.OPEN_SIGNAL, f"sg:{signal.id}"),),), photos)
    for moderator in await uow.users.with_role("moderator"):
        await notify(uow, f"followup_reopened:{answer_id}:{moderator.id}", moderator, told)
    await uow.flush()
    uow.after_commit(services.wake_outbox)
    return signal
