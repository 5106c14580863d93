"""The statistics rollup kept up to date: past months as month rows, the current month as day rows; only
what changed since the last refresh (signals with newer audit events, months that ended) is rebuilt."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from handlers.statsmath import Fact, add_fact, merge, new_bucket
from storage.repos.stats import Filters, Watermark
from storage.uow import UnitOfWork

Key = tuple[date, int, int, int]  # month (or day), organization (0: none), municipality, category
GAP_SECONDS = 600  # no transaction of ours stays open this long
MAX_NEW_GAPS = 100_000  # more new ids than this at once: a bulk load, not worth tracking one by one


def month_of(day: date) -> date:
    return day.replace(day=1)


def next_month(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1)


def local_midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(), tz)


def _local(moment: datetime | None, tz: ZoneInfo) -> date | None:
    return moment.astimezone(tz).date() if moment is not None else None


def to_fact(row: Any, tz: ZoneInfo, by_day: bool = False) -> tuple[Key, Fact]:
    created = _local(row[0], tz)
    assert created is not None
    fact = Fact(created=created, accepted=_local(row[1], tz), answered=_local(row[2], tz), due_on=row[3],
                status=row[4], reopen_count=row[5] or 0, rated=row[9] or 0, liked=row[10] or 0,
                published=row[11] is not None, flagged=bool(row[12]))
    return (created if by_day else month_of(created), row[6] or 0, row[7], row[8]), fact


async def raw_buckets(uow: UnitOfWork, tz: ZoneInfo, first: date, last: date,
                      filters: Filters, *, by_day: bool = False) -> dict[Key, dict[str, Any]]:
    """Exact buckets of the signals filed from `first` to `last` (local dates, inclusive), keyed by the
    month of filing (or the day, `by_day`), organization, municipality and category."""
    out: dict[Key, dict[str, Any]] = defaultdict(new_bucket)
    for row in await uow.stats.facts(local_midnight(first, tz), local_midnight(last + timedelta(days=1), tz), filters):
        key, fact = to_fact(row, tz, by_day)
        add_fact(out[key], fact)
    return out


async def rebuild(uow: UnitOfWork, tz: ZoneInfo, first: date, last: date, *, by_day: bool) -> None:
    """Replace the rollup rows of signals filed from `first` to `last` with ones built from the signals."""
    buckets = await raw_buckets(uow, tz, first, last, Filters(), by_day=by_day)
    totals: dict[Key, dict[str, Any]] = defaultdict(new_bucket)
    for (when, org, _, _), data in buckets.items():
        merge(totals[(when, org, 0, 0)], data)
    await uow.stats.replace_range(first, last, [(*key, data) for key, data in (*buckets.items(), *totals.items())])


async def refresh_rollup(uow: UnitOfWork, tz: ZoneInfo, now: datetime) -> int:
    """Bring the rollup up to date; returns how many months and days were rebuilt. The first time every
    month is built; after that the months that ended since, and the months and days of signals with audit
    events not seen before (ids after the watermark, and ids it skipped: transactions commit out of id
    order, so a skipped id is looked for again for GAP_SECONDS)."""
    today = now.astimezone(tz).date()
    current = month_of(today)
    mark = await uow.stats.watermark()
    newest, events = await uow.stats.changed_since(mark.audit_id if mark else None, mark.gaps if mark else ())
    seen = {event_id for event_id, _ in events}
    dirty = {created.astimezone(tz).date() for _, created in events if created is not None}
    if mark is not None:
        start = next_month(mark.built_through)
    else:
        first = await uow.stats.first_filing()
        start = month_of(first.astimezone(tz).date()) if first else current
    months = {month_of(d) for d in dirty if d < current}
    month = start
    while month < current:
        months.add(month)
        month = next_month(month)
    for month in sorted(months):
        await rebuild(uow, tz, month, next_month(month) - timedelta(days=1), by_day=False)
    days = sorted(d for d in dirty if current <= d <= today)
    if mark is None or mark.days_of != current:
        await rebuild(uow, tz, current, today, by_day=True)  # this month's days, all at once
        days = [current]
    else:
        for day in days:
            await rebuild(uow, tz, day, day, by_day=True)
    await uow.stats.set_watermark(Watermark(newest, month_of(current - timedelta(days=1)), current,
                                            _gaps(mark, newest, seen, now.timestamp())))
    return len(months) + len(days)


def _gaps(mark: Watermark | None, newest: int, seen: set[int], now: float) -> dict[int, float]:
    if mark is None:
        return {}
    gaps = {i: t for i, t in mark.gaps.items() if i not in seen and now - t < GAP_SECONDS}
    if newest - mark.audit_id <= MAX_NEW_GAPS:
        gaps.update({i: now for i in range(mark.audit_id + 1, newest + 1) if i not in seen})
    return gaps
