"""The Telegram channel: updates are stored in the inbox first, then handled in order per chat."""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramAPIError, TelegramNetworkError
from aiogram.types import BotCommand, BotCommandScopeChat

from bot.inbox import REREAD, InboxProcessor
from bot.metrics import Metrics
from bot.telegram.api import BotApi
from bot.telegram.fetcher import TelegramFetcher
from bot.telegram.inputs import callback_input, message_input, peer_of
from bot.telegram.polling import Poller
from bot.telegram.render import TelegramRenderer
from handlers.commands_menu import commands_for
from handlers.context import Services
from handlers.conversation import Conversation
from handlers.i18n import DEFAULT, LANGUAGES, t
from handlers.types import Input, Outcome, Peer, PhotoRef, Photos, Say
from storage.models import InboxUpdate

log = logging.getLogger(__name__)

ALLOWED_UPDATES = ["message", "callback_query"]


def _response_models() -> list[object]:
    """aiogram builds `Response[<result type>]` for every call; pydantic caches such classes weakly, so
    without a strong reference they are freed and rebuilt again and again (measured ~7 ms per update)."""
    from aiogram.methods.base import Response
    from aiogram.types import File, Message, Update, User, WebhookInfo

    return [Response[t] for t in (Message, bool, File, list[Update], list[Message], User, WebhookInfo)]


_RESPONSE_MODELS = _response_models()


def make_bot(token: str, api_url: str) -> Bot:
    session = AiohttpSession(api=TelegramAPIServer.from_base(api_url))
    return Bot(token=token, session=session)


def peer_of_update(raw: dict[str, Any]) -> int | None:
    """The private chat an update belongs to, or None for anything the bot does not handle (never raises)."""
    message, query = raw.get("message"), raw.get("callback_query")
    if isinstance(message, dict):
        chat = message.get("chat")
        if isinstance(chat, dict) and chat.get("type") == "private":
            return _int_id(chat.get("id"))
        return None
    if isinstance(query, dict):
        chat = (query.get("message") or {}).get("chat") if isinstance(query.get("message"), dict) else None
        sender = query.get("from") if isinstance(query.get("from"), dict) else {}
        return _int_id(chat.get("id") if isinstance(chat, dict) else None) or _int_id(sender.get("id"))
    return None


