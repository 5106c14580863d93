"""Prometheus metrics of one instance (its own registry, so tests can run several side by side)."""

from __future__ import annotations

import time

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.received = Counter("bot_updates_received", "Updates received", ["channel"], registry=self.registry)
        self.handled = Counter("bot_updates_handled", "Updates handled", ["channel"], registry=self.registry)
        self.failed = Counter("bot_updates_failed", "Updates whose handling failed, by error class",
                              ["channel", "error"], registry=self.registry)
        self.latency = Histogram("bot_update_handling_seconds", "From receipt to replies sent", ["channel"],
                                 buckets=LATENCY_BUCKETS, registry=self.registry)
        self.signals_filed = Counter("bot_signals_filed", "Signals filed", ["channel"], registry=self.registry)
        self.outbox = Gauge("bot_outbox_messages", "Outbox rows by state", ["state"], registry=self.registry)
        self.inbox_backlog = Gauge("bot_inbox_backlog", "Stored updates not yet handled", registry=self.registry)
        self.inbox_failed = Gauge("bot_inbox_failed", "Poison updates set aside for an admin (all instances)",
                                  ["channel"], registry=self.registry)
        self.notify_latency = Histogram("bot_notification_seconds", "From outbox row to delivery", ["channel"],
                                        buckets=LATENCY_BUCKETS, registry=self.registry)

    def outcome(self, channel: str, failed: bool, error: str | None, duplicate: bool, received_at: float) -> None:
        """Count one handled update: failed (by error class), or handled with its latency since receipt."""
        if failed:
            self.failed.labels(channel, error or "unknown").inc()
        elif not duplicate:
            self.handled.labels(channel).inc()
            self.latency.labels(channel).observe(time.time() - received_at)

    def render(self) -> bytes:
        return generate_latest(self.registry)
