"""The statistics rollup: one row per month × organization × municipality × category of filing."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import JSON, Date, Integer
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base


class StatsMonth(Base):
    """Counters and working-day histograms (handlers/statsmath.py buckets) of the signals filed in `month`
    (its first day, local time); organization_id 0 = not routed. Rebuilt per month when signals change."""

    __tablename__ = "stats_monthly"

    month: Mapped[date] = mapped_column(Date, primary_key=True)
    organization_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    municipality_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    category_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
