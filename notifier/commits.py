"""Group commit for delivery outcomes: what finishes while a commit runs goes into the next one."""

from __future__ import annotations

import asyncio
from typing import Any

from notifier.context import Hub
from notifier.outbox import Claimed, finish


class GroupCommit:
    """Outcomes recorded while a commit is under way wait for the next one: one transaction per batch."""

    def __init__(self, services: Hub) -> None:
        self.services = services
        self._queue: list[tuple[Claimed, dict[str, Any], asyncio.Future[bool]]] = []
        self._flusher: asyncio.Task[None] | None = None

    async def record(self, row: Claimed, values: dict[str, Any]) -> bool:
        done: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._queue.append((row, values, done))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush())
        return await done

    async def _flush(self) -> None:
        while self._queue:
            batch, self._queue = self._queue, []
            for attempt in range(3):  # a database hiccup should not leave rows to their lease
                try:
                    results = await finish(self.services, [(row, values) for row, values, _ in batch])
                except Exception as exc:
                    if attempt < 2:
                        await asyncio.sleep(0.5 * (attempt + 1))
                        continue
                    for *_, done in batch:
                        done.set_exception(exc)
                    break
                for (*_, done), ok in zip(batch, results, strict=True):
                    done.set_result(ok)
                break
