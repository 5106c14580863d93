"""An organization's track record for the review card: brush-off share, reopened share, median working days
to answer, over the last 90 days (one query, figures computed here)."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo

from handlers.context import Services
from handlers.i18n import staff_text
from handlers.workdays import workdays_between
from storage.repos.followups import AnswerFacts
from storage.uow import UnitOfWork

WINDOW_DAYS = 90


@dataclass(frozen=True)
class TrackRecord:
    submitted: int
    flagged: int
    published: int
    reopened: int
    median_workdays: float | None


def compute(facts: Sequence[AnswerFacts], tz: ZoneInfo) -> TrackRecord:
    """Flagged among every version submitted; reopened among the published ones; working days from the
    signal's acceptance to publication (local dates) for the published ones."""
    published = [f for f in facts if f.published]
    spans = [workdays_between(f.accepted_at.astimezone(tz).date(), f.published_at.astimezone(tz).date())
             for f in published if f.accepted_at is not None and f.published_at is not None]
    return TrackRecord(len(facts), sum(f.flagged for f in facts), len(published),
                       sum(f.reopened for f in published), statistics.median(spans) if spans else None)


async def of(services: Services, uow: UnitOfWork, organization_id: int) -> TrackRecord:
    since = services.now() - timedelta(days=WINDOW_DAYS)
    return compute(await uow.followups.answer_facts(organization_id, since), services.config.tz)


def _share(part: int, whole: int) -> str:
    if not whole:
        return staff_text("staff-track-none")
    return staff_text("staff-track-share", part=part, whole=whole, percent=round(100 * part / whole))


def render(record: TrackRecord) -> str:
    median = record.median_workdays
    shown = staff_text("staff-track-median", days=f"{median:g}") if median is not None else staff_text("staff-track-none")
    return staff_text("staff-track", days=WINDOW_DAYS, flagged=_share(record.flagged, record.submitted),
                      reopened=_share(record.reopened, record.published), median=shown)
