"""Statistics of a filing period: whole past months from the rollup, the rest (edges, this month) exactly
from the signals; the rollup is brought up to date first (only months whose signals changed)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from handlers.cases.stats_rollup import Key, local_midnight, month_of, next_month, raw_buckets, refresh_rollup
from handlers.statsmath import merge, new_bucket
from storage.repos.stats import Filters
from storage.uow import UnitOfWork

__all__ = ["Report", "local_midnight", "month_of", "next_month", "raw_buckets", "refresh_rollup", "report"]



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


async def report(uow: UnitOfWork, tz: ZoneInfo, now: datetime, start: date, end: date,
                 filters: Filters = Filters()) -> Report:
    """The figures of signals filed from `start` to `end`: whole past months and this month's days from
    the rollup (brought up to date first), parts of past months from the signals themselves — exact either way."""
    today = now.astimezone(tz).date()
    end = min(end, today)
    current = month_of(today)
    rolled: list[tuple[date, date]] = []
    raw: list[tuple[date, date]] = []
    if max(start, current) <= end:
        rolled.append((max(start, current), end))  # this month: day rows
    past_end = min(end, current - timedelta(days=1))
    if start <= past_end:
        full = []
        month = start if start.day == 1 else next_month(start)
        while next_month(month) - timedelta(days=1) <= past_end:
            full.append(month)
            month = next_month(month)
        if full:
            rolled.append((full[0], full[-1]))  # month rows
            raw += [(start, full[0] - timedelta(days=1)), (next_month(full[-1]), past_end)]
        else:
            raw.append((start, past_end))
    # without a municipality or category filter the per-organization sums are enough, and the shares by
    # municipality and category are summed in the database: a few hundred rows per year instead of thousands
    totals = filters.municipality_id is None and filters.category_id is None
    buckets: list[tuple[Key, dict[str, Any]]] = []
    out = Report(start, end)
    if rolled:
        await refresh_rollup(uow, tz, now)
    for first, last in rolled:
        buckets += [((r[0], r[1], r[2], r[3]), r[4])
                    for r in await uow.stats.rollup(first, last, filters, totals=totals)]
        if totals:
            for column, into in (("municipality_id", out.by_municipality), ("category_id", out.by_category)):
                for key, filed in (await uow.stats.filed_by(first, last, filters, column)).items():
                    into[key] = into.get(key, 0) + filed
    for first, last in raw:
        if first <= last:
            buckets += list((await raw_buckets(uow, tz, first, last, filters)).items())
    for (when, org, mun, cat), data in buckets:
        filed = data["n"]["filed"]
        if mun:  # a detailed row (the sums over municipalities and categories have 0 there)
            out.by_municipality[mun] = out.by_municipality.get(mun, 0) + filed
            out.by_category[cat] = out.by_category.get(cat, 0) + filed
        merge(out.by_organization.setdefault(org, new_bucket()), data)
        trend = out.monthly.setdefault(month_of(when), {"filed": 0, "answered": 0})
        trend["filed"] += filed
        trend["answered"] += data["n"]["answered"]
    for bucket in out.by_organization.values():  # the total from a few dozen sums, not from every row
        merge(out.total, bucket)
    out.open_overdue = await uow.stats.open_overdue(local_midnight(start, tz),
                                                    local_midnight(end + timedelta(days=1), tz), filters, today)
    return out
