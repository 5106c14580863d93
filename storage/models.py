"""The shared database schema (typed SQLAlchemy 2 ORM): people, reference data, signals and answers.

The channels' plumbing tables live in storage/models_io.py and are re-exported here, so
`from storage.models import X` names every table."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.base import NAMING, Base
from storage.models_api import ApiFiling, ApiKey
from storage.models_followup import Followup
from storage.models_io import DialogState, InboxUpdate, KeyValue, OutboxMessage, WebMessage
from storage.models_stats import StatsMonth
from storage.models_support import SignalSupporter
from storage.types import UTCDateTime, utcnow


class User(Base):
    """One row per channel identity (telegram:123, vk:456)."""

    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("channel", "external_id", name="uq_users_identity"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[int] = mapped_column(BigInteger)
    display_name: Mapped[str | None] = mapped_column(String(128))
    consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    unreachable_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # the language the person reads (handlers/i18n.py LANGUAGES); NULL: not chosen yet (Russian)
    language: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    roles: Mapped[list[UserRole]] = relationship(cascade="all, delete-orphan", lazy="selectin")
    memberships: Mapped[list[OrganizationMember]] = relationship(cascade="all, delete-orphan", lazy="selectin")

    @property
    def identity(self) -> str:
        return f"{self.channel}:{self.external_id}"

    @property
    def role_names(self) -> set[str]:
        return {"resident", *(r.role for r in self.roles)}

    @property
    def organization_ids(self) -> tuple[int, ...]:
        return tuple(sorted(m.organization_id for m in self.memberships))


class UserRole(Base):
    __tablename__ = "user_roles"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(16), primary_key=True)


class Organization(Base):
    """An answering body (an administration, a utility company)."""

    __tablename__ = "organizations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)


class OrganizationMember(Base):
    __tablename__ = "organization_members"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
    )


class Municipality(Base):
    __tablename__ = "municipalities"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(32))
    centre: Mapped[str] = mapped_column(String(128))
    latitude: Mapped[float] = mapped_column(Float)
    longitude: Mapped[float] = mapped_column(Float)
    # Grammatical forms for «Похоже, вы в Ухте — верно?»
    locative: Mapped[str] = mapped_column(String(128))


class Category(Base):
    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    position: Mapped[int] = mapped_column(Integer, default=0)


class Route(Base):
    """Routing rule: municipality × category → organization."""

    __tablename__ = "routes"

    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipalities.id"), primary_key=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"), primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))


class SignalCounter(Base):
    """Per-year sequence for public signal numbers (2026-000123)."""

    __tablename__ = "signal_counters"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last: Mapped[int] = mapped_column(Integer, default=0)


class Signal(Base):
    __tablename__ = "signals"
    # the nearby search: a bounding box on (latitude, longitude), see storage/repos/nearby.py
    __table_args__ = (Index("ix_signals_status_created", "status", "created_at"),
                      Index("ix_signals_lat_lon", "latitude", "longitude"),
                      Index("ix_signals_created_at", "created_at"))  # statistics and exports by period

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(16), unique=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipalities.id"))
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"))
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id", ondelete="SET NULL"))
    description: Mapped[str] = mapped_column(Text)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    address: Mapped[str | None] = mapped_column(String(512))
    status: Mapped[str] = mapped_column(String(16), default="new")
    source_channel: Mapped[str] = mapped_column(String(16))
    reject_reason: Mapped[str | None] = mapped_column(Text)
    reopen_count: Mapped[int] = mapped_column(Integer, default=0)
    # how it ended (or that residents reopened it): fixed, not_confirmed, reopened; None for a plain close
    outcome: Mapped[str | None] = mapped_column(String(16))
    duplicate_of: Mapped[int | None] = mapped_column(ForeignKey("signals.id", ondelete="SET NULL"))
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    due_on: Mapped[date | None] = mapped_column(Date)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __mapper_args__ = {"version_id_col": version}

    municipality: Mapped[Municipality] = relationship(lazy="joined")
    category: Mapped[Category] = relationship(lazy="joined")
    organization: Mapped[Organization | None] = relationship(lazy="joined")
    photos: Mapped[list[SignalPhoto]] = relationship(
        cascade="all, delete-orphan", order_by="SignalPhoto.position", lazy="selectin"
    )


class Photo(Base):
    """A stored image (EXIF-free, re-encoded), content-addressed in the media store."""

    __tablename__ = "photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    media_key: Mapped[str] = mapped_column(String(128))
    size_bytes: Mapped[int] = mapped_column(Integer)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    # Per-channel cached upload ids: {"telegram": file_id, "vk": "photo-1_2_key"}
    channel_ids: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class SignalPhoto(Base):
    __tablename__ = "signal_photos"

    signal_id: Mapped[int] = mapped_column(ForeignKey("signals.id", ondelete="CASCADE"), primary_key=True)
    photo_id: Mapped[int] = mapped_column(ForeignKey("photos.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    photo: Mapped[Photo] = relationship(lazy="joined")


class Answer(Base):
    """One version of an organization's answer; review_status: pending, returned, published, superseded.

    kind: fixed, planned (with promised_on), not_ours (with competent: who is), refusal; None on old rows.
    flags: the brush-off reasons found when it was submitted (shown on the review card)."""

    __tablename__ = "answers"
    __table_args__ = (UniqueConstraint("signal_id", "version", name="uq_answers_signal_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    signal_id: Mapped[int] = mapped_column(ForeignKey("signals.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    text: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id", ondelete="SET NULL"))
    review_status: Mapped[str] = mapped_column(String(16), default="pending")
    kind: Mapped[str | None] = mapped_column(String(16))
    promised_on: Mapped[date | None] = mapped_column(Date)
    competent: Mapped[str | None] = mapped_column(Text)
    flags: Mapped[list[str] | None] = mapped_column(JSON)
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    review_comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reopened_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # residents said it did not help
    photos: Mapped[list[AnswerPhoto]] = relationship(
        cascade="all, delete-orphan", order_by="AnswerPhoto.position", lazy="selectin"
    )


class AnswerPhoto(Base):
    __tablename__ = "answer_photos"

    answer_id: Mapped[int] = mapped_column(ForeignKey("answers.id", ondelete="CASCADE"), primary_key=True)
    photo_id: Mapped[int] = mapped_column(ForeignKey("photos.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    photo: Mapped[Photo] = relationship(lazy="joined")


class ExtensionRequest(Base):
    """An executor's request to move a due date; status: pending, approved, declined."""

    __tablename__ = "extension_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    signal_id: Mapped[int] = mapped_column(ForeignKey("signals.id", ondelete="CASCADE"), index=True)
    requested_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(Text)
    workdays: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class AuditEvent(Base):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    signal_id: Mapped[int | None] = mapped_column(ForeignKey("signals.id", ondelete="CASCADE"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Rating(Base):
    __tablename__ = "ratings"
    __table_args__ = (UniqueConstraint("answer_id", "user_id", name="uq_ratings_answer_user"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    signal_id: Mapped[int] = mapped_column(ForeignKey("signals.id", ondelete="CASCADE"), index=True)
    answer_id: Mapped[int] = mapped_column(ForeignKey("answers.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    value: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Subscription(Base):
    __tablename__ = "subscriptions"

    signal_id: Mapped[int] = mapped_column(ForeignKey("signals.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


__all__ = ["NAMING", "Answer", "AnswerPhoto", "ApiFiling", "ApiKey", "AuditEvent", "Base", "Category", "DialogState", "ExtensionRequest", "Followup",
           "InboxUpdate", "KeyValue", "Municipality", "Organization", "OrganizationMember", "OutboxMessage",
           "Photo", "Rating", "Route", "Signal", "SignalCounter", "SignalPhoto", "SignalSupporter", "StatsMonth", "Subscription", "User",
           "UserRole", "WebMessage"]
