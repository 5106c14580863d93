"""The web channel: page messages are stored in the inbox first, handled in order per person, and the
replies are written to the person's transcript, which the page reads (and is woken for)."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from typing import Any

from bot.inbox import REREAD, InboxProcessor
from bot.metrics import Metrics
from bot.web.identity import CHANNEL, PERSONAS
from bot.web.inputs import echo, to_input
from bot.web.uploads import Uploads, WebFetcher
from handlers.context import Services
from handlers.conversation import Conversation
from handlers.i18n import t
from handlers.types import Outcome, Peer, Press, Say
from storage import inbox, webchat
from storage.models import InboxUpdate

log = logging.getLogger(__name__)

DEMO_NAMES = {PERSONAS["moderator"]: "Демо-модератор", PERSONAS["executor"]: "Демо-исполнитель"}


class WebChannel:
    name = CHANNEL

    def __init__(self, services: Services, conversation: Conversation, uploads: Uploads, *,
                 metrics: Metrics | None = None) -> None:
        self.services = services
        self.conversation = conversation
        self.uploads = uploads
        self.inbox = InboxProcessor(services, self.name, self._handle_rows, self._resend, self._poisoned)
        services.fetchers[self.name] = WebFetcher(uploads)
        self.metrics = metrics or Metrics()
        self.handled: Counter[int] = Counter()  # inputs fully handled (replies stored), per peer
        self.listeners: list[Callable[[], None]] = []
        self._waiters: defaultdict[int, set[asyncio.Event]] = defaultdict(set)
        self.running = False

    # ----- incoming -----
    async def ingest(self, peer_id: int, key: str, payload: dict[str, Any]) -> bool:
        """Store the message and its echo in one transaction (the page is answered only after this),
        then handle it. False when this key was stored before (a retried POST)."""
        async with self.services.uow() as uow:
            new = await inbox.put_many(uow.session, uow.dialect, self.name, [(key, peer_id, payload)],
                                       self.services.db.instance.id)
            if new:
                await webchat.append(uow.session, uow.dialect, peer_id, "in", [echo(payload)])
            await uow.commit()
        if new:
            self.metrics.received.labels(self.name).inc()
            self.wake(peer_id)
        self.inbox.submit(peer_id, new)
        return bool(new)

    async def _handle_rows(self, rows: list[InboxUpdate]) -> int:
        row = rows[0]
        inp = to_input(row.payload, self.services.signing_key, row.peer_id)
        peer = Peer(self.name, row.peer_id, DEMO_NAMES.get(row.peer_id))
        outcome: Outcome | None = None
        try:
            outcome = await self.conversation.handle(peer, inp, [row.id])
        finally:
            if outcome is None or not outcome.later:  # handled later: the files are still needed then
                self.uploads.discard(row.payload.get("files", []))  # EXIF-laden originals never linger
        if outcome.later:
            return REREAD
        forgotten = isinstance(inp, Press) and inp.payload == "forget:yes" and not (outcome.failed or outcome.duplicate)
        if not outcome.duplicate:
            # a page has no toast on the pressed button (Telegram, VK): the notice is a line of its own
            notice = [Say(outcome.notice)] if outcome.notice else []
            await self.deliver(row.peer_id, notice + outcome.replies, key=f"in:{row.id}", wipe=forgotten)
            if outcome.replies and not outcome.failed:
                self.inbox.replied(row.id)
        self.metrics.outcome(self.name, outcome.failed, outcome.error, outcome.duplicate,
                             row.received_at.timestamp())
        self._done(row.peer_id)
        return 1

    def _done(self, peer_id: int) -> None:
        self.handled[peer_id] += 1
        for listener in self.listeners:
            listener()

    async def _resend(self, row: InboxUpdate, replies: list[Say]) -> None:
        await self.deliver(row.peer_id, replies, key=f"in:{row.id}")
        for listener in self.listeners:
            listener()

    async def _poisoned(self, row: InboxUpdate, error: str) -> None:
        """A message that could not be handled at all: say so once; the person's next message goes on."""
        self.metrics.failed.labels(self.name, error).inc()
        self.uploads.discard(row.payload.get("files", []) if isinstance(row.payload, dict) else [])
        lang = self.conversation.language_of((self.name, row.peer_id))
        await self.deliver(row.peer_id, [Say(t(lang, "poisoned"))], key=f"in:{row.id}:failed")
        self._done(row.peer_id)

    # ----- outgoing -----
    async def deliver(self, peer_id: int, replies: Sequence[Say], *, key: str, wipe: bool = False) -> int:
        """Write replies to the transcript once per key (a resend after a crash stores nothing twice);
        `wipe` first deletes the person's earlier transcript (/forget)."""
        async with self.services.uow() as uow:
            first = await webchat.last_id(uow.session, peer_id) if wipe else 0
            stored = await webchat.append(uow.session, uow.dialect, peer_id, "out",
                                          [r.to_dict() for r in replies], key=key)
            if wipe:
                await webchat.wipe(uow.session, peer_id, before_id=first + 1)
            await uow.commit()
        self.wake(peer_id)
        return stored

    def wake(self, peer_id: int) -> None:
        for event in self._waiters.get(peer_id, ()):
            event.set()

    def wake_all(self) -> None:
        for peer_id in list(self._waiters):
            self.wake(peer_id)

    async def wait(self, peer_id: int, at_most: float) -> None:
        """Return when something was written for this person here, or after `at_most` seconds (another instance
        may have written it: the caller looks at the database either way)."""
        event = asyncio.Event()
        self._waiters[peer_id].add(event)
        try:
            await asyncio.wait_for(event.wait(), at_most)
        except TimeoutError:
            pass
        finally:
            self._waiters[peer_id].discard(event)
            if not self._waiters[peer_id]:
                del self._waiters[peer_id]


    async def start(self) -> None:
        removed = await asyncio.to_thread(self.uploads.sweep)
        if removed:
            log.info("removed %d stale web uploads", removed)
        await self.inbox.start()
        self.running = True

    async def stop(self) -> None:
        self.running = False
        await self.inbox.close()
        self.wake_all()
