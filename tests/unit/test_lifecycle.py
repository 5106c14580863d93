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