def _int_id(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value else None


class TelegramChannel:
    name = "telegram"

    def __init__(self, bot: Bot, services: Services, conversation: Conversation, *, album_wait: float = 0.8,
                 poll: bool = True, metrics: Metrics | None = None) -> None:
        self.bot = bot
        self.services = services
        self.conversation = conversation
        self.api = BotApi(bot)
        self.renderer = TelegramRenderer(bot, services, api=self.api)
        self.album_wait = album_wait
        self.inbox = InboxProcessor(services, self.name, self._handle_rows, self._resend, self._poisoned)
        self.poller = Poller(bot, self.ingest, ALLOWED_UPDATES) if poll else None
        services.fetchers[self.name] = TelegramFetcher(bot)
        self.handled: Counter[int] = Counter()  # inputs fully handled (replies sent), per chat
        self.listeners: list[Callable[[], None]] = []
        self.metrics = metrics or Metrics()
        self.running = False

    async def ingest(self, updates: list[dict[str, Any]]) -> None:
        """Store raw updates (the caller acknowledges them only after this returns), then handle them."""
        items = []
        for raw in updates:
            peer = peer_of_update(raw)
            items.append((str(raw["update_id"]), peer if peer is not None else 0, raw))
        rows = await self.inbox.store(items)
        self.metrics.received.labels(self.name).inc(len(items))
        for row in rows:
            self.inbox.submit(row.peer_id, [row])

    async def _handle_rows(self, rows: list[InboxUpdate]) -> int:
        first = rows[0]
        if first.peer_id == 0:  # not a private chat or an update type we do not handle
            await self.conversation.mark_handled([first.id])
            return 1
        group = _media_group(first.payload)
        if group:
            parts = [r for r in rows if _media_group(r.payload) == group]
            if time.time() - parts[-1].received_at.timestamp() < self.album_wait and len(rows) == len(parts):
                return 0  # more parts of the album may still arrive
            return await self._album(parts)
        query, message = first.payload.get("callback_query"), first.payload.get("message")
        if isinstance(query, dict):
            return await self._callback(query, first)
        if isinstance(message, dict):
            return await self._input(peer_of(message), message_input(message), [first])
        await self.conversation.mark_handled([first.id])
        return 1

    async def _album(self, parts: list[InboxUpdate]) -> int:
        refs: list[PhotoRef] = []
        peer = None
        for row in parts:
            message = row.payload["message"]
            peer = peer_of(message)
            inp = message_input(message)
            if isinstance(inp, Photos):
                refs.extend(inp.refs)
        consumed = await self._input(peer, Photos(tuple(refs)), parts)
        return len(parts) if consumed == 1 else consumed

    async def _callback(self, query: dict[str, Any], row: InboxUpdate) -> int:
        peer, inp = callback_input(query, self.services.signing_key)
        outcome = await self.conversation.handle(peer, inp, [row.id])
        if outcome.later:
            return REREAD
        if not outcome.duplicate:
            params = {"callback_query_id": query.get("id")} | ({"text": outcome.notice[:200]} if outcome.notice else {})
            try:
                await self.api.call("answerCallbackQuery", params)
            except (TelegramAPIError, TelegramNetworkError) as exc:
                log.info("callback answer failed: %s", type(exc).__name__)
        await self._finish(peer, outcome, row)
        return 1

    async def _input(self, peer: Peer, inp: Input, rows: list[InboxUpdate]) -> int:
        outcome = await self.conversation.handle(peer, inp, [r.id for r in rows])
        if outcome.later:
            return REREAD
        await self._finish(peer, outcome, rows[0])
        return 1

    async def _finish(self, peer: Peer, outcome: Outcome, row: InboxUpdate) -> None:
        await self._send(peer.peer_id, outcome.replies)
        if outcome.commands is not None:
            await self._set_commands(peer.peer_id, outcome.commands)
        if outcome.replies and not outcome.failed and not outcome.duplicate:
            self.inbox.replied(row.id)
        self.metrics.outcome(self.name, outcome.failed, outcome.error, outcome.duplicate,
                             row.received_at.timestamp())
        self._done(peer.peer_id)

    def _done(self, chat_id: int) -> None:
        self.handled[chat_id] += 1
        for listener in self.listeners:
            listener()

    async def _poisoned(self, row: InboxUpdate, error: str) -> None:
        """An update that could not be handled at all: stop the button's spinner, say so once."""
        self.metrics.failed.labels(self.name, error).inc()
        if row.peer_id == 0:
            return
        query_id = (row.payload.get("callback_query") or {}).get("id")
        if isinstance(query_id, str):
            try:
                await self.bot.answer_callback_query(query_id)
            except (TelegramAPIError, TelegramNetworkError) as exc:
                log.info("callback answer failed: %s", type(exc).__name__)
        lang = self.conversation.language_of((self.name, row.peer_id))
        await self._send(row.peer_id, [Say(t(lang, "poisoned"))])
        self._done(row.peer_id)

    async def _set_commands(self, chat_id: int, commands: list[tuple[str, str]]) -> None:
        """Staff see their role's commands in the menu of their own chat (a chat-scoped command list)."""
        scope = BotCommandScopeChat(chat_id=chat_id)
        try:
            await self.bot.set_my_commands([BotCommand(command=c, description=d) for c, d in commands], scope=scope)
        except (TelegramAPIError, TelegramNetworkError) as exc:
            log.warning("setting a chat's command menu failed: %s", type(exc).__name__)

    async def _resend(self, row: InboxUpdate, replies: list[Say]) -> None:
        """Replies a dead instance journaled but never sent."""
        await self._send(row.peer_id, replies)
        for listener in self.listeners:
            listener()

    async def _send(self, chat_id: int, replies: list[Say]) -> None:
        try:
            await self.renderer.send(chat_id, replies)
        except (TelegramAPIError, TelegramNetworkError) as exc:
            log.warning("reply to a telegram chat failed: %s", type(exc).__name__)

    async def start(self) -> None:
        for lang in LANGUAGES:  # Russian for everyone, Komi for those whose Telegram speaks Komi (kv)
            await self.bot.set_my_commands([BotCommand(command=c, description=d) for c, d in commands_for((), lang)],
                                           language_code=None if lang == DEFAULT else lang)
        await self.inbox.start()
        if self.poller is not None:
            await self.poller.start()
        self.running = True

    async def set_webhook(self, url: str, secret: str) -> None:
        await self.bot.set_webhook(url, secret_token=secret, allowed_updates=ALLOWED_UPDATES,
                                   drop_pending_updates=False)

    async def stop(self) -> None:
        """Stop taking updates, finish the ones in flight, close the HTTP session."""
        self.running = False
        if self.poller is not None:
            await self.poller.stop()
        await self.inbox.close()
        await self.bot.session.close()


def _media_group(raw: dict[str, Any]) -> str | None:
    message = raw.get("message") or {}
    return message.get("media_group_id") if message.get("photo") else None
