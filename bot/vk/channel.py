"""The VK channel: events are stored in the inbox first, then handled in order per person."""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Callable, Sequence

from bot.inbox import REREAD, InboxProcessor
from bot.metrics import Metrics
from bot.vk.batch import Call
from bot.vk.client import VK_ERRORS, VkClient, describe, names
from bot.vk.fetcher import VkFetcher
from bot.vk.inputs import event_input, is_private, message_input, peer_of
from bot.vk.longpoll import LongPoll
from bot.vk.render import VkRenderer
from handlers.context import Services
from handlers.conversation import Conversation
from handlers.i18n import t
from handlers.types import Say
from storage.models import InboxUpdate

log = logging.getLogger(__name__)

SNACKBAR_LIMIT = 90
NAME_CACHE = 10_000


class VkChannel:
    name = "vk"

    def __init__(self, client: VkClient, services: Services, conversation: Conversation, group_id: int, *,
                 wait: int = 25, poll: bool = True, metrics: Metrics | None = None) -> None:
        self.client = client
        self.services = services
        self.conversation = conversation
        self.group_id = group_id
        self.renderer = VkRenderer(client, services)
        self.inbox = InboxProcessor(services, self.name, self._handle_rows, self._resend_orphan, self._poisoned)
        self.poll = LongPoll(client, services, group_id, self.ingest, wait=wait) if poll else None
        services.fetchers[self.name] = VkFetcher(client)
        self.metrics = metrics or Metrics()
        self.names: dict[int, str] = {}
        self.handled: Counter[int] = Counter()  # inputs fully handled (replies sent), per peer
        self.listeners: list[Callable[[], None]] = []
        self._started = False

    @property
    def running(self) -> bool:
        """For /healthz: started, and in long-poll mode the long-poll thread is alive."""
        return self._started and (self.poll is None or self.poll.running)

    async def start(self) -> None:
        await self.inbox.start()
        if self.poll is not None:
            await self.poll.start()
        self._started = True

    async def stop(self) -> None:
        """Stop taking events, finish the ones in flight, release the HTTP session."""
        self._started = False
        if self.poll is not None:
            await self.poll.stop()
        await self.inbox.close()
        self.client.close()

    async def ingest(self, raws: list[dict]) -> None:
        """Store a batch (long poll: before its ts is saved; callback: before answering `ok`), then handle it."""
        items = []
        for raw in raws:
            if raw.get("type") not in ("message_new", "message_event") or raw.get("group_id") != self.group_id:
                continue
            obj = raw.get("object") or {}
            peer = obj.get("peer_id") or (obj.get("message") or {}).get("peer_id")
            sender = obj.get("user_id") or (obj.get("message") or {}).get("from_id")
            if not peer or not is_private(peer, sender):
                continue
            clean = {k: v for k, v in raw.items() if k != "secret"}
            items.append((raw.get("event_id") or reply_key(raw), int(peer), clean))
        if not items:
            return
        rows = await self.inbox.store(items)
        self.metrics.received.labels(self.name).inc(len(items))
        for row in rows:
            self.inbox.submit(row.peer_id, [row])

    async def _handle_rows(self, rows: list[InboxUpdate]) -> int:
        row = rows[0]
        raw = row.payload
        lookup = row.peer_id not in self.names
        if lookup and len(self.names) > NAME_CACHE:
            self.names.clear()
        if lookup and is_press(raw):  # a press may be the consent, which stores the name: look it up now
            self.names.update(await self.client.user_names([row.peer_id]))
            lookup = False
        peer = peer_of(row.peer_id, self.names)
        answer: list[Call] = []
        if raw["type"] == "message_new":
            outcome = await self.conversation.handle(
                peer, message_input(raw["object"]["message"], self.services.signing_key), [row.id])
        else:
            event = raw["object"]
            outcome = await self.conversation.handle(peer, event_input(event, self.services.signing_key), [row.id])
            if not outcome.duplicate and not outcome.later:
                answer.append(event_answer(event, outcome.notice))
        if outcome.later:
            return REREAD
        # otherwise the name comes with this turn's replies (same request), for the person's next turns
        name = [self.client.names_call(row.peer_id)] if lookup else []
        results = await self._resend(row, outcome.replies, answer + name)
        if lookup and results:
            self.names.update(names(results[len(answer)]))
        if outcome.replies and not outcome.failed and not outcome.duplicate:
            self.inbox.replied(row.id)
        self.metrics.outcome(self.name, outcome.failed, outcome.error, outcome.duplicate,
                             row.received_at.timestamp())
        self._done(row.peer_id)
        return 1

    def _done(self, peer_id: int) -> None:
        self.handled[peer_id] += 1
        for listener in self.listeners:
            listener()

    async def _poisoned(self, row: InboxUpdate, error: str) -> None:
        """An update that could not be handled at all: stop the button's spinner, say so once."""
        self.metrics.failed.labels(self.name, error).inc()
        event = row.payload.get("object") or {}
        pressed = row.payload.get("type") == "message_event" and isinstance(event.get("event_id"), str) \
            and all(isinstance(event.get(k), int) for k in ("user_id", "peer_id"))
        answer = [event_answer(event, None)] if pressed else []
        lang = self.conversation.language_of((self.name, row.peer_id))
        await self._resend(row, [Say(t(lang, "poisoned"))], answer, key_suffix=":failed")
        self._done(row.peer_id)

    async def _resend(self, row: InboxUpdate, replies: list[Say], first: Sequence[Call] = (),
                      key_suffix: str = "") -> list | None:
        """Send (or resend after a crash) a turn's replies, after `first` (the press's event answer, a name
        lookup) in the same request; random_ids derive from the update, so VK delivers a resent reply only
        if the first send never got through. The calls' results, None when the send failed."""
        try:
            return await self.renderer.send(row.peer_id, replies, key=reply_key(row.payload) + key_suffix,
                                            first=first)
        except VK_ERRORS as exc:  # 901/902: the person disallowed messages; nothing to do in a live dialog
            log.warning("reply to a vk peer failed: %s", describe(exc))
            return None

    async def _resend_orphan(self, row: InboxUpdate, replies: list[Say]) -> None:
        """Replies a dead instance journaled but never sent (same random_ids: VK drops a repeat)."""
        await self._resend(row, replies)
        for listener in self.listeners:
            listener()



def event_answer(event: dict, notice: str | None) -> Call:
    """messages.sendMessageEventAnswer for a pressed callback button (a snackbar with the notice, if any);
    optional: a late or failed answer only leaves the button's spinner, the replies still go out."""
    snackbar = {"type": "show_snackbar", "text": notice[:SNACKBAR_LIMIT]} if notice else None
    return Call("messages.sendMessageEventAnswer", {
        "event_id": event["event_id"], "user_id": event["user_id"], "peer_id": event["peer_id"],
        "event_data": json.dumps(snackbar, ensure_ascii=False) if snackbar else None}, required=False)


def is_press(raw: dict) -> bool:
    """A callback button press, or a message from a keyboard button (it carries a payload)."""
    return raw["type"] == "message_event" or bool((raw["object"].get("message") or {}).get("payload"))


def reply_key(raw: dict) -> str:
    """Stable per incoming event, so a redelivered event's replies reuse their random_ids."""
    obj = raw["object"]
    if raw.get("event_id"):
        return f"event:{raw['event_id']}"
    message = obj.get("message") or {}
    return f"msg:{message.get('peer_id')}:{message.get('conversation_message_id') or message.get('id')}"
