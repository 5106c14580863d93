"""Collect the parts of an incoming album (one update per photo) into one input, answered once."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from handlers.types import Peer, PhotoRef, Photos

Flush = Callable[[Peer, Photos], Awaitable[None]]


class AlbumCollector:
    """Parts sharing a media_group_id are buffered until `quiet` seconds pass without a new part."""

    def __init__(self, flush: Flush, quiet: float = 0.8) -> None:
        self.flush = flush
        self.quiet = quiet
        self._parts: dict[tuple[int, str], list[PhotoRef]] = {}
        self._peers: dict[tuple[int, str], Peer] = {}
        self._timers: dict[tuple[int, str], asyncio.TimerHandle] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def add(self, peer: Peer, group_id: str, refs: tuple[PhotoRef, ...]) -> None:
        key = (peer.peer_id, group_id)
        self._parts.setdefault(key, []).extend(refs)
        self._peers[key] = peer
        if key in self._timers:
            self._timers[key].cancel()
        self._timers[key] = asyncio.get_running_loop().call_later(self.quiet, self._due, key)

    def _due(self, key: tuple[int, str]) -> None:
        refs = self._parts.pop(key, [])
        peer = self._peers.pop(key)
        self._timers.pop(key, None)
        task = asyncio.create_task(self.flush(peer, Photos(tuple(refs))))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self) -> None:
        """Flush everything buffered now (used on shutdown)."""
        for key, timer in list(self._timers.items()):
            timer.cancel()
            self._due(key)
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
