"""The VK channel: long-poll batches → the dialog, concurrently across people and in order per person."""

from __future__ import annotations

import asyncio
import json
import logging
from collections import Counter
from collections.abc import Callable

from vk_api.exceptions import ApiError, ApiHttpError

from bot.vk.client import NETWORK_ERRORS, VkClient, describe
from bot.vk.fetcher import VkFetcher
from bot.vk.inputs import event_input, is_private, message_input, peer_of
from bot.vk.longpoll import LongPoll
from bot.vk.render import VkRenderer
from handlers.context import Services
from handlers.conversation import Conversation
from handlers.types import Input, Peer

log = logging.getLogger(__name__)

SNACKBAR_LIMIT = 90
NAME_CACHE = 10_000
VK_ERRORS = (ApiError, ApiHttpError, *NETWORK_ERRORS)


class VkChannel:
    name = "vk"

    def __init__(self, client: VkClient, services: Services, conversation: Conversation, group_id: int, *,
                 wait: int = 25) -> None:
        self.client = client
        self.services = services
        self.conversation = conversation
        self.renderer = VkRenderer(client, services)
        self.poll = LongPoll(client, services, group_id, self._take, wait=wait)
        services.fetchers[self.name] = VkFetcher(client)
        self.names: dict[int, str] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self.handled: Counter[int] = Counter()  # inputs fully handled (replies sent), per peer
        self.listeners: list[Callable[[], None]] = []

    @property
    def running(self) -> bool:
        """For /healthz: the long-poll thread is alive."""
        return self.poll.running

    async def start(self) -> None:
        await self.poll.start()

    async def stop(self) -> None:
        await self.poll.stop()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        self.client.close()

    async def _take(self, raws: list[dict]) -> None:
        """Hand one batch over: start a task per event in order (the dialog's per-person lock keeps order)."""
        wanted = [raw for raw in raws if raw.get("type") in ("message_new", "message_event")]
        peers = {peer_id for raw in wanted if (peer_id := raw["object"].get("peer_id")
                                                or raw["object"].get("message", {}).get("peer_id"))}
        if len(self.names) > NAME_CACHE:
            self.names.clear()
        self.names.update(await self.client.user_names(sorted(peers - set(self.names))))
        for raw in wanted:
            handler = self._on_message if raw["type"] == "message_new" else self._on_event
            task = asyncio.create_task(handler(raw))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _on_message(self, raw: dict) -> None:
        message = raw["object"]["message"]
        if not is_private(message["peer_id"], message.get("from_id")):
            return
        peer = peer_of(message["peer_id"], self.names)
        await self._handle(peer, message_input(message, self.services.signing_key), reply_key(raw))

    async def _on_event(self, raw: dict) -> None:
        event = raw["object"]
        if not is_private(event["peer_id"], event.get("user_id")):
            return
        peer = peer_of(event["peer_id"], self.names)
        outcome = await self.conversation.handle(peer, event_input(event, self.services.signing_key))
        snackbar = {"type": "show_snackbar", "text": outcome.notice[:SNACKBAR_LIMIT]} if outcome.notice else None
        try:
            await self.client.call("messages.sendMessageEventAnswer", event_id=event["event_id"],
                                   user_id=event["user_id"], peer_id=event["peer_id"],
                                   event_data=json.dumps(snackbar, ensure_ascii=False) if snackbar else None)
        except VK_ERRORS as exc:
            log.info("event answer failed: %s", describe(exc))
        await self._reply(peer, outcome.replies, reply_key(raw))

    async def _handle(self, peer: Peer, inp: Input, key: str) -> None:
        outcome = await self.conversation.handle(peer, inp)
        await self._reply(peer, outcome.replies, key)

    async def _reply(self, peer: Peer, replies: list, key: str) -> None:
        try:
            await self.renderer.send(peer.peer_id, replies, key=key)
        except VK_ERRORS as exc:  # 901/902: the person disallowed messages; nothing to do in a live dialog
            log.warning("reply to a vk peer failed: %s", describe(exc))
        self.handled[peer.peer_id] += 1
        for listener in self.listeners:
            listener()


def reply_key(raw: dict) -> str:
    """Stable per incoming event, so a redelivered event's replies reuse their random_ids."""
    obj = raw["object"]
    if raw.get("event_id"):
        return f"event:{raw['event_id']}"
    message = obj.get("message") or {}
    return f"msg:{message.get('peer_id')}:{message.get('conversation_message_id') or message.get('id')}"
