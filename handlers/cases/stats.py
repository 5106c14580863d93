"""Statistics of a filing period: whole past months from the rollup, the rest (edges, this month) exactly
from the signals; the rollup is brought up to date first (only months whose signals changed)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from handlers.statsmath import Fact, add_fact, merge, new_bucket
from storage.repos.stats import Filters
from storage.uow import UnitOfWork

Key = tuple[date, int, int, int]  # month, organization (0: none), municipality, category


@dataclass
class Report:
    """Figures of signals filed from `start` to `end` (local dates, inclusive)."""

    start: date
    end: date
    total: dict[str, Any] = field(default_factory=new_bucket)
    by_municipality: dict[int, int] = field(default_factory=dict)
    by_category: dict[int, int] = field(default_factory=dict)
    by_organization: dict[int, dict[str, Any]] = field(default_factory=dict)
    monthly: dict[date, dict[str, int]] = field(default_factory=dict)
    open_overdue: int = 0

    @property
    def overdue(self) -> int:
        return self.total["n"]["late"] + self.open_overdue


def month_of(day: date) -> date:
    return day.replace(day=1)


def next_month(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1)


def local_midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(), tz)


def _local(moment: datetime | None, tz: ZoneInfo) -> date | None:
    return moment.astimezone(tz).date() if moment is not None else None


def to_fact(row: Any, tz: ZoneInfo) -> tuple[Key, Fact]:
    created = _local(row[0], tz)
    assert created is not None
    fact = Fact(created=created, accepted=_local(row[1], tz), answered=_local(row[2], tz), due_on=row[3],
                status=row[4], reopen_count=row[5] or 0, rated=row[9] or 0, liked=row[10] or 0,
                published=row[11] is not None, flagged=bool(row[12]))
    return (month_of(created), row[6] or 0, row[7], row[8]), fact


async def raw_buckets(uow: UnitOfWork, tz: ZoneInfo, first: date, last: date,
                      filters: Filters) -> dict[Key, dict[str, Any]]:
    """Exact buckets of the signals filed from `first` to `last` (local dates, inclusive)."""
    out: dict[Key, dict[str, Any]] = defaultdict(new_bucket)
    for row in await uow.stats.facts(local_midnight(first, tz), local_midnight(last + timedelta(days=1), tz), filters):
        key, fact = to_fact(row, tz)
        add_fact(out[key], fact)
    return out


async def rebuild_month(uow: UnitOfWork, tz: ZoneInfo, month: date) -> None:
    buckets = await raw_buckets(uow, tz, month, next_month(month) - timedelta(days=1), Filters())
    await uow.stats.replace_month(month, [(org, mun, cat, data) for (_, org, mun, cat), data in buckets.items()])


async def refresh_rollup(uow: UnitOfWork, tz: ZoneInfo, now: datetime) -> int:
    """Rebuild the past months whose signals changed since the last refresh (every past month the first
    time, and months that ended since); returns how many were rebuilt. The current month is never rolled up."""
    current = month_of(now.astimezone(tz).date())
    mark = await uow.stats.watermark()
    newest, changed = await uow.stats.changed_since(mark[0] if mark else None)
    months = {month_of(_local(c, tz)) for c in changed}  # type: ignore[arg-type]
    first = await uow.stats.first_filing()
    start = next_month(mark[1]) if mark else (month_of(_local(first, tz)) if first else current)  # type: ignore[arg-type]
    month = start
    while month < current:
        months.add(month)
        month = next_month(month)
    todo = sorted(m for m in months if m < current)
    for month in todo:
        await rebuild_month(uow, tz, month)
    await uow.stats.set_watermark(newest, month_of(current - timedelta(days=1)))
    return len(todo)


async def report(uow: UnitOfWork, tz: ZoneInfo, now: datetime, start: date, end: date,
                 filters: Filters = Filters()) -> Report:
    """The figures of signals filed from `start` to `end`; exact whichever way each part is read."""
    today = now.astimezone(tz).date()
    end = min(end, today)
    current = month_of(today)
    full = []
    month = start if start.day == 1 else next_month(start)
    while next_month(month) - timedelta(days=1) <= end and month < current:
        full.append(month)
        month = next_month(month)
    buckets: list[tuple[Key, dict[str, Any]]] = []
    if full:
        await refresh_rollup(uow, tz, now)
        rows = await uow.stats.rollup(full[0], full[-1], filters)
        buckets += [((r[0], r[1], r[2], r[3]), r[4]) for r in rows]
        edges = [(start, full[0] - timedelta(days=1)), (next_month(full[-1]), end)]
    else:
        edges = [(start, end)]
    for first, last in edges:
        if first <= last:
            buckets += list((await raw_buckets(uow, tz, first, last, filters)).items())
    out = Report(start, end)
    for (month, org, mun, cat), data in buckets:
        merge(out.total, data)
        filed = data["n"]["filed"]
        out.by_municipality[mun] = out.by_municipality.get(mun, 0) + filed
        out.by_category[cat] = out.by_category.get(cat, 0) + filed
        merge(out.by_organization.setdefault(org, new_bucket()), data)
        trend = out.monthly.setdefault(month, {"filed": 0, "answered": 0})
        trend["filed"] += filed
        trend["answered"] += data["n"]["answered"]
    out.open_overdue = await uow.stats.open_overdue(local_midnight(start, tz),
                                                    local_midnight(end + timedelta(days=1), tz), filters, today)
    return out
