"""Exports: signals of a period into a CSV/XLSX file (streamed, written in a worker thread), and the
open-data CSV of monthly aggregates (no personal data) from the statistics rollup."""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from handlers import exporting
from handlers.cases.stats import local_midnight, month_of, refresh_rollup
from handlers.statsmath import merge, new_bucket, percentile
from storage.repos.stats import Filters
from storage.uow import UnitOfWork

OPEN_DATA_HEADER = ("month", "municipality", "category", "organization", "filed", "accepted", "rejected",
                    "answered", "closed", "answered_on_time", "answered_late", "reopened", "answers_published",
                    "answers_flagged", "ratings", "ratings_positive", "acknowledge_workdays_median",
                    "acknowledge_workdays_p90", "answer_workdays_median", "answer_workdays_p90")


async def export_signals(uow: UnitOfWork, *, tz: ZoneInfo, first: date, last: date, fmt: str, path: Path,
                         url: str, today: date, personal: bool = False,
                         progress: Callable[[int], None] | None = None) -> int:
    """Write the signals filed from `first` to `last` (local dates) to `path`; returns the row count.
    The file appears complete or not at all (temporary file, renamed at the end)."""
    writer = await asyncio.to_thread(exporting.open_writer, fmt, path, exporting.header(personal))
    written = 0
    try:
        async for batch in uow.exports.signals(local_midnight(first, tz),
                                               local_midnight(last + timedelta(days=1), tz), personal=personal):
            rows = [exporting.row(r, tz=tz, today=today, url=url, personal=personal) for r in batch]
            await asyncio.to_thread(writer.write, rows)
            written += len(rows)
            if progress is not None:
                progress(written)
        await asyncio.to_thread(writer.close)
    except BaseException:
        await asyncio.to_thread(writer.abort)
        raise
    return written


async def count_signals(uow: UnitOfWork, tz: ZoneInfo, first: date, last: date) -> int:
    return await uow.exports.count(local_midnight(first, tz), local_midnight(last + timedelta(days=1), tz))


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


async def open_data(uow: UnitOfWork, tz: ZoneInfo, now: datetime) -> tuple[bytes, int]:
    """The open-data CSV (UTF-8) and its row count: per month × municipality × category × organization,
    counts, shares' parts and exact working-day medians / 90th percentiles. Nothing about any person."""
    await refresh_rollup(uow, tz, now)
    merged: dict[tuple[date, int, int, int], dict] = {}
    for when, org, mun, cat_id, data in await uow.stats.rollup(date(2000, 1, 1), now.astimezone(tz).date(), Filters()):
        merge(merged.setdefault((month_of(when), org, mun, cat_id), new_bucket()), data)  # this month: day rows
    rows = list(merged.items())
    cat = uow.catalog
    munis = {p.id: p.name for p in await cat.municipalities()}
    cats = {k.id: k.name for k in await cat.categories()}
    orgs = {o.id: o.name for o in await cat.organizations()}
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(OPEN_DATA_HEADER)
    for (month, org, mun, cat_id), b in sorted(rows, key=lambda kv: (kv[0][0], kv[0][2], kv[0][3], kv[0][1])):
        n = b["n"]
        writer.writerow([month.strftime("%Y-%m"), munis.get(mun, ""), cats.get(cat_id, ""), orgs.get(org, ""),
                         n["filed"], n["accepted"], n["rejected"], n["answered"], n["closed"], n["on_time"],
                         n["late"], n["reopened"], n["published"], n["flagged"], n["rated"], n["liked"],
                         _number(percentile(b["ack"], 0.5)), _number(percentile(b["ack"], 0.9)),
                         _number(percentile(b["ans"], 0.5)), _number(percentile(b["ans"], 0.9))])
    return out.getvalue().encode("utf-8-sig"), len(rows)
