"""Every legal and illegal status transition of the pure state machine."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest

from handlers import lifecycle
from handlers.errors import IllegalTransition

NOW = datetime(2026, 12, 28, 9, 0, tzinfo=UTC)


@dataclass
class FakeSignal:
    status: str
    accepted_at: datetime | None = None
    due_on: date | None = None
    answered_at: datetime | None = None
    closed_at: datetime | None = None
    reject_reason: str | None = None
    reopen_count: int = 0
    outcome: str | None = None


LEGAL = {(src, action) for action, (sources, _) in lifecycle.TRANSITIONS.items() for src in sources}


@pytest.mark.parametrize("status", lifecycle.STATUSES)
@pytest.mark.parametrize("action", sorted(lifecycle.TRANSITIONS))
def test_transition_table(status, action):
    signal = FakeSignal(status)
    kwargs = {"workdays": 10, "reason": "нет конкретики"}
    if (status, action) in LEGAL:
        change = lifecycle.apply(signal, action, now=NOW, **kwargs)
        assert change.source == status and signal.status == lifecycle.TRANSITIONS[action][1]
    else:
        with pytest.raises(IllegalTransition):
            lifecycle.apply(signal, action, now=NOW, **kwargs)
        assert signal == FakeSignal(status), "an illegal transition changes nothing"


def test_expected_graph():
    assert LEGAL == {
        ("new", "accept"), ("new", "reject"), ("in_progress", "submit_answer"),
        ("answer_review", "return_answer"), ("answer_review", "publish_answer"),
        ("answered", "close"), ("answered", "reopen"),
        ("answered", "confirm_fixed"), ("closed", "confirm_fixed"),
        ("answered", "close_unconfirmed"), ("closed", "close_unconfirmed"),
        ("answered", "reopen_not_fixed"), ("closed", "reopen_not_fixed"), ("answer_review", "reroute"),
    }


def test_accept_sets_due_date_in_working_days_across_new_year():
    signal = FakeSignal("new")
    lifecycle.apply(signal, "accept", now=NOW, workdays=3)
    # 29, 30 Dec are working days; 31 Dec 2026 and 1-8 Jan 2027 are days off; 11 Jan is Monday
    assert signal.due_on == date(2027, 1, 11)
    assert signal.accepted_at == NOW


def test_reject_needs_a_reason_and_reopen_counts():
    with pytest.raises(ValueError):
        lifecycle.apply(FakeSignal("new"), "reject", now=NOW)
    signal = FakeSignal("answered", answered_at=NOW)
    lifecycle.apply(signal, "reopen", now=NOW)
    assert signal.reopen_count == 1 and signal.answered_at is None and signal.status == "in_progress"


def test_followup_outcomes_distinguish_fixed_not_confirmed_and_reopened():
    fixed, silent, reopened = FakeSignal("answered"), FakeSignal("closed", closed_at=NOW), FakeSignal("closed")
    lifecycle.apply(fixed, "confirm_fixed", now=NOW)
    lifecycle.apply(silent, "close_unconfirmed", now=datetime(2027, 1, 20, tzinfo=UTC))
    lifecycle.apply(reopened, "reopen_not_fixed", now=NOW, workdays=3)
    assert (fixed.status, fixed.outcome, fixed.closed_at) == ("closed", "fixed", NOW)
    assert (silent.status, silent.outcome, silent.closed_at) == ("closed", "not_confirmed", NOW)
    assert (reopened.status, reopened.outcome, reopened.reopen_count) == ("in_progress", "reopened", 1)
    assert reopened.due_on == date(2027, 1, 11) and reopened.closed_at is None
    with pytest.raises(ValueError):
        lifecycle.apply(FakeSignal("answered"), "reopen_not_fixed", now=NOW)


def test_reroute_restarts_the_clock_for_the_new_organization():
    signal = FakeSignal("answer_review", accepted_at=datetime(2026, 12, 1, tzinfo=UTC), due_on=date(2026, 12, 15))
    lifecycle.apply(signal, "reroute", now=NOW, workdays=3)
    assert (signal.status, signal.accepted_at, signal.due_on) == ("in_progress", NOW, date(2027, 1, 11))
