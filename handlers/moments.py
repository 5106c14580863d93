"""Dates and times as people read them, in the region's time zone."""

from __future__ import annotations

from datetime import date, datetime

from handlers.context import Services


def moment(value: datetime | date | None, services: Services) -> str:
    if value is None:
        return "—"
    if isinstance(value, datetime):
        return value.astimezone(services.config.tz).strftime("%d.%m.%Y %H:%M")
    return value.strftime("%d.%m.%Y")
