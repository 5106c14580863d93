"""«Was it fixed?»: scheduled when a «Устранено» / «Будет устранено» answer is published, asked once of every
subscriber, settled by the first reply (fixed, or reopened with the resident's photo and comment) or by silence."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date
from typing import NamedTuple

from sqlalchemy.orm.exc import StaleDataError

from handlers import followup_texts as ft
from handlers import lifecycle
from handlers import staff_format as sf
from handlers import staff_texts as st
from handlers.cases.answer_rules import summary_lines
from handlers.cases.notify import notify
from handlers.cases.staff_rules import day, local_now
from handlers.context import Services
from handlers.errors import DomainError, Forbidden, NotFound
from handlers.texts import esc
from handlers.types import Button, Say
from handlers.workdays import add_workdays
from storage.models import Answer, Followup, Signal, User
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)
ASKED_KINDS = ("fixed", "planned")
ANSWER_ON_QUESTION = 600


def ask_day(answer: Answer, published: date, fixed_workdays: int) -> date | None:
    """The local day to ask: the first working day after the promised date, or N working days after
    a «Устранено» answer was published; None for other kinds."""
    if answer.kind == "planned" and answer.promised_on is not None:
        return add_workdays(answer.promised_on, 1)
    if answer.kind == "fixed":
        return add_workdays(published, fixed_workdays)
    return None


async def schedule(services: Services, uow: UnitOfWork, signal: Signal, answer: Answer) -> None:
    """Part of publishing an answer: the durable marker the job asks from."""
    when = ask_day(answer, local_now(services).date(), services.config.followup_fixed_workdays)
    if when is not None:
        await uow.followups.add(Followup(answer_id=answer.id, signal_id=signal.id, ask_on=when,
                                         created_at=services.now()))


def _current(signal: Signal, latest: Answer | None, answer_id: int) -> bool:
    return (signal.status in (lifecycle.ANSWERED, lifecycle.CLOSED) and latest is not None
            and latest.id == answer_id and signal.outcome not in (lifecycle.FIXED, lifecycle.NOT_CONFIRMED))


def question(services: Services, signal: Signal, answer: Answer, organization: str) -> Say:
    summary = "".join(f"{line}\n" for line in summary_lines(answer.kind, answer.promised_on, answer.competent))
    text = ft.QUESTION.format(number=signal.number, category=esc(signal.category.name), place=sf.place(signal),
                              organization=esc(organization), summary=summary,
                              text=esc(sf.trim(answer.text, ANSWER_ON_QUESTION)[0]))
    buttons = ((Button(ft.YES, f"fu:yes:{answer.id}"), Button(ft.NO, f"fu:no:{answer.id}")),)
    return Say(text, buttons, tuple(p.photo_id for p in signal.photos[:1]))


async def ask_one(services: Services, answer_id: int) -> int:
    """Ask every subscriber about one answer (or mark the question skipped when the answer is outdated);
    the marker and the outbox rows commit together. Returns how many were asked."""
    today = local_now(services).date()
    async with services.uow() as uow:
        f = await uow.followups.get(answer_id, fresh=True)
        if f is None or f.asked_at is not None or f.resolved_at is not None:
            return 0
        signal = await uow.signals.get(f.signal_id, lock=True)
        answer = await uow.answers.get(answer_id)
        if signal is None or answer is None:
            return 0
        f = await uow.followups.get(answer_id, fresh=True)  # re-read under the signal's lock
        if f is None or f.asked_at is not None or f.resolved_at is not None:
            return 0
        asked = 0
        if _current(signal, await uow.answers.latest_published(signal.id), answer_id):
            org = await uow.catalog.organization(answer.organization_id) if answer.organization_id else None
            say = question(services, signal, answer, org.name if org else "—")
            for person in await uow.users.audience(signal):
                asked += await notify(uow, f"followup:{answer_id}:{person.id}", person, say)
            f.asked_at, f.close_on = services.now(), add_workdays(today, services.config.followup_silence_workdays)
            uow.signals.audit("followup_asked", signal_id=signal.id, actor_id=None, answer_id=answer_id,
                              asked=asked, close_on=f.close_on.isoformat())
        else:
            f.resolved_at, f.outcome = services.now(), "skipped"
        await uow.commit()
        uow.after_commit(services.wake_outbox)
    return asked


async def close_silent_one(services: Services, answer_id: int) -> bool:
    """Nobody answered in time: the signal closes as «closed, not confirmed»."""
    async with services.uow() as uow:
        f = await uow.followups.get(answer_id, fresh=True)
        signal = await uow.signals.get(f.signal_id, lock=True) if f is not None else None
        f = await uow.followups.get(answer_id, fresh=True)
        if signal is None or f is None or f.resolved_at is not None:
            return False
        f.resolved_at = services.now()
        if not _current(signal, await uow.answers.latest_published(signal.id), answer_id):
            f.outcome = "skipped"
            await uow.commit()
            return False
        change = lifecycle.apply(signal, "close_unconfirmed", now=local_now(services))
        f.outcome = lifecycle.NOT_CONFIRMED
        uow.signals.audit(change.action, signal_id=signal.id, actor_id=None, answer_id=answer_id, auto=True)
        for person in await uow.users.audience(signal):
            await notify(uow, f"followup_silent:{answer_id}:{person.id}", person,
                         ft.SILENCE_CLOSED.format(number=signal.number))
        await uow.commit()
        uow.after_commit(services.wake_outbox)
    return True


class Run(NamedTuple):
    """What one run of the job did (printed by `jobs run followup`)."""

    asked: int
    closed: int

    def __str__(self) -> str:
        return f"asked {self.asked}, closed as not confirmed {self.closed}"

    def __bool__(self) -> bool:  # the scheduler logs only runs that did something
        return bool(self.asked or self.closed)


async def run(services: Services) -> Run:
    """The scheduled job: ask what is due, close what stayed silent (one transaction per answer)."""
    today = local_now(services).date()
    async with services.uow() as uow:
        to_ask, silent = await uow.followups.to_ask(today), await uow.followups.silent(today)
        await uow.commit()
    asked = closed = 0
    for answer_id in to_ask:
        try:
            asked += await ask_one(services, answer_id)
        except StaleDataError:
            log.info("answer %d: its signal changed while asking; next run", answer_id)
    for answer_id in silent:
        try:
            closed += await close_silent_one(services, answer_id)
        except StaleDataError:
            log.info("answer %d: its signal changed while closing; next run", answer_id)
    return Run(asked, closed)


async def _open(uow: UnitOfWork, user: User, answer_id: int) -> tuple[Followup, Signal, Answer]:
    """The asked question a subscriber may settle, its signal locked; polite refusals otherwise."""
    f = await uow.followups.get(answer_id)
    signal = await uow.signals.get(f.signal_id, lock=True) if f is not None else None
    answer = await uow.answers.get(answer_id)
    if f is None or signal is None or answer is None or f.asked_at is None:
        raise NotFound()
    if signal.author_id != user.id and not await uow.signals.is_subscribed(signal.id, user.id):
        raise Forbidden(ft.NOT_YOURS)
    f = await uow.followups.get(answer_id, fresh=True)
    assert f is not None
    if f.resolved_at is not None:
        raise DomainError(ft.ALREADY_MARKED.format(number=signal.number, outcome=ft.OUTCOMES.get(f.outcome or "", "—")))
    if not _current(signal, await uow.answers.latest_published(signal.id), answer_id):
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
