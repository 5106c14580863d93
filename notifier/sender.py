"""The contract between the notifier and a channel: deliver neutral replies to one person."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from handlers.types import Say


class DeliveryError(Exception):
    """Base of what a Sender raises; the notifier decides retry/stop by the subclass."""


class RetryAfter(DeliveryError):
    """The platform asked us to slow down (Telegram 429 retry_after, VK error 6/9)."""

    def __init__(self, seconds: float, detail: str = "") -> None:
        super().__init__(detail or f"retry after {seconds}s")
        self.seconds = seconds


class Transient(DeliveryError):
    """5xx, timeout, dropped connection, VK error 10: retry with backoff."""


class Unreachable(DeliveryError):
    """The person blocked the bot or disallowed messages (Telegram 403, VK 901/902): do not retry."""


class Rejected(DeliveryError):
    """The platform rejected the request as malformed (Telegram 400, VK 100/911/914): a bug, no retry."""


class Sender(Protocol):
    channel: str

    async def send(self, peer_id: int, replies: Sequence[Say], *, key: str) -> None:
        """Deliver `replies` in order. `key` is stable for one logical send (an outbox row id), so a
        channel that deduplicates (VK random_id) can make a retried send exactly-once."""
        ...
