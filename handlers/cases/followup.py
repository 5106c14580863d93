"""«Was it fixed?»: scheduled when a «Устранено» / «Будет устранено» answer is published, asked once of every
subscriber by the job, closed as not confirmed after silence (the replies are in followup_reply)."""

from __future__ import annotations

import logging
from datetime import date
from typing import NamedTuple

from sqlalchemy.orm.exc import StaleDataError

from handlers import lifecycle, places
from handlers import staff_format as sf
from handlers.cases.answer_rules import summary_lines
from handlers.cases.notify import notify
from handlers.cases.staff_rules import local_now
from handlers.context import Services
from handlers.i18n import t
from handlers.texts import esc
from handlers.types import Button, Say
from handlers.workdays import add_workdays
from storage.models import Answer, Followup, Signal
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)
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


def current(signal: Signal, latest: Answer | None, answer_id: int) -> bool:
    return (signal.status in (lifecycle.ANSWERED, lifecycle.CLOSED) and latest is not None
            and latest.id == answer_id and signal.outcome not in (lifecycle.FIXED, lifecycle.NOT_CONFIRMED))


def question(services: Services, signal: Signal, answer: Answer, organization: str, lang: str) -> Say:
    """«Was it fixed?» with the answer, in the subscriber's language."""
    summary = "".join(f"{line}\n" for line in summary_lines(answer.kind, answer.promised_on, answer.competent, lang))
    place = sf.place(signal) if signal.latitude is not None or signal.address else t(lang, "no-place")
    text = t(lang, "notify-followup-question", number=signal.number,
             category=esc(places.category_in(services, lang, signal.category)), place=place,
             organization=esc(organization), summary=summary, text=esc(sf.trim(answer.text, ANSWER_ON_QUESTION)[0]))
    buttons = ((Button(t(lang, "btn-followup-yes"), f"fu:yes:{answer.id}"),
                Button(t(lang, "btn-followup-no"), f"fu:no:{answer.id}")),)
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
        if current(signal, await uow.answers.latest_published(signal.id), answer_id):
            org = await uow.catalog.organization(answer.organization_id) if answer.organization_id else None
            org_name = org.name if org else "—"
            for person in await uow.users.audience(signal):
                asked += await notify(uow, f"followup:{answer_id}:{person.id}", person,
                                      lambda lang: question(services, signal, answer, org_name, lang))
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
        if not current(signal, await uow.answers.latest_published(signal.id), answer_id):
            f.outcome = "skipped"
            await uow.commit()
            return False
        change = lifecycle.apply(signal, "close_unconfirmed", now=local_now(services))
        f.outcome = lifecycle.NOT_CONFIRMED
        uow.signals.audit(change.action, signal_id=signal.id, actor_id=None, answer_id=answer_id, auto=True)
        for person in await uow.users.audience(signal):
            await notify(uow, f"followup_silent:{answer_id}:{person.id}", person,
                         lambda lang: t(lang, "notify-silence-closed", number=signal.number))
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
