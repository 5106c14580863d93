"""Scheduled use cases: due-date reminders, the overdue list, auto-closing unrated answers, the daily digest.

Every job reads the time from services.now() and is idempotent: its notifications carry dedupe keys
(per signal and due date, or per day), so running it twice, or on two instances, changes nothing more.
"""

from __future__ import annotations

import logging
import statistics
from datetime import date, datetime, time, timedelta

from sqlalchemy.orm.exc import StaleDataError

from handlers import lifecycle
from handlers.cases.notify import notify
from handlers.context import Services
from handlers.i18n import staff_text, t
from handlers.moments import day
from handlers.texts import esc
from handlers.workdays import add_workdays, is_workday, workdays_between

log = logging.getLogger(__name__)
LIST_MAX = 20



def local_today(services: Services) -> date:
    return services.now().astimezone(services.config.tz).date()


async def remind_due(services: Services, *, workdays_before: int = 2) -> int:
    """Remind executors `workdays_before` working days before a signal is due (later if we missed it).

    Keyed by the due date, so an extension that moved the date brings a new reminder at the new date
    and never one for the old date."""
    today = local_today(services)
    if not is_workday(today):
        return 0
    horizon = add_workdays(today, workdays_before)
    queued = 0
    async with services.uow() as uow:
        for s in await uow.signals.due_between(today, horizon):
            text = staff_text("staff-jobs-reminder", number=s.number, due=day(s.due_on), left=workdays_between(today, s.due_on),
                                   municipality=esc(s.municipality.name), category=esc(s.category.name))
            for ex in await uow.users.members_of(s.organization_id):
                queued += await notify(uow, f"reminder:{s.id}:{s.due_on}:{ex.id}", ex, text)
        await uow.commit()
        uow.after_commit(services.wake_outbox)
    return queued


async def overdue_list(services: Services) -> int:
    """Each working morning: moderators get the list of signals past their due date (if any)."""
    today = local_today(services)
    if not is_workday(today):
        return 0
    queued = 0
    async with services.uow() as uow:
        overdue = await uow.signals.overdue(today)
        if overdue:
            lines = [staff_text("staff-jobs-overdue-title", count=len(overdue))]
            lines += [staff_text("staff-jobs-overdue-line", number=s.number, due=day(s.due_on),
                                          organization=esc(s.organization.name if s.organization else "—"),
                                          late=workdays_between(s.due_on, today)) for s in overdue[:LIST_MAX]]
            if len(overdue) > LIST_MAX:
                lines.append(staff_text("staff-jobs-more", count=len(overdue) - LIST_MAX))
            for mod in await uow.users.with_role("moderator"):
                queued += await notify(uow, f"overdue:{today}:{mod.id}", mod, "\n".join(lines))
        await uow.commit()
        uow.after_commit(services.wake_outbox)
    return queued


async def auto_close(services: Services, *, after_days: int) -> int:
    """Close answered signals whose answer got no rating within `after_days` days (one transaction each)."""
    now = services.now()
    cutoff = now - timedelta(days=after_days)
    async with services.uow() as uow:
        ids = await uow.signals.answered_before(cutoff)
        await uow.commit()
    closed = 0
    for signal_id in ids:
        try:
            async with services.uow() as uow:
                s = await uow.signals.get(signal_id, lock=True)
                if s is None or s.status != "answered" or s.answered_at is None or s.answered_at > cutoff:
                    continue
                change = lifecycle.apply(s, "close", now=now)
                uow.signals.audit(change.action, signal_id=s.id, actor_id=None, auto=True, after_days=after_days)
                author = await uow.users.by_id(s.author_id) if s.author_id else None
                if author is not None:
                    number = s.number
                    await notify(uow, f"auto_closed:{s.id}:{author.id}", author,
                                 lambda lang, number=number: t(lang, "notify-auto-closed", number=number, days=after_days))
                await uow.commit()
                uow.after_commit(services.wake_outbox)
                closed += 1
        except StaleDataError:
            log.info("signal %d changed while auto-closing; skipped", signal_id)
    return closed


def _duration(seconds: float) -> str:
    days, rest = divmod(int(seconds), 86400)
    if days:
        return staff_text("staff-jobs-days-hours", days=days, hours=rest // 3600)
    return staff_text("staff-jobs-hours-minutes", hours=rest // 3600, minutes=rest % 3600 // 60)


async def digest(services: Services) -> int:
    """Each working morning: what happened since the previous working day began, for moderators."""
    today = local_today(services)
    if not is_workday(today):
        return 0
    start_day = today - timedelta(days=1)
    while not is_workday(start_day):
        start_day -= timedelta(days=1)
    tz = services.config.tz
    start, end = (datetime.combine(d, time(), tz) for d in (start_day, today))
    period = day(start_day) if start_day == today - timedelta(days=1) else \
        f"{day(start_day)} — {day(today - timedelta(days=1))}"

    async with services.uow() as uow:
        new, accepted, pairs = await uow.signals.activity(start, end)
        spans = [(b - a).total_seconds() for a, b in pairs if a is not None]
        text = staff_text("staff-jobs-digest", period=period, new=new, accepted=accepted, answered=len(pairs),
                             overdue=len(await uow.signals.overdue(today)),
                             median=_duration(statistics.median(spans)) if spans else "—")
        queued = 0
        for mod in await uow.users.with_role("moderator"):
            queued += await notify(uow, f"digest:{today}:{mod.id}", mod, text)
        await uow.commit()
        uow.after_commit(services.wake_outbox)
    return queued
