"""A delivery worker per channel: claims due outbox rows, sends them at the platform's pace, marks them."""

from __future__ import annotations

import asyncio
import logging
import random
from collections import Counter, deque
from collections.abc import Callable, Sequence
from typing import Any

from handlers.types import Say
from notifier import outbox
from notifier.commits import GroupCommit
from notifier.context import Hub
from notifier.outbox import Claimed
from notifier.ratelimit import ChannelLimits, Limiter
from notifier.sender import Rejected, RetryAfter, Sender, Transient, Unreachable

log = logging.getLogger(__name__)
DEFAULT_LIMITS = {"telegram": ChannelLimits.telegram(), "vk": ChannelLimits.vk()}


def default_cost(replies: Sequence[Say]) -> int:
    """Platform requests a send is likely to take: one per message, one more for photos or long text."""
    return sum(1 + bool(r.photos) + len(r.text) // 4000 for r in replies)


class DeliveryWorker:
    """Woken by `wake()` (in-process commits, NOTIFY from other instances) and by its own timer."""

    def __init__(self, services: Hub, sender: Sender, *, channel: str | None = None,
                 limits: ChannelLimits | None = None, limiter: Limiter | None = None, batch: int = 50,
                 lease: float = 60.0, max_attempts: int = 8, backoff_base: float = 2.0,
                 backoff_cap: float = 900.0, sweep: float = 30.0, idle_floor: float = 1.0,
                 rng: Callable[[], float] = random.random) -> None:
        self.services, self.sender = services, sender
        self.channel = channel or sender.channel
        self.limiter = limiter or Limiter(limits or DEFAULT_LIMITS.get(self.channel, ChannelLimits(20.0)))
        self.batch, self.lease, self.max_attempts = batch, lease, max_attempts
        self.backoff_base, self.backoff_cap, self.rng = backoff_base, backoff_cap, rng
        self.sweep, self.idle_floor = sweep, idle_floor
        self.cost: Callable[[Sequence[Say]], int] = getattr(sender, "cost", default_cost)
        self.stats: Counter[str] = Counter()
        self.latencies: deque[float] = deque(maxlen=2000)  # created → delivered, seconds
        self._event = asyncio.Event()
        self._inflight: set[asyncio.Task[None]] = set()
        self._waiting: set[asyncio.Task[None]] = set()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self.commits = GroupCommit(services)
        hook = getattr(sender, "penalize_with", None)
        if hook is not None:  # a sender that waits out short 429s itself still tells the limiter about them
            hook(self.limiter.penalize)

    def wake(self) -> None:
        self._event.set()

    async def start(self) -> None:
        self._stopping = False
        self.services.outbox_listeners.append(self.wake)
        self._task = asyncio.create_task(self._run(), name=f"outbox-{self.channel}")

    async def stop(self) -> None:
        """Stop claiming; hand back rows still waiting for a slot; let sends already under way finish."""
        self._stopping = True
        if self.wake in self.services.outbox_listeners:
            self.services.outbox_listeners.remove(self.wake)
        for task in list(self._waiting):
            task.cancel()
        self._event.set()
        if self._task is not None:
            await self._task
            self._task = None

    async def _run(self) -> None:
        while not self._stopping:
            self._event.clear()
            room = self.batch - len(self._inflight)
            got = None
            if room >= max(1, self.batch // 2) or not self._inflight:
                try:
                    rows = await outbox.claim(self.services, self.channel, limit=room, lease=self.lease)
                except Exception:
                    log.exception("outbox claim failed on %s", self.channel)
                    rows = []
                for row in rows:
                    task = asyncio.create_task(self._deliver(row))
                    self._inflight.add(task)
                    task.add_done_callback(self._inflight.discard)
                got = len(rows)
                if got == room:
                    continue
            await self._idle(got)
        if self._inflight:
            await asyncio.gather(*self._inflight, return_exceptions=True)

    async def _idle(self, got: int | None) -> None:
        timeout = self.sweep
        if got == 0 and not self._inflight:
            try:
                due = await outbox.next_due(self.services, self.channel)
            except Exception:
                log.exception("outbox next_due failed on %s", self.channel)
                due = None
            if due is not None:
                ahead = (due - self.services.now()).total_seconds()
                timeout = min(self.sweep, ahead if ahead > 0 else self.idle_floor)
        try:
            await asyncio.wait_for(self._event.wait(), timeout)
        except TimeoutError:
            pass

    async def _deliver(self, row: Claimed) -> None:
        try:
            replies = row.replies()
            if not await self._wait_turn(row, replies):
                return
            await self._send(row, replies)
        except Exception:
            log.exception("outbox row %d: bookkeeping failed", row.id)
        finally:
            self._event.set()

    async def _wait_turn(self, row: Claimed, replies: list[Say]) -> bool:
        """Wait for a rate-limit slot; False (row handed back) when stopping or the lease ran out."""
        task = asyncio.current_task()
        assert task is not None
        self._waiting.add(task)
        try:
            await self.limiter.acquire(row.peer_id, self.cost(replies))
        except asyncio.CancelledError:
            stopped = outbox.later(row, delay=0, error="worker stopped", now=self.services.now(), count_attempt=False)
            await self.commits.record(row, stopped)
            return False
        finally:
            self._waiting.discard(task)
        if (row.claimed_until - self.services.now()).total_seconds() < min(5.0, self.lease / 4):
            log.warning("outbox row %d: lease nearly over before sending; left to be claimed again", row.id)
            return False
        return True

    async def _send(self, row: Claimed, replies: list[Say]) -> None:
        try:
            await self.sender.send(row.peer_id, replies, key=str(row.id))
        except Unreachable as exc:
            self.stats["undeliverable"] += 1
            log.info("outbox row %d: recipient unreachable on %s", row.id, self.channel)
            await outbox.mark_undeliverable(self.services, row, str(exc))
            return
        except Exception as exc:
            values = self._failure(row, exc)
        else:
            self.stats["sent"] += 1
            values = outbox.sent(self.services.now())
        recorded = await self.commits.record(row, values)
        if values["state"] == "sent" and recorded:
            self.latencies.append((values["sent_at"] - row.created_at).total_seconds())
        elif values["state"] == "sent":
            log.warning("outbox row %d: sent after its claim was lost (lease too short?)", row.id)

    def _failure(self, row: Claimed, exc: Exception) -> dict[str, Any]:
        """429 waits and is free; 400 fails at once; anything else backs off until max_attempts."""
        now, error = self.services.now(), f"{type(exc).__name__}: {exc}"
        if isinstance(exc, RetryAfter):
            self.stats["retry_after"] += 1
            self.limiter.penalize(row.peer_id, exc.seconds)
            return outbox.later(row, delay=exc.seconds, error=error, now=now, count_attempt=False)
        if isinstance(exc, Rejected):
            self.stats["rejected"] += 1
            log.error("outbox row %d rejected by %s (not retried): %s", row.id, self.channel, str(exc)[:200])
            return outbox.failed(error)
        if not isinstance(exc, Transient):
            log.exception("outbox row %d: unexpected error from the %s sender", row.id, self.channel)
        if row.attempts >= self.max_attempts:
            self.stats["failed"] += 1
            log.warning("outbox row %d failed after %d attempts on %s", row.id, row.attempts, self.channel)
            return outbox.failed(error)
        self.stats["retried"] += 1
        delay = outbox.backoff(row.attempts, self.backoff_base, self.backoff_cap, self.rng)
        return outbox.later(row, delay=delay, error=error, now=now)
