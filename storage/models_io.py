"""Tables of the channels' plumbing: inbox, outbox, dialog state, web transcript, small key-values."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base
from storage.types import UTCDateTime, utcnow


class OutboxMessage(Base):
    """A notification to deliver; state: pending, sending, sent, failed, undeliverable."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_state_available", "state", "available_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(255), unique=True)
    channel: Mapped[str] = mapped_column(String(16))
    peer_id: Mapped[int] = mapped_column(BigInteger)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    payload: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    available_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class DialogState(Base):
    """Where a person is in a dialog, keyed by channel identity; survives restarts."""

    __tablename__ = "dialog_states"

    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    peer_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    step: Mapped[str] = mapped_column(String(64), default="idle")
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class InboxUpdate(Base):
    """An incoming platform update persisted before it is acknowledged; handled exactly once."""

    __tablename__ = "inbox"
    __table_args__ = (
        UniqueConstraint("channel", "update_key", name="uq_inbox_update"),
        # a person's queue, and the sweep for rows a dead instance left behind
        Index("ix_inbox_pending", "channel", "peer_id", "id", sqlite_where=text("handled_at IS NULL"),
              postgresql_where=text("handled_at IS NULL")),
        # journaled replies not yet known to be sent (only after a crash do such rows stay)
        Index("ix_inbox_unreplied", "channel", "peer_id", "id",
              sqlite_where=text("replied_at IS NULL AND replies IS NOT NULL"),
              postgresql_where=text("replied_at IS NULL AND replies IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    update_key: Mapped[str] = mapped_column(String(64))
    peer_id: Mapped[int] = mapped_column(BigInteger)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The replies of the turn that handled it, kept until they are sent, so a crash between commit
    # and sending cannot swallow them (another instance resends them).
    replies: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    replied_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # A poison update: handling it failed deterministically. It is set aside (handled_at set too, so it
    # never blocks the person's later updates) and kept, with the error class, for an admin to inspect.
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    error: Mapped[str | None] = mapped_column(String(200))
    # The instance that stored it (0: unknown). A live instance handles its own rows from memory; the
    # sweep takes only the rows of instances that are gone (storage/instances.py).
    instance: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")


class WebMessage(Base):
    """The web chat's transcript: what a resident sent ("in") and the bot's neutral replies ("out")."""

    __tablename__ = "web_messages"
    # AUTOINCREMENT on SQLite: ids never go back after a wipe, so a page's "after id" cursor stays valid.
    __table_args__ = (Index("ix_web_messages_peer", "peer_id", "id"), {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(primary_key=True)
    peer_id: Mapped[int] = mapped_column(BigInteger)
    direction: Mapped[str] = mapped_column(String(3))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    # Stable per delivery (an inbox row's reply, an outbox row), so a repeated delivery is stored once.
    dedupe_key: Mapped[str | None] = mapped_column(String(96), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class KeyValue(Base):
    """Small persistent facts such as the last VK long-poll ts."""

    __tablename__ = "kv"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
