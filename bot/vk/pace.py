"""One request pace for the whole process (GCRA token bucket, thread-safe): every VK API request takes a slot."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

# VK counts a community's requests in any sliding second; network jitter can bunch requests paced at
# exactly 20/s into 21 within one of VK's seconds, so the pace runs a little under the limit.
HEADROOM = 0.96


class RequestPace:
    """Slots `1/rate` apart, booked under a short lock; the caller waits for its slot outside the lock
    (`await asyncio.sleep(pace.reserve())` on the loop, `pace.wait()` in a thread)."""

    def __init__(self, rate: float, *, headroom: float = HEADROOM,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = 1.0 / (rate * headroom)
        self.clock = clock
        self._next = 0.0  # the earliest free slot
        self._lock = threading.Lock()

    def reserve(self) -> float:
        """Book the next free slot; seconds until it comes (0 when it is now)."""
        with self._lock:
            now = self.clock()
            slot = max(now, self._next)
            self._next = slot + self.interval
        return slot - now

    def wait(self) -> None:
        """Book a slot and sleep until it comes (for threads: vk_api's long poll)."""
        delay = self.reserve()
        if delay > 0:
            time.sleep(delay)
