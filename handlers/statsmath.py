"""Statistics arithmetic (pure): one signal's facts → mergeable buckets → exact medians, p90 and shares.

A bucket holds counters and histograms of whole working days, so buckets of months, organizations or
municipalities add up to the same exact figures as the signals they came from (the monthly rollup and a
raw window give identical medians)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

from handlers.workdays import is_workday

COUNTERS = ("filed", "accepted", "rejected", "answered", "closed", "late", "on_time", "due_known", "reopened",
            "rated", "liked", "published", "flagged")
EPOCH = 2000


@dataclass(frozen=True)
class Fact:
    """What statistics need of one signal; dates are local calendar dates."""

    created: date
    accepted: date | None
    answered: date | None
    due_on: date | None
    status: str
    reopen_count: int
    rated: int = 0
    liked: int = 0
    published: bool = False
    flagged: bool = False


@lru_cache(maxsize=64)
def _year_index(year: int) -> tuple[int, tuple[int, ...]]:
    """(working days from EPOCH to 1 January of `year`, working days up to and including each day of it)."""
    base = 0 if year <= EPOCH else _year_index(year - 1)[0] + _year_index(year - 1)[1][-1]
    days = (date(year + 1, 1, 1) - date(year, 1, 1)).days
    running, cumulative = 0, []
    for n in range(days):
        running += is_workday(date.fromordinal(date(year, 1, 1).toordinal() + n))
        cumulative.append(running)
    return base, tuple(cumulative)


def workday_number(day: date) -> int:
    """Working days from the epoch up to `day`: the difference of two is handlers.workdays.workdays_between."""
    base, cumulative = _year_index(day.year)
    return base + cumulative[day.timetuple().tm_yday - 1]


def workdays(start: date, end: date) -> int:
    return workday_number(end) - workday_number(start)


def new_bucket() -> dict[str, Any]:
    return {"n": dict.fromkeys(COUNTERS, 0), "ack": {}, "ans": {}}


def _count(hist: dict[str, int], value: int) -> None:
    key = str(value)
    hist[key] = hist.get(key, 0) + 1


def add_fact(bucket: dict[str, Any], f: Fact) -> None:
    n = bucket["n"]
    n["filed"] += 1
    n["rejected"] += f.status == "rejected"
    n["closed"] += f.status == "closed"
    n["reopened"] += f.reopen_count > 0
    n["rated"] += f.rated
    n["liked"] += f.liked
    n["published"] += f.published
    n["flagged"] += f.flagged
    if f.accepted is not None:
        n["accepted"] += 1
        _count(bucket["ack"], workdays(f.created, f.accepted))
    if f.answered is not None:
        n["answered"] += 1
        if f.accepted is not None:
            _count(bucket["ans"], workdays(f.accepted, f.answered))
        if f.due_on is not None:
            n["due_known"] += 1
            n["on_time"] += f.answered <= f.due_on
            n["late"] += f.answered > f.due_on


def merge(into: dict[str, Any], other: dict[str, Any]) -> dict[str, Any]:
    for key, value in other["n"].items():
        into["n"][key] = into["n"].get(key, 0) + value
    for name in ("ack", "ans"):
        mine = into[name]
        for key, value in other[name].items():
            mine[key] = mine.get(key, 0) + value
    return into


def percentile(hist: dict[str, int], q: float) -> float | None:
    """The q-quantile of the values counted in `hist`, interpolated like PostgreSQL's percentile_cont."""
    items = sorted((int(k), v) for k, v in hist.items() if v)
    total = sum(v for _, v in items)
    if not total:
        return None
    position = (total - 1) * q
    lower, upper = math.floor(position), math.ceil(position)
    return _nth(items, lower) + (_nth(items, upper) - _nth(items, lower)) * (position - lower)


def _nth(items: list[tuple[int, int]], index: int) -> int:
    seen = 0
    for value, count in items:
        seen += count
        if index < seen:
            return value
    raise IndexError(index)


def share(part: int, whole: int) -> float | None:
    return part / whole if whole else None
