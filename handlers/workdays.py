"""Working days by the Russian production calendar (weekends, holidays, transferred days off)."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from functools import lru_cache

import holidays

_SUBSTITUTED = re.compile(r"substituted from (\d{2}/\d{2}/\d{4})")


@lru_cache(maxsize=16)
def _calendar(year: int) -> tuple[frozenset[date], frozenset[date]]:
    """(days off, working weekends) around `year`.

    The `holidays` package lists public holidays and transferred days off; a transfer's name says
    which weekend day it was moved from ("Day off (substituted from 02/20/2027)"), and that weekend
    day becomes a working day unless it is itself a holiday.
    """
    cal = holidays.country_holidays("RU", years=range(year - 1, year + 2), language="en_US")
    days_off = frozenset(cal.keys())
    working = set()
    for name in cal.values():
        for found in _SUBSTITUTED.findall(name):
            source = datetime.strptime(found, "%m/%d/%Y").date()
            if source not in days_off:
                working.add(source)
    return days_off, frozenset(working)


def is_workday(day: date) -> bool:
    """True on a working day of the Russian production calendar."""
    days_off, working_weekends = _calendar(day.year)
    if day in working_weekends:
        return True
    return day.weekday() < 5 and day not in days_off


def add_workdays(start: date, workdays: int) -> date:
    """The date `workdays` working days after `start` (start itself not counted)."""
    if workdays < 0:
        raise ValueError("workdays must be non-negative")
    day = start
    left = workdays
    while left > 0:
        day += timedelta(days=1)
        if is_workday(day):
            left -= 1
    return day


def workdays_between(start: date, end: date) -> int:
    """Working days in (start, end]; negative when end is before start."""
    if end < start:
        return -workdays_between(end, start)
    count = 0
    day = start
    while day < end:
        day += timedelta(days=1)
        if is_workday(day):
            count += 1
    return count
