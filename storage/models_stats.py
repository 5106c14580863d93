"""The statistics rollup: one row per month × organization × municipality × category of filing."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import JSON, Date, Integer
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base


class StatsMonth(Base):
    """Counters and working-day histograms (handlers/statsmath.py buckets) of the signals filed in `month`
    (its first day, local time; a day of the current month); organization_id 0 = not routed. Rows with
    municipality_id = category_id = 0 hold the sum over municipalities and categories (what a report
    without a municipality or category filter reads); `filed` is data's count, for SQL sums."""

    __tablename__ = "stats_monthly"

    month: Mapped[date] = mapped_column(Date, primary_key=True)
    organization_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    municipality_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    category_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    filed: Mapped[int] = mapped_column(Integer)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
