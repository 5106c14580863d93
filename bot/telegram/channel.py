"""The Telegram channel: aiogram Dispatcher wiring, long polling, replies to the dialog's outcomes."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Callable

from aiogram import Bot, Dispatcher, F, Router
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramAPIError, TelegramNetworkError
from aiogram.types import BotCommand, CallbackQuery, Message

from bot.telegram.albums import AlbumCollector
from bot.telegram.fetcher import TelegramFetcher
from bot.telegram.inputs import callback_input, message_input, peer_of
from bot.telegram.render import TelegramRenderer
from handlers.conversation import Conversation
from handlers.context import Services
from handlers.types import Input, Peer, Photos, Say

log = logging.getLogger(__name__)

ALLOWED_UPDATES = ["message", "callback_query"]
RESIDENT_COMMANDS = [
    ("new", "Сообщить о проблеме"),
    ("my", "Мои обращения"),
    ("help", "Как это работает"),
    ("cancel", "Прервать заполнение"),
    ("forget", "Удалить мои данные"),
    ("start", "Начать сначала"),
]


def make_bot(token: str, api_url: str) -> Bot:
    session = AiohttpSession(api=TelegramAPIServer.from_base(api_url))
    return Bot(token=token, session=session)


class TelegramChannel:
    name = "telegram"

    def __init__(self, bot: Bot, services: Services, conversation: Conversation, *, album_wait: float = 0.8):
        self.bot = bot
        self.services = services
        self.conversation = conversation
        self.renderer = TelegramRenderer(bot, services)
        self.albums = AlbumCollector(self._handle, quiet=album_wait)
        self.dispatcher = Dispatcher()
        self.dispatcher.include_router(self._router())
        services.fetchers[self.name] = TelegramFetcher(bot)
        self._polling: asyncio.Task[None] | None = None
        self.handled: Counter[int] = Counter()  # inputs fully handled (replies sent), per chat
        self.listeners: list[Callable[[], None]] = []

    def _router(self) -> Router:
        router = Router(name="telegram")
        router.message.filter(F.chat.type == "private")
        router.message.register(self.on_message)
        router.callback_query.register(self.on_callback)
        return router

    async def on_message(self, message: Message) -> None:
        peer = peer_of(message)
        inp = message_input(message)
        if message.media_group_id and isinstance(inp, Photos):
            self.albums.add(peer, message.media_group_id, inp.refs)
            return
        await self._handle(peer, inp)

    async def on_callback(self, query: CallbackQuery) -> None:
        peer, inp = callback_input(query, self.services.signing_key)
        outcome = await self.conversation.handle(peer, inp)
        try:
            await query.answer(outcome.notice[:200] if outcome.notice else None)
        except TelegramAPIError as exc:
            log.info("callback answer failed: %s", type(exc).__name__)
        await self._reply(peer, outcome.replies)
        self._done(peer)

    async def _handle(self, peer: Peer, inp: Input) -> None:
        outcome = await self.conversation.handle(peer, inp)
        await self._reply(peer, outcome.replies)
        self._done(peer)

    def _done(self, peer: Peer) -> None:
        self.handled[peer.peer_id] += 1
        for listener in self.listeners:
            listener()

    async def _reply(self, peer: Peer, replies: list[Say]) -> None:
        try:
            await self.renderer.send(peer.peer_id, replies)
        except (TelegramAPIError, TelegramNetworkError) as exc:
            log.warning("reply to a telegram chat failed: %s", type(exc).__name__)

    async def start(self) -> None:
        await self.bot.set_my_commands([BotCommand(command=c, description=d) for c, d in RESIDENT_COMMANDS])
        self._polling = asyncio.create_task(
            self.dispatcher.start_polling(self.bot, handle_signals=False, close_bot_session=False,
                                          allowed_updates=ALLOWED_UPDATES, polling_timeout=25))

    async def stop(self) -> None:
        if self._polling is not None:
            try:
                await self.dispatcher.stop_polling()
            except RuntimeError:  # polling has not started yet: cancel the task that would start it
                self._polling.cancel()
            await asyncio.gather(self._polling, return_exceptions=True)
            self._polling = None
        await self.albums.drain()
        await self.bot.session.close()
