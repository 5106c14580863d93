"""«Was it fixed?»: one row per published «Устранено» / «Будет устранено» answer, the durable marker of asking."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base
from storage.types import UTCDateTime, utcnow


class Followup(Base):
    """ask_on: the local day the subscribers are asked; asked_at: when they were (never twice);
    close_on: the day silence closes the signal as not confirmed; outcome: fixed, reopened, not_confirmed,
    or skipped (the answer was outdated when its day came)."""

    __tablename__ = "followups"
    __table_args__ = (Index("ix_followups_open", "resolved_at", "ask_on"),)

    answer_id: Mapped[int] = mapped_column(ForeignKey("answers.id", ondelete="CASCADE"), primary_key=True)
    signal_id: Mapped[int] = mapped_column(ForeignKey("signals.id", ondelete="CASCADE"), index=True)
    ask_on: Mapped[date] = mapped_column(Date)
    asked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    close_on: Mapped[date | None] = mapped_column(Date)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    outcome: Mapped[str | None] = mapped_column(String(16))
    resolved_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
