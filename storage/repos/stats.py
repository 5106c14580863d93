"""Statistics reads: per-signal facts of a filing window, the monthly rollup and what makes it stale."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Row, delete, func, insert, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Answer, AuditEvent, KeyValue, Rating, Signal, StatsMonth

OPEN = ("in_progress", "answer_review")
WATERMARK = "stats:audit_watermark"


@dataclass(frozen=True)
class Watermark:
    """Audit events looked at up to `audit_id`, except `gaps` (ids not seen yet: a transaction may commit
    them later; id → when first missed, epoch seconds); month rows built up to `built_through`; day rows
    of `days_of`."""

    audit_id: int
    built_through: date
    days_of: date
    gaps: dict[int, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Filters:
    """Optional narrowing of statistics: one municipality, category or organization (ids)."""

    municipality_id: int | None = None
    category_id: int | None = None
    organization_id: int | None = None

    def where(self, columns: tuple[Any, Any, Any]) -> list[Any]:
        mun, cat, org = columns
        out = []
        if self.municipality_id is not None:
            out.append(mun == self.municipality_id)
        if self.category_id is not None:
            out.append(cat == self.category_id)
        if self.organization_id is not None:
            out.append(org == self.organization_id)
        return out


def fact_columns() -> list[Any]:
    rated = select(func.count()).where(Rating.signal_id == Signal.id).scalar_subquery()
    liked = select(func.count()).where(Rating.signal_id == Signal.id, Rating.value > 0).scalar_subquery()
    published = (select(Answer.id).where(Answer.signal_id == Signal.id, Answer.review_status == "published")
                 .order_by(Answer.version.desc()).limit(1).scalar_subquery())
    flags = (select(Answer.flags).where(Answer.signal_id == Signal.id, Answer.review_status == "published")
             .order_by(Answer.version.desc()).limit(1).scalar_subquery())
    return [Signal.created_at, Signal.accepted_at, Signal.answered_at, Signal.due_on, Signal.status,
            Signal.reopen_count, Signal.organization_id, Signal.municipality_id, Signal.category_id,
            rated, liked, published, flags]


class Stats:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def facts(self, start: datetime, end: datetime, filters: Filters) -> Sequence[Row[Any]]:
        """Per signal filed in [start, end): the columns of fact_columns() (index on created_at)."""
        stmt = (select(*fact_columns()).where(Signal.created_at >= start, Signal.created_at < end,
                                              *filters.where(_signal_keys())))
        return (await self.s.execute(stmt)).all()

    async def open_overdue(self, start: datetime, end: datetime, filters: Filters, today: date) -> int:
        """Signals filed in [start, end) still waiting for an answer after their due date."""
        stmt = select(func.count()).where(Signal.status.in_(OPEN), Signal.due_on < today,
                                          Signal.created_at >= start, Signal.created_at < end,
                                          *filters.where(_signal_keys()))
        return int(await self.s.scalar(stmt) or 0)

    async def first_filing(self) -> datetime | None:
        return await self.s.scalar(select(func.min(Signal.created_at)))

    async def rollup(self, first: date, last: date, filters: Filters, *, totals: bool = False) -> Sequence[Row[Any]]:
        """(month, organization_id, municipality_id, category_id, data) keyed first..last: the detailed rows,
        or (`totals`) the sums over municipalities and categories — per month and organization only."""
        m = StatsMonth
        stmt = (select(m.month, m.organization_id, m.municipality_id, m.category_id, m.data)
                .where(m.month >= first, m.month <= last, (m.municipality_id == 0) if totals else (m.municipality_id != 0),
                       *filters.where((m.municipality_id, m.category_id, m.organization_id))))
        return (await self.s.execute(stmt)).all()

    async def filed_by(self, first: date, last: date, filters: Filters, column: str) -> dict[int, int]:
        """Signals filed per municipality or category (`column`) keyed first..last, summed in the database."""
        m = StatsMonth
        key = getattr(m, column)
        stmt = (select(key, func.sum(m.filed)).where(m.month >= first, m.month <= last, m.municipality_id != 0,
                                                      *filters.where((m.municipality_id, m.category_id,
                                                                      m.organization_id)))
                .group_by(key))
        return {k: int(v) for k, v in (await self.s.execute(stmt)).all()}

    async def replace_range(self, first: date, last: date,
                            rows: Iterable[tuple[date, int, int, int, dict[str, Any]]]) -> None:
        """Rows keyed first..last (a month's first day, or a day of the current month) replaced by `rows`."""
        await self.s.execute(delete(StatsMonth).where(StatsMonth.month >= first, StatsMonth.month <= last))
        values = [{"month": when, "organization_id": org, "municipality_id": mun, "category_id": cat,
                   "filed": data["n"]["filed"], "data": data} for when, org, mun, cat, data in rows]
        if values:
            await self.s.execute(insert(StatsMonth), values)

    async def changed_since(self, watermark: int | None, gaps: Iterable[int] = ()) -> tuple[int, list[tuple[int, datetime | None]]]:
        """(the newest audit event id, (event id, its signal's filing time) of the events after `watermark`
        or among `gaps` — ids skipped earlier, perhaps of transactions not yet committed)."""
        newest = int(await self.s.scalar(select(func.max(AuditEvent.id))) or 0)
        if watermark is None:
            return newest, []
        stmt = (select(AuditEvent.id, Signal.created_at).outerjoin(Signal, Signal.id == AuditEvent.signal_id)
                .where(or_(AuditEvent.id > watermark, AuditEvent.id.in_(list(gaps)))))
        return max(newest, watermark), [(i, c) for i, c in (await self.s.execute(stmt)).all()]

    async def watermark(self) -> Watermark | None:
        """How far the rollup is built; None before the first build."""
        row = await self.s.get(KeyValue, WATERMARK)
        if row is None:
            return None
        raw = json.loads(row.value)
        return Watermark(raw["audit"], date.fromisoformat(raw["built"]), date.fromisoformat(raw["days"]),
                         {int(k): v for k, v in raw.get("gaps", {}).items()})

    async def forget_watermark(self) -> None:
        """The next refresh rebuilds every month (after deletions that left no audit event)."""
        await self.s.execute(delete(KeyValue).where(KeyValue.key == WATERMARK))

    async def set_watermark(self, mark: Watermark) -> None:
        value = json.dumps({"audit": mark.audit_id, "built": mark.built_through.isoformat(),
                            "days": mark.days_of.isoformat(), "gaps": {str(k): v for k, v in mark.gaps.items()}})
        row = await self.s.get(KeyValue, WATERMARK)
        if row is None:
            self.s.add(KeyValue(key=WATERMARK, value=value))
        else:
            row.value = value
        await self.s.flush()


def _signal_keys() -> tuple[Any, Any, Any]:
    return Signal.municipality_id, Signal.category_id, Signal.organization_id
