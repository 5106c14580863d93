"""The signal state machine: the only code that changes a signal's status (pure, no I/O)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from handlers.errors import IllegalTransition
from handlers.workdays import add_workdays

NEW = "new"
REJECTED = "rejected"
IN_PROGRESS = "in_progress"
ANSWER_REVIEW = "answer_review"
ANSWERED = "answered"
CLOSED = "closed"
STATUSES = (NEW, REJECTED, IN_PROGRESS, ANSWER_REVIEW, ANSWERED, CLOSED)
# how a signal ended, or that residents sent it back (signal.outcome); a plain close (👍, auto) leaves None
FIXED = "fixed"
NOT_CONFIRMED = "not_confirmed"
REOPENED = "reopened"

# transition name -> (allowed source statuses, target status)
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "accept": (frozenset({NEW}), IN_PROGRESS),
    "reject": (frozenset({NEW}), REJECTED),
    "submit_answer": (frozenset({IN_PROGRESS}), ANSWER_REVIEW),
    "return_answer": (frozenset({ANSWER_REVIEW}), IN_PROGRESS),
    "publish_answer": (frozenset({ANSWER_REVIEW}), ANSWERED),
    "close": (frozenset({ANSWERED}), CLOSED),
    "reopen": (frozenset({ANSWERED}), IN_PROGRESS),
    # «was it fixed?» may be answered after a 👍 or an auto-close already closed the signal
    "confirm_fixed": (frozenset({ANSWERED, CLOSED}), CLOSED),
    "close_unconfirmed": (frozenset({ANSWERED, CLOSED}), CLOSED),
    "reopen_not_fixed": (frozenset({ANSWERED, CLOSED}), IN_PROGRESS),
    # a «not ours» answer under review: the moderator sends the signal to another organization
    "reroute": (frozenset({ANSWER_REVIEW}), IN_PROGRESS),
}


def _due(now: datetime, workdays: int | None) -> date:
    if not workdays:
        raise ValueError("this transition needs the number of working days for the due date")
    return add_workdays(now.date(), workdays)


class Stateful:
    """What the state machine needs of a signal (the ORM row satisfies it)."""

    status: str
    accepted_at: datetime | None
    due_on: date | None
    answered_at: datetime | None
    closed_at: datetime | None
    reject_reason: str | None
    reopen_count: int
    outcome: str | None


@dataclass(frozen=True)
class Change:
    action: str
    source: str
    target: str


def target_of(action: str, current: str) -> str:
    """The status `action` leads to from `current`, or IllegalTransition."""
    if action not in TRANSITIONS:
        raise ValueError(f"unknown transition {action!r}")
    sources, target = TRANSITIONS[action]
    if current not in sources:
        raise IllegalTransition(current, target)
    return target


def apply(signal: Stateful, action: str, *, now: datetime, workdays: int | None = None,
          reason: str | None = None) -> Change:
    """Move `signal` by `action`, setting the timestamps that go with it.

    Raises IllegalTransition before touching anything when the move is not allowed.
    """
    source = signal.status
    target = target_of(action, source)
    if action == "accept":
        if not workdays:
            raise ValueError("accept needs the number of working days for the due date")
        signal.accepted_at = now
        signal.due_on = add_workdays(now.date(), workdays)
    elif action == "reject":
        if not reason:
            raise ValueError("reject needs a reason")
        signal.reject_reason = reason
        signal.closed_at = now
    elif action == "publish_answer":
        signal.answered_at = now
    elif action == "close":
        signal.closed_at = now
    elif action in ("confirm_fixed", "close_unconfirmed"):
        signal.closed_at = signal.closed_at if source == CLOSED else now
        signal.outcome = FIXED if action == "confirm_fixed" else NOT_CONFIRMED
    elif action in ("reopen", "reopen_not_fixed"):
        signal.reopen_count += 1
        signal.answered_at = None
        signal.outcome = REOPENED
        if action == "reopen_not_fixed":
            signal.closed_at = None
            signal.due_on = _due(now, workdays)
    elif action == "reroute":
        signal.accepted_at = now
        signal.due_on = _due(now, workdays)
    signal.status = target
    return Change(action, source, target)
