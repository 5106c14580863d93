"""Async rate limits per channel: one global pace and one per chat, run just under the platform's limit."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class ChannelLimits:
    """Requests per second overall and per chat; `headroom` keeps us a hair under the platform's limit
    (network jitter must not bunch our requests into a 429); `burst` lets an idle channel send a few at once."""

    rate: float
    per_chat: float | None = None
    burst: int = 1
    headroom: float = 0.98
    chat_headroom: float = 0.95  # a chat gets few messages: spacing them safely costs nothing
    catch_up: float = 0.5  # a late wake-up is made good up to this share of a slot (at most 20 ms)

    @classmethod
    def telegram(cls, rate: float = 30.0, per_chat: float | None = 1.0, **kw: float) -> ChannelLimits:
        return cls(rate, per_chat, **kw)  # type: ignore[arg-type]

    @classmethod
    def vk(cls, rate: float = 20.0, **kw: float) -> ChannelLimits:
        # VK counts requests in any sliding second: no burst, more headroom, less catching up.
        return cls(rate, None, **{"headroom": 0.96, "catch_up": 0.25, **kw})  # type: ignore[arg-type]


class Pace:
    """GCRA token bucket. `take` books slots one caller at a time (FIFO) from the time a slot is actually
    granted, so a stalled event loop never releases a bunch of sends at once."""

    def __init__(self, rate: float, burst: int = 1, clock: Callable[[], float] = time.monotonic,
                 slack: float = 0.0) -> None:
        self.interval = 1.0 / rate
        self.tolerance = (max(1, burst) - 1) * self.interval
        self.slack = slack  # a late wake-up up to this much is caught up on instead of lost
        self.tat = 0.0  # theoretical arrival time of the next request
        self.clock = clock
        self._lock = asyncio.Lock()

    def delay(self, now: float) -> float:
        return max(0.0, self.tat - self.tolerance - now)

    def book(self, cost: float = 1) -> None:
        self.tat = max(self.tat, self.clock() - self.slack) + cost * self.interval

    def pause(self, now: float, seconds: float) -> None:
        self.tat = max(self.tat, now + seconds + self.tolerance)

    async def ready(self) -> None:
        """Wait until a request may go (re-checked after waking: a penalty may have come meanwhile)."""
        while True:
            wait = self.delay(self.clock())
            if wait <= 0:
                return
            await asyncio.sleep(wait)

    async def take(self, cost: float = 1) -> None:
        async with self._lock:
            await self.ready()
            self.book(cost)


class Limiter:
    """Paces one channel's sends: waits for the chat's slot, then the channel's, then books the chat."""

    def __init__(self, limits: ChannelLimits, clock: Callable[[], float] = time.monotonic) -> None:
        self.limits = limits
        self.clock = clock
        rate = limits.rate * limits.headroom
        self.total = Pace(rate, limits.burst, clock, slack=min(limits.catch_up / rate, 0.02))
        self._chats: dict[int, Pace] = {}
        self._pruned = clock()

    async def acquire(self, peer_id: int, cost: float = 1) -> None:
        """Wait until `cost` requests to `peer_id` may go out now."""
        if self.limits.per_chat is None:
            await self.total.take(cost)
            return
        chat = self._chat(peer_id)
        async with chat._lock:
            await chat.ready()
            await self.total.take(cost)
            chat.book(cost)
        self._prune()

    def penalize(self, peer_id: int | None, seconds: float) -> None:
        """The platform said "retry after": hold back the chat (when chats are paced) or the channel."""
        now = self.clock()
        if peer_id is not None and self.limits.per_chat is not None:
            self._chat(peer_id).pause(now, seconds)
        else:
            self.total.pause(now, seconds)

    def _chat(self, peer_id: int) -> Pace:
        pace = self._chats.get(peer_id)
        if pace is None:
            rate = self.limits.per_chat * self.limits.chat_headroom  # type: ignore[operator]
            pace = self._chats[peer_id] = Pace(rate, 1, self.clock)
        return pace

    def _prune(self) -> None:
        """Forget chats whose slot is in the past (they behave like new ones); keeps memory flat."""
        now = self.clock()
        if now - self._pruned < 30:
            return
        self._pruned = now
        for peer in [p for p, pace in self._chats.items() if pace.tat < now and not pace._lock.locked()]:
            self._chats.pop(peer, None)
