"""Per-person bookkeeping in this process: one lock each (inputs in order) and a flood gate that forgets."""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict, deque
from collections.abc import AsyncIterator, Callable, Hashable
from contextlib import asynccontextmanager

Key = Hashable  # (channel, peer id) for the dialog; a session id or client address for the web guard


class PeerLocks:
    """One asyncio lock per person: their inputs are handled one after another, in order."""

    def __init__(self) -> None:
        self._locks: dict[Key, asyncio.Lock] = {}
        self._users: dict[Key, int] = defaultdict(int)

    @asynccontextmanager
    async def hold(self, key: Key) -> AsyncIterator[None]:
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._users[key] += 1
        try:
            async with lock:
                yield
        finally:
            self._users[key] -= 1
            if self._users[key] == 0:
                del self._users[key]
                self._locks.pop(key, None)


class FloodGate:
    """At most `limit` inputs a minute per person (in this process). People quiet for a whole window are
    forgotten (a sweep at most once a window), so memory follows the recently active, not everyone seen."""

    def __init__(self, limit: int, window: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock
        self._seen: dict[Key, deque[float]] = {}
        self._swept = clock()

    def __len__(self) -> int:
        """How many people the gate currently remembers."""
        return len(self._seen)

    def allow(self, key: Key) -> bool:
        now = self.clock()
        self._sweep(now)
        seen = self._seen.setdefault(key, deque())
        while seen and now - seen[0] > self.window:
            seen.popleft()
        if len(seen) >= self.limit:
            return False
        seen.append(now)
        return True

    def _sweep(self, now: float) -> None:
        if now - self._swept < self.window:
            return
        self._swept = now
        for key in [k for k, seen in self._seen.items() if not seen or now - seen[-1] > self.window]:
            del self._seen[key]
