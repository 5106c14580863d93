"""Working days by the Russian production calendar, checked against known dates."""

from __future__ import annotations

from datetime import date

import pytest

from handlers.workdays import add_workdays, is_workday, workdays_between


@pytest.mark.parametrize(("day", "working"), [
    (date(2026, 1, 1), False),    # New Year holidays
    (date(2026, 1, 9), False),    # day off transferred from Saturday 3 January
    (date(2026, 1, 12), True),    # first working day of 2026
    (date(2026, 2, 23), False),   # Defender of the Fatherland Day
    (date(2026, 3, 9), False),    # 8 March fell on a Sunday → Monday off
    (date(2026, 5, 11), False),   # Victory Day observed
    (date(2026, 6, 12), False),   # Russia Day
    (date(2026, 11, 4), False),   # Unity Day
    (date(2026, 11, 5), True),
    (date(2026, 11, 28), False),  # a Saturday
    (date(2026, 12, 31), False),  # transferred day off
    (date(2027, 2, 20), True),    # a Saturday made a working day by the transfer to 22 February
    (date(2027, 2, 22), False),
])
def test_known_dates(day, working):
    assert is_workday(day) is working


def test_ten_working_days_across_may_holidays():
    # from Thursday 30 April 2026: 1 May off; 4-8 May = 5; 11 May off; 12-15 May = 9; 18 May = 10
    assert add_workdays(date(2026, 4, 30), 10) == date(2026, 5, 18)


def test_workdays_between_is_inverse_of_add():
    start = date(2026, 12, 25)
    for n in (0, 1, 5, 10, 20):
        assert workdays_between(start, add_workdays(start, n)) == n
