"""The organization's track record on the review card, exact on a small dataset (SQLite and PostgreSQL):
brush-off share over every submitted version, reopened share over published answers, median working days
from acceptance to publication across the 4 November holiday; older answers and other organizations left out."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import event, select

from handlers import track_record
from storage.models import Answer, Category, Municipality, Organization, Signal

MSK = ZoneInfo("Europe/Moscow")


def at(day: date, hour: int = 12) -> datetime:
    return datetime.combine(day, time(hour), MSK).astimezone(UTC)


async def test_track_record_figures_are_exact(services):
    services.clock = lambda: at(date(2026, 12, 10), 10)
    async with services.uow() as uow:
        org, other = Organization(name="Администрация «Ухта»"), Organization(name="Другая")
        uow.session.add_all([org, other])
        await uow.session.flush()
        mun = await uow.session.scalar(select(Municipality).order_by(Municipality.id))
        cat = await uow.session.scalar(select(Category).order_by(Category.id))
        numbers = iter(range(1, 100))

        async def signal(accepted: date, owner: Organization = org) -> Signal:
            s = Signal(number=f"2026-{next(numbers):06d}", municipality_id=mun.id, category_id=cat.id,
                       organization_id=owner.id, description="Яма", status="answered", source_channel="telegram",
                       accepted_at=at(accepted, 9))
            uow.session.add(s)
            await uow.session.flush()
            return s

        def answer(s: Signal, created: date, status: str, flags=None, published: date | None = None,
                   reopened: bool = False, version: int = 1, owner: Organization = org) -> None:
            uow.session.add(Answer(signal_id=s.id, version=version, text="Ответ", organization_id=owner.id,
                                   review_status=status, flags=flags, created_at=at(created, 10),
                                   reviewed_at=at(published) if published else None,
                                   reopened_at=at(date(2026, 12, 1)) if reopened else None))

        s1 = await signal(date(2026, 11, 2))  # Mon; 4 Nov (Wed) is a holiday: 2 working days to Thu 5 Nov
        answer(s1, date(2026, 11, 5), "published", ["phrase"], date(2026, 11, 5), reopened=True)
        s2 = await signal(date(2026, 11, 16))  # Mon → Fri: 4 working days
        answer(s2, date(2026, 11, 20), "published", [], date(2026, 11, 20))
        s3 = await signal(date(2026, 11, 23))  # a flagged version returned, the next one published Fri: 4
        answer(s3, date(2026, 11, 24), "returned", ["no_date", "phrase"])
        answer(s3, date(2026, 11, 27), "published", None, date(2026, 11, 27), reopened=True, version=2)
        s4 = await signal(date(2026, 12, 1))
        answer(s4, date(2026, 12, 8), "pending", ["similar"])
        old = await signal(date(2026, 8, 1))  # before the 90 days
        answer(old, date(2026, 8, 20), "published", ["phrase"], date(2026, 8, 20), reopened=True)
        foreign = await signal(date(2026, 11, 2), other)
        answer(foreign, date(2026, 11, 3), "published", ["phrase"], date(2026, 11, 30), reopened=True, owner=other)
        await uow.commit()

    statements: list[str] = []

    def count(conn, cursor, statement, *args) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement)

    async with services.uow() as uow:
        event.listen(services.db.engine.sync_engine, "before_cursor_execute", count)
        try:
            record = await track_record.of(services, uow, org.id)
        finally:
            event.remove(services.db.engine.sync_engine, "before_cursor_execute", count)
        empty = await track_record.of(services, uow, 10_000)
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 1, statements
    assert record == track_record.TrackRecord(submitted=5, flagged=3, published=3, reopened=2, median_workdays=4)
    line = track_record.render(record)
    assert "3 из 5 (60 %)" in line and "2 из 3 (67 %)" in line and "4 раб. дн." in line
    assert empty == track_record.TrackRecord(0, 0, 0, 0, None)
    assert track_record.render(empty).count("—") == 3
