"""Scheduled jobs with a controllable clock: reminders across holidays, overdue list, auto-close, digest."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.bootstrap import scheduled_jobs
from bot.config import Settings
from handlers.cases import jobs
from handlers.roles import grant
from notifier.scheduler import NotifierScheduler
from storage.models import AuditEvent, Category, Municipality, Organization, OutboxMessage, Signal
from tests.integration.test_delivery import eventually

MSK = ZoneInfo("Europe/Moscow")


def at(day: date, hour: int = 9, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), MSK).astimezone(UTC)


@pytest.fixture
async def world(services):
    """A clock we move, one organization with an executor, a moderator, and a signal factory."""
    clock = {"now": at(date(2026, 1, 12))}
    services.clock = lambda: clock["now"]
    async with services.uow() as uow:
        org = Organization(name="Администрация МО ГО «Ухта»")
        uow.session.add(org)
        await uow.session.flush()
        mun = await uow.session.scalar(select(Municipality).order_by(Municipality.id))
        cat = await uow.session.scalar(select(Category).order_by(Category.id))
        executor = await grant(uow, "telegram:501", "executor", org.name)
        moderator = await grant(uow, "vk:601", "moderator")
        author = await uow.users.get_or_create("telegram", 777)
        await uow.commit()
    counter = iter(range(1, 1000))

    async def signal(status: str, **fields) -> int:
        async with services.uow() as uow:
            s = Signal(number=f"2026-{next(counter):06d}", municipality_id=mun.id, category_id=cat.id,
                       organization_id=org.id, description="Яма", status=status, source_channel="telegram",
                       created_at=fields.pop("created_at", at(date(2025, 12, 1))), **fields)
            uow.session.add(s)
            await uow.commit()
            return s.id

    class World:
        pass

    w = World()
    w.clock, w.signal, w.executor_id, w.moderator_id, w.author_id = clock, signal, executor.id, moderator.id, author.id
    return w


async def outbox_rows(services, prefix: str) -> list[OutboxMessage]:
    async with services.uow() as uow:
        rows = list(await uow.session.scalars(
            select(OutboxMessage).where(OutboxMessage.dedupe_key.like(f"{prefix}%")).order_by(OutboxMessage.id)))
        await uow.commit()
    return rows


async def test_reminders_fire_two_working_days_before_across_the_new_year_holidays(services, world):
    due = {date(2026, 1, 13): None, date(2026, 1, 14): None, date(2026, 1, 16): None}
    ids = {d: await world.signal("in_progress", due_on=d, accepted_at=at(date(2025, 12, 20))) for d in due}
    await world.signal("answer_review", due_on=date(2026, 1, 13))  # answered already: no reminder
    day = date(2025, 12, 24)
    while day <= date(2026, 1, 16):
        world.clock["now"] = at(day)
        await jobs.remind_due(services)
        assert await jobs.remind_due(services) == 0  # a second run the same morning adds nothing
        for d, signal_id in ids.items():
            if due[d] is None and await outbox_rows(services, f"reminder:{signal_id}:"):
                due[d] = day
        day += timedelta(days=1)
    # 31.12–11.01 are days off: two working days before 13.01 is 30.12; before 14.01 it is 12.01.
    assert due == {date(2026, 1, 13): date(2025, 12, 30), date(2026, 1, 14): date(2026, 1, 12),
                   date(2026, 1, 16): date(2026, 1, 14)}
    rows = await outbox_rows(services, "reminder:")
    assert len(rows) == 3 and {r.user_id for r in rows} == {world.executor_id} and rows[0].peer_id == 501
    assert "13.01.2026" in rows[0].payload[0]["text"]


async def test_an_extension_moves_the_reminder_to_the_new_date(services, world):
    signal_id = await world.signal("in_progress", due_on=date(2026, 1, 20))
    async with services.uow() as uow:  # extended before the reminder was due
        s = await uow.signals.get(signal_id)
        s.due_on = date(2026, 1, 27)
        await uow.commit()
    for day in (date(2026, 1, 16), date(2026, 1, 19), date(2026, 1, 22)):
        world.clock["now"] = at(day)
        assert await jobs.remind_due(services) == 0
    world.clock["now"] = at(date(2026, 1, 23))
    assert await jobs.remind_due(services) == 1
    assert [r.dedupe_key for r in await outbox_rows(services, "reminder:")] == [
        f"reminder:{signal_id}:2026-01-27:{world.executor_id}"]


async def test_overdue_list_goes_to_moderators_on_working_mornings_once(services, world):
    late = await world.signal("in_progress", due_on=date(2026, 1, 12))
    await world.signal("answer_review", due_on=date(2026, 1, 13))
    await world.signal("in_progress", due_on=date(2026, 1, 20))
    await world.signal("closed", due_on=date(2026, 1, 5))
    world.clock["now"] = at(date(2026, 1, 17))  # Saturday
    assert await jobs.overdue_list(services) == 0
    world.clock["now"] = at(date(2026, 1, 14))
    assert await jobs.overdue_list(services) == 1
    assert await jobs.overdue_list(services) == 0
    [row] = await outbox_rows(services, "overdue:2026-01-14:")
    text = row.payload[0]["text"]
    assert "Просроченные обращения: 2" in text and f"2026-{late:06d}" in text and row.channel == "vk"


async def test_unrated_answers_are_closed_after_n_days(services, world):
    now = world.clock["now"]
    stale = await world.signal("answered", answered_at=now - timedelta(days=15), author_id=world.author_id)
    fresh = await world.signal("answered", answered_at=now - timedelta(days=3))
    done = await world.signal("closed", answered_at=now - timedelta(days=30))
    assert await jobs.auto_close(services, after_days=14) == 1
    assert await jobs.auto_close(services, after_days=14) == 0
    async with services.uow() as uow:
        states = {i: (await uow.signals.get(i)).status for i in (stale, fresh, done)}
        events = list(await uow.session.scalars(select(AuditEvent).where(AuditEvent.signal_id == stale)))
        await uow.commit()
    assert states == {stale: "closed", fresh: "answered", done: "closed"}
    assert [(e.action, e.details.get("auto")) for e in events] == [("close", True)]
    assert len(await outbox_rows(services, f"auto_closed:{stale}:")) == 1


async def test_digest_counts_the_previous_working_day(services, world):
    day = date(2026, 1, 13)  # Tuesday: the digest covers Monday 12.01
    mon = date(2026, 1, 12)
    await world.signal("new", created_at=at(mon, 10))
    await world.signal("new", created_at=at(mon, 23, 30))
    await world.signal("new", created_at=at(day, 0, 30))  # today: not counted
    await world.signal("in_progress", accepted_at=at(mon, 11), due_on=date(2026, 1, 26))
    await world.signal("answered", accepted_at=at(mon, 8), answered_at=at(mon, 12))          # 4 h
    await world.signal("closed", accepted_at=at(mon, 9), answered_at=at(mon, 11))            # 2 h
    await world.signal("answered", accepted_at=at(date(2025, 12, 29), 10), answered_at=at(mon, 10))  # 14 d
    await world.signal("in_progress", accepted_at=at(date(2025, 12, 20)), due_on=date(2026, 1, 12))  # overdue
    world.clock["now"] = at(day, 8)
    assert await jobs.digest(services) == 1
    assert await jobs.digest(services) == 0
    [row] = await outbox_rows(services, "digest:2026-01-13:")
    text = row.payload[0]["text"]
    assert "Сводка за 12.01.2026" in text
    for expected in ("Новых обращений: 2", "Принято в работу: 3", "Опубликовано ответов: 3",
                     "Просрочено сейчас: 1", "публикации): 4 ч 0 мин"):
        assert expected in text, text


async def test_monday_digest_covers_the_weekend_and_holidays(services, world):
    await world.signal("new", created_at=at(date(2026, 1, 3), 12))
    await world.signal("new", created_at=at(date(2025, 12, 30), 12))
    world.clock["now"] = at(date(2026, 1, 12), 8)
    assert await jobs.digest(services) == 1
    [row] = await outbox_rows(services, "digest:2026-01-12:")
    assert "30.12.2025 — 11.01.2026" in row.payload[0]["text"]
    assert "Новых обращений: 2" in row.payload[0]["text"]


async def test_scheduler_runs_leader_jobs_only_on_the_leader(services, world):
    scheduler = NotifierScheduler(services, scheduled_jobs(Settings(_env_file=None), services))
    await scheduler.start()
    try:
        assert {j.id for j in scheduler.scheduler.get_jobs()} == {
            "outbox_sweep", "remind_due", "overdue_list", "digest", "auto_close", "followup"}
        await world.signal("in_progress", due_on=date(2026, 1, 14))
        await eventually(lambda: scheduler.leadership.is_leader, what="leadership")
        scheduler.leadership.is_leader = False
        await scheduler.run_now("remind_due")
        assert await outbox_rows(services, "reminder:") == []
        scheduler.leadership.is_leader = True
        await scheduler.run_now("remind_due")
        assert len(await outbox_rows(services, "reminder:")) == 1
    finally:
        await scheduler.stop()


async def test_auto_close_leaves_a_signal_whose_fixed_question_still_waits(services, world):
    from storage.models import Answer, Followup

    now = world.clock["now"]
    waiting = await world.signal("answered", answered_at=now - timedelta(days=15))
    settled = await world.signal("answered", answered_at=now - timedelta(days=15))
    async with services.uow() as uow:
        for signal_id, resolved in ((waiting, None), (settled, now)):
            answer = Answer(signal_id=signal_id, text="Заделано", review_status="published", kind="fixed")
            uow.session.add(answer)
            await uow.session.flush()
            uow.session.add(Followup(answer_id=answer.id, signal_id=signal_id, ask_on=date(2026, 1, 20),
                                     resolved_at=resolved, outcome="skipped" if resolved else None))
        await uow.commit()
    assert await jobs.auto_close(services, after_days=14) == 1
    async with services.uow() as uow:
        assert (await uow.signals.get(waiting)).status == "answered"
        assert (await uow.signals.get(settled)).status == "closed"
