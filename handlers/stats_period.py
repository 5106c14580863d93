"""Statistics periods and figures as text: period codes in button payloads, dates typed by staff, shares."""

from __future__ import annotations

import re
from datetime import date, timedelta

from handlers.cases.stats import month_of

DASH = "—"  # a figure that cannot be computed (no rows)

MAX_YEARS = 10
_DATE = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})")


def _months_back(month: date, count: int) -> date:
    for _ in range(count):
        month = month_of(month - timedelta(days=1))
    return month


def resolve(code: str, today: date) -> tuple[date, date] | None:
    """(first, last) local dates of a period code: w (7 days), m (30 days), q / y (this calendar month and the
    2 / 11 before it: whole months read from the rollup), a (all time), dYYYYMMDDYYYYMMDD (typed dates)."""
    if code == "w":
        return today - timedelta(days=6), today
    if code == "m":
        return today - timedelta(days=29), today
    if code == "q":
        return _months_back(month_of(today), 2), today
    if code == "y":
        return _months_back(month_of(today), 11), today
    if code == "a":
        return date(2000, 1, 1), today
    m = re.fullmatch(r"d(\d{8})(\d{8})", code)
    if not m:
        return None
    try:
        first, last = date.fromisoformat(_iso(m[1])), date.fromisoformat(_iso(m[2]))
    except ValueError:
        return None
    return (first, last) if first <= last else None


def _iso(digits: str) -> str:
    return f"{digits[:4]}-{digits[4:6]}-{digits[6:]}"


def typed(text: str) -> str | None:
    """A period code from two typed dates («01.01.2026 – 31.03.2026»), None when they do not make one."""
    found = _DATE.findall(text)
    if len(found) != 2:
        return None
    try:
        first, last = (date(int(y), int(m), int(d)) for d, m, y in found)
    except ValueError:
        return None
    if first > last or (last - first).days > 366 * MAX_YEARS:
        return None
    return f"d{first:%Y%m%d}{last:%Y%m%d}"


def label(first: date, last: date) -> str:
    if first == date(2000, 1, 1):
        return f"за всё время (по {last:%d.%m.%Y})"
    return f"{first:%d.%m.%Y} – {last:%d.%m.%Y}"


def pct(part: float | None) -> str:
    return DASH if part is None else f"{round(100 * part)} %"


def days(value: float | None) -> str:
    if value is None:
        return DASH
    return f"{value:.1f}".rstrip("0").rstrip(".").replace(".", ",")


def number(value: int) -> str:
    return f"{value:,}".replace(",", " ")
