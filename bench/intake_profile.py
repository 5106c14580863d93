"""Where one update's milliseconds go in the intake bot: instrument the channel's parts for a quiet phase."""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

from handlers import conversation
from storage import inbox as storage_inbox

PARTS = ("parse", "store", "turn", "photo", "render+send", "mark")
DESCRIBED = {
    "parse": "platform JSON -> neutral input (aiogram model / VK event), channel glue",
    "store": "batch stored in the inbox (one transaction per poll batch)",
    "turn": "the dialog turn: one transaction (state, person, dialog, mark handled + journal)",
    "photo": "photo download + metadata strip / re-encode + photo row (part of the turn's time above)",
    "render+send": "neutral replies -> platform calls over HTTP",
    "mark": "'replies sent' marks (group-committed in the background)",
}


class PartTimer:
    """Wraps the live channel's parts with wall-clock timers (one resident at a time, so no queueing)."""

    def __init__(self) -> None:
        self.spent: Counter[str] = Counter()
        self._undo: list[tuple[Any, str, Any]] = []

    def _wrap(self, owner: Any, name: str, part: str) -> None:
        original = getattr(owner, name)

        async def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return await original(*args, **kwargs)
            finally:
                self.spent[part] += time.perf_counter() - started

        setattr(owner, name, timed)
        self._undo.append((owner, name, original))

    def attach(self, live: Any) -> None:
        self._wrap(live.inbox, "store", "store")
        self._wrap(live.inbox, "handle", "handle_rows")
        self._wrap(live.conversation, "handle", "turn")
        self._wrap(live.renderer, "send", "render+send")
        self._wrap(conversation, "ingest", "photo")
        self._wrap(storage_inbox, "mark_replied_many", "mark")

    def detach(self) -> None:
        for owner, name, original in reversed(self._undo):
            setattr(owner, name, original)
        self._undo.clear()

    def per_update(self, updates: int) -> dict[str, float]:
        ms = {k: v * 1000 / max(1, updates) for k, v in self.spent.items()}
        ms["parse"] = max(0.0, ms.pop("handle_rows", 0.0) - ms.get("turn", 0.0) - ms.get("render+send", 0.0))
        return {part: ms.get(part, 0.0) for part in PARTS}

