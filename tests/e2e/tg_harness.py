"""Drive the real Telegram channel (aiogram over HTTP) against FakeTelegram, as a resident would."""

from __future__ import annotations

import asyncio
import re
from contextlib import asynccontextmanager
from html import unescape

from bot.telegram.channel import TelegramChannel, make_bot
from handlers.conversation import Conversation
from tests.fakes.telegram_server import FakeTelegram

TOKEN = "123456:TEST-TOKEN"


def displayed(html_text: str) -> str:
    return unescape(re.sub(r"<[^>]+>", "", html_text))


class Progress:
    """Wakes waiters whenever the channel finishes handling an input."""

    def __init__(self, channel: TelegramChannel) -> None:
        self.channel = channel
        self.event = asyncio.Event()
        channel.listeners.append(self.event.set)

    async def until(self, predicate, timeout: float = 10.0, what: str = "") -> None:
        async def loop():
            while not predicate():
                self.event.clear()
                await self.event.wait()

        try:
            await asyncio.wait_for(loop(), timeout)
        except TimeoutError:
            raise AssertionError(f"timed out waiting for {what or predicate}") from None


class TgResident:
    """One person chatting with the bot through the fake server."""

    def __init__(self, fake: FakeTelegram, env, user_id: int, name: str = "Иван") -> None:
        """`env` has a `progress` attribute (replaced when the bot restarts)."""
        self.fake = fake
        self.env = env
        self.user_id = user_id
        self.name = name
        self.seen = 0

    @property
    def messages(self) -> list[dict]:
        return self.fake.sent_messages(self.user_id)

    def new_messages(self) -> list[dict]:
        fresh = self.messages[self.seen:]
        self.seen = len(self.messages)
        return fresh


    async def _after(self, push, count: int = 1) -> list[dict]:
        progress = self.env.progress
        target = progress.channel.handled[self.user_id] + count
        push()
        await progress.until(lambda: progress.channel.handled[self.user_id] >= target,
                             what=f"user {self.user_id} input handled")
        return self.new_messages()

    async def say(self, text: str) -> list[dict]:
        return await self._after(lambda: self.fake.user_text(self.user_id, text, self.name))

    async def photo(self, data: bytes, group: str | None = None) -> list[dict]:
        return await self._after(lambda: self.fake.user_photo(self.user_id, data, media_group_id=group))

    async def album(self, blobs: list[bytes], group: str = "album-1") -> list[dict]:
        def push():
            for blob in blobs:
                self.fake.user_photo(self.user_id, blob, media_group_id=group)
        return await self._after(push)

    async def document(self, data: bytes, name: str, mime: str) -> list[dict]:
        return await self._after(lambda: self.fake.user_document(self.user_id, data, name, mime))

    async def location(self, lat: float, lon: float) -> list[dict]:
        return await self._after(lambda: self.fake.user_location(self.user_id, lat, lon))

    async def send_kind(self, kind: str) -> list[dict]:
        pushers = {"sticker": self.fake.user_sticker, "voice": self.fake.user_voice, "video": self.fake.user_video,
                   "contact": lambda uid: self.fake.user_contact(uid, "+79990000000")}
        return await self._after(lambda: pushers[kind](self.user_id))

    def _buttons(self):
        for msg in reversed(self.messages):
            markup = msg.get("reply_markup") or {}
            for row in markup.get("inline_keyboard", []):
                for button in row:
                    yield msg["message_id"], button["text"], button["callback_data"]
            for row in markup.get("keyboard", []):
                for button in row:
                    text = button["text"] if isinstance(button, dict) else button
                    yield msg["message_id"], text, None

    def find_button(self, label_start: str) -> tuple[int, str, str | None]:
        for message_id, text, data in self._buttons():
            if text.startswith(label_start):
                return message_id, text, data
        raise AssertionError(f"no button {label_start!r}; last: {self.messages[-1:]}")

    async def press(self, label_start: str) -> list[dict]:
        message_id, text, data = self.find_button(label_start)
        if data is None:  # a reply-keyboard button sends its label as text
            return await self.say(text)
        return await self.press_data(message_id, data)

    async def press_data(self, message_id: int, data: str, check: bool = True) -> list[dict]:
        return await self._after(lambda: self.fake.user_callback(self.user_id, message_id, data, check=check))

    def texts(self) -> list[str]:
        """What the person sees in each bot message: HTML parsed, tags dropped, entities unescaped."""
        return [m.get("plain") or displayed(m.get("text") or m.get("caption") or "") for m in self.messages]

    def last_text(self) -> str:
        texts = self.texts()
        return texts[-1] if texts else ""

    def photos_received(self) -> int:
        """Photos the bot sent to this person (sendPhoto and sendMediaGroup items)."""
        return sum(1 for m in self.messages if m.get("photo"))


@asynccontextmanager
async def telegram_bot(services, *, album_wait: float = 0.3, fake: FakeTelegram | None = None):
    """A running TelegramChannel (long polling) against a fake Bot API server."""
    own = fake is None
    fake = fake or FakeTelegram(token=TOKEN)
    if own:
        await fake.start()
    channel, progress = await start_telegram(services, fake, album_wait=album_wait)
    try:
        yield fake, channel, progress
    finally:
        await channel.stop()
        if own:
            await fake.stop()


async def start_telegram(services, fake: FakeTelegram, *, album_wait: float = 0.3):
    """A new bot process as far as the dialog is concerned: new Bot, Dispatcher and Conversation."""
    bot = make_bot(TOKEN, fake.base_url)
    channel = TelegramChannel(bot, services, Conversation(services), album_wait=album_wait)
    await channel.start()
    return channel, Progress(channel)
