"""Statistics arithmetic: histogram percentiles equal percentile_cont over the expanded values, working-day
numbers agree with the production calendar's workdays_between, buckets merge like the signals they hold."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from handlers.statsmath import Fact, add_fact, merge, new_bucket, percentile, workdays
from handlers.workdays import workdays_between


def percentile_cont(values: list[int], q: float) -> float:
    """PostgreSQL's definition, written out: linear interpolation between the two nearest ranks."""
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@given(st.lists(st.integers(0, 90), min_size=1, max_size=60), st.sampled_from([0.5, 0.9, 0.0, 1.0, 0.25]))
def test_histogram_percentile_is_percentile_cont(values, q):
    hist: dict[str, int] = {}
    for v in values:
        hist[str(v)] = hist.get(str(v), 0) + 1
    assert abs(percentile(hist, q) - percentile_cont(values, q)) < 1e-9


def test_empty_histogram_has_no_percentile():
    assert percentile({}, 0.5) is None and percentile({"3": 0}, 0.9) is None


@settings(deadline=None)  # the first call loads the holiday calendar
@given(st.dates(date(2019, 1, 1), date(2027, 12, 31)), st.integers(0, 400))
def test_workday_numbers_match_the_calendar(start, span):
    end = start + timedelta(days=span)
    assert workdays(start, end) == workdays_between(start, end)


def test_buckets_merge_like_their_signals():
    facts = [Fact(date(2026, 3, 2), date(2026, 3, 3), date(2026, 3, 10), date(2026, 3, 17), "answered", 0, 1, 1,
                  True, False),
             Fact(date(2026, 3, 6), date(2026, 3, 10), date(2026, 3, 31), date(2026, 3, 24), "closed", 1, 2, 0,
                  True, True),
             Fact(date(2026, 3, 7), None, None, None, "rejected", 0)]
    whole, parts = new_bucket(), [new_bucket(), new_bucket()]
    for i, f in enumerate(facts):
        add_fact(whole, f)
        add_fact(parts[i % 2], f)
    assert merge(merge(new_bucket(), parts[0]), parts[1]) == whole
    n = whole["n"]
    assert (n["filed"], n["accepted"], n["answered"], n["on_time"], n["late"], n["rated"], n["liked"]) == \
        (3, 2, 2, 1, 1, 3, 1)
    # Mon 2 → Tue 3 March: 1; Fri 6 → Tue 10: also 1 — Monday 9 March is the day off for Sunday 8 March
    assert whole["ack"] == {"1": 2}
    assert whole["ans"] == {"4": 1, "15": 1}  # 3 → 10 March: 4, 5, 6, 10; 10 → 31 March: 15
