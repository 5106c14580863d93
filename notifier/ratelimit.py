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
    headroom: float = 0.97

    @classmethod
    def telegram(cls, rate: float = 30.0, per_chat: float | None = 1.0, **kw: float) -> ChannelLimits:
        return cls(rate, per_chat, **kw)  # type: ignore[arg-type]

    @classmethod
    def vk(cls, rate: float = 20.0, **kw: float) -> ChannelLimits:
        # VK counts requests in a sliding second: no burst, a little more headroom.
        return cls(rate, None, **{"headroom": 0.96, **kw})  # type: ignore[arg-type]


class Pace:
    """GCRA token bucket: `reserve` books the next free slot and says how long to wait for it, so
    concurrent callers queue in order instead of racing."""

    def __init__(self, rate: float, burst: int = 1) -> None:
        self.interval = 1.0 / rate
        self.tolerance = (max(1, burst) - 1) * self.interval
        self.tat = 0.0  # theoretical arrival time of the next request

    def delay(self, now: float) -> float:
        return max(0.0, self.tat - self.tolerance - now)

    def reserve(self, now: float, cost: float = 1) -> float:
        wait = self.delay(now)
        self.tat = max(self.tat, now) + cost * self.interval
        return wait

    def pause(self, now: float, seconds: float) -> None:
        self.tat = max(self.tat, now + seconds + self.tolerance)


class Limiter:
    """Paces one channel's sends: waits for the chat's slot, then the channel's, then books the chat."""

    def __init__(self, limits: ChannelLimits, clock: Callable[[], float] = time.monotonic) -> None:
        self.limits = limits
        self.clock = clock
        self.total = Pace(limits.rate * limits.headroom, limits.burst)
        self._chats: dict[int, Pace] = {}
        self._locks: dict[int, asyncio.Lock] = {}
        self._pruned = clock()

    async def acquire(self, peer_id: int, cost: float = 1) -> None:
        """Wait until `cost` requests to `peer_id` may go out now."""
        if self.limits.per_chat is None:
            await self._sleep(self.total.reserve(self.clock(), cost))
            return
        lock = self._locks.setdefault(peer_id, asyncio.Lock())
        async with lock:
            chat = self._chat(peer_id)
            await self._sleep(chat.delay(self.clock()))
            await self._sleep(self.total.reserve(self.clock(), cost))
            chat.reserve(self.clock(), cost)
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
            pace = self._chats[peer_id] = Pace(self.limits.per_chat * self.limits.headroom)  # type: ignore[operator]
        return pace

    def _prune(self) -> None:
        """Forget chats whose slot is in the past (they behave like new ones); keeps memory flat."""
        now = self.clock()
        if now - self._pruned < 30:
            return
        self._pruned = now
        for peer in [p for p, pace in self._chats.items() if pace.tat < now]:
            lock = self._locks.get(peer)
            if lock is None or not lock.locked():
                self._chats.pop(peer, None)
                self._locks.pop(peer, None)

    @staticmethod
    async def _sleep(seconds: float) -> None:
        if seconds > 0:
            await asyncio.sleep(seconds)
