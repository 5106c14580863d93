"""Statistics equal figures worked out by hand: six signals filed around the 2026 New Year holidays
(31 December – 11 January are days off), read from the monthly rollup and from the raw signals."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bot.demo_data import generate
from handlers.cases import stats as uc
from handlers.stats_view import summary
from handlers.statsmath import merge as merge_buckets
from handlers.statsmath import new_bucket, percentile, share
from handlers.workdays import add_workdays
from storage.models import Answer, Organization, Rating, Signal
from storage.repos.stats import Filters

TZ = ZoneInfo("Europe/Moscow")
NOW = datetime(2026, 2, 20, 12, 0, tzinfo=TZ)


def at(day: str, hour: int = 10) -> datetime:
    return datetime.fromisoformat(f"{day}T{hour:02d}:00:00").replace(tzinfo=TZ)


async def _dataset(services) -> int:
    """S1–S6 as in the module docstring of the figures below; returns the organization id."""
    async with services.uow() as uow:
        org = Organization(name="Администрация МО «Сыктывкар»")
        uow.session.add(org)
        await uow.session.flush()
        mun = (await uow.catalog.municipalities())[0].id
        cat = (await uow.catalog.categories())[0].id
        plans = [  # created, accepted, answered, status, reopen, rating, flagged
            (at("2025-12-26"), at("2025-12-29", 11), at("2025-12-30", 15), "closed", 0, 1, False),
            (at("2025-12-29", 9), at("2025-12-29", 11), at("2026-01-12", 15), "answered", 0, -1, True),
            (at("2025-12-27"), at("2025-12-29", 12), at("2026-01-23", 15), "answered", 1, 1, False),
            (at("2025-12-29", 16), at("2025-12-30", 10), at("2026-01-22", 15), "answered", 0, None, False),
            (at("2025-12-29", 17), None, None, "rejected", 0, None, False),
            (at("2025-12-30", 9), at("2025-12-30", 12), None, "in_progress", 0, None, False),
        ]
        for n, (created, accepted, answered, status, reopen, rating, flagged) in enumerate(plans, 1):
            due = add_workdays(accepted.date(), 10) if accepted else None
            sig = Signal(number=f"2025-9{n:05d}", municipality_id=mun, category_id=cat, description=f"S{n}",
                         organization_id=org.id if accepted else None, status=status, source_channel="telegram",
                         reopen_count=reopen, created_at=created, accepted_at=accepted, due_on=due,
                         answered_at=answered)
            uow.session.add(sig)
            await uow.session.flush()
            if answered:
                ans = Answer(signal_id=sig.id, text="Ответ", organization_id=org.id, review_status="published",
                             flags=["generic_phrase"] if flagged else None)
                uow.session.add(ans)
                await uow.session.flush()
                if rating is not None:
                    uow.session.add(Rating(signal_id=sig.id, answer_id=ans.id, value=rating))
        await uow.commit()
        return org.id


def test_due_dates_across_the_holidays():
    # accepted Mon 29.12: Dec 30 is working day 1, then nothing until Mon 12.01 (2), …, Thu 22.01 (10)
    assert add_workdays(date(2025, 12, 29), 10) == date(2026, 1, 22)
    assert add_workdays(date(2025, 12, 30), 10) == date(2026, 1, 23)


@pytest.mark.parametrize("first,last", [(date(2025, 12, 1), date(2025, 12, 31)),  # a whole past month: rollup
                                        (date(2025, 12, 26), date(2025, 12, 31))])  # part of it: raw rows
async def test_figures_worked_out_by_hand(services, first, last):
    org = await _dataset(services)
    async with services.uow() as uow:
        report = await uc.report(uow, TZ, NOW, first, last)
        await uow.commit()
    n = report.total["n"]
    assert (n["filed"], n["accepted"], n["rejected"], n["answered"], n["closed"]) == (6, 5, 1, 4, 1)
    # acknowledgement in working days: S1 1 (Fri → Mon), S2 0, S3 1 (Sat → Mon), S4 1, S6 0 → 0 0 1 1 1
    assert percentile(report.total["ack"], 0.5) == 1
    assert percentile(report.total["ack"], 0.9) == 1
    # answer in working days: S1 1 (→ 30.12), S2 2 (30.12 and 12.01: the holidays count nothing),
    # S3 11 (→ 23.01), S4 9 (31.12 → 22.01) → 1 2 9 11: median (2 + 9) / 2, p90 at 2.7: 9 + 0.7 × 2
    assert percentile(report.total["ans"], 0.5) == 5.5
    assert percentile(report.total["ans"], 0.9) == pytest.approx(10.4)
    # on time: S1, S2 (12.01 ≤ 22.01), S4 (22.01 ≤ 23.01) yes; S3 (23.01 > 22.01) late → 3 of 4
    assert (n["on_time"], n["late"], n["due_known"]) == (3, 1, 4)
    assert report.open_overdue == 1 and report.overdue == 2  # S6 waits since its due date 23.01
    assert share(n["liked"], n["rated"]) == pytest.approx(2 / 3)  # 👍 S1, S3; 👎 S2
    assert (n["flagged"], n["published"]) == (1, 4)
    assert (n["reopened"], n["answered"]) == (1, 4)
    assert set(report.by_organization) == {0, org}  # the rejected one is not routed
    text = summary(report, "T", {org: "Администрация"})
    assert "медиана 5,5, 90 % — до 10,4" in text
    assert "Отвечено в срок: 75 %" in text and "довольны ответом: 67 %" in text
    assert "отписки: 25 %" in text and "открыто повторно: 25 %" in text


async def test_filters_narrow_the_figures(services):
    org = await _dataset(services)
    async with services.uow() as uow:
        mine = await uc.report(uow, TZ, NOW, date(2025, 12, 1), date(2025, 12, 31), Filters(organization_id=org))
        other = await uc.report(uow, TZ, NOW, date(2025, 12, 1), date(2025, 12, 31), Filters(organization_id=org + 1))
    assert mine.total["n"]["filed"] == 5 and other.total["n"]["filed"] == 0


async def test_rollup_equals_the_raw_rows_and_follows_changes(services):
    async with services.uow() as uow:
        await generate(uow, 600, now=NOW, tz=TZ)
        await uow.commit()
    first, last = date(2024, 1, 1), date(2026, 2, 20)  # whole months, then this month's day rows

    async def both():
        async with services.uow() as uow:
            report = await uc.report(uow, TZ, NOW, first, last)
            await uow.commit()
        async with services.uow() as uow:
            raw = new_bucket()
            for bucket in (await uc.raw_buckets(uow, TZ, first, last, Filters())).values():
                merge_buckets(raw, bucket)
        return report.total, raw

    rolled, raw = await both()
    assert rolled == raw and raw["n"]["filed"] > 100
    # an old signal changes (reopened with an audit event): its month is rebuilt on the next report
    async with services.uow() as uow:
        sig = await uow.session.scalar(select(Signal).where(
            Signal.status == "closed", Signal.reopen_count == 0,
            Signal.created_at >= datetime(2025, 3, 1, tzinfo=TZ), Signal.created_at < datetime(2025, 4, 1, tzinfo=TZ)))
        sig.reopen_count = 1
        uow.signals.audit("reopened", signal_id=sig.id, actor_id=None)
        await uow.commit()
    rolled_after, raw_after = await both()
    assert rolled_after == raw_after
    assert rolled_after["n"]["reopened"] == rolled["n"]["reopened"] + 1
    # and one filed this month (a day row of the rollup)
    async with services.uow() as uow:
        sig = await uow.session.scalar(select(Signal).where(
            Signal.reopen_count == 0, Signal.created_at >= datetime(2026, 2, 1, tzinfo=TZ)))
        sig.reopen_count = 1
        uow.signals.audit("reopened", signal_id=sig.id, actor_id=None)
        await uow.commit()
    rolled_now, raw_now = await both()
    assert rolled_now == raw_now and rolled_now["n"]["reopened"] == rolled_after["n"]["reopened"] + 1


async def test_an_event_committed_out_of_order_is_not_missed(services):
    """A transaction holding a lower audit id commits after a refresh saw a higher one: the refresh
    remembers the skipped id and rebuilds the signal's month when the event appears."""
    from storage.models import AuditEvent

    async with services.uow() as uow:
        await generate(uow, 300, now=NOW, tz=TZ)
        uow.signals.audit("filed", signal_id=1, actor_id=None)
        await uow.commit()
    first, last = date(2023, 1, 1), date(2026, 1, 31)
    async with services.uow() as uow:
        before = (await uc.report(uow, TZ, NOW, first, last)).total
        await uow.commit()
        newest = await uow.session.scalar(select(func.max(AuditEvent.id)))
    async with services.uow() as uow:  # id newest+2 commits first; newest+1 is still "in flight"
        uow.session.add(AuditEvent(id=newest + 2, signal_id=None, action="other", details={}))
        await uow.commit()
    async with services.uow() as uow:
        await uc.report(uow, TZ, NOW, first, last)
        await uow.commit()
        assert (await uow.stats.watermark()).gaps.keys() == {newest + 1}
    async with services.uow() as uow:  # now the late one commits: an old signal reopened
        sig = await uow.session.scalar(select(Signal).where(
            Signal.status == "closed", Signal.reopen_count == 0, Signal.created_at >= datetime(2023, 2, 1, tzinfo=TZ),
            Signal.created_at < datetime(2025, 6, 1, tzinfo=TZ)))
        sig.reopen_count = 1
        uow.session.add(AuditEvent(id=newest + 1, signal_id=sig.id, action="reopened", details={}))
        await uow.commit()
    async with services.uow() as uow:
        after = (await uc.report(uow, TZ, NOW, first, last)).total
        await uow.commit()
        assert (await uow.stats.watermark()).gaps == {}
    assert after["n"]["reopened"] == before["n"]["reopened"] + 1
