"""Drive the real VK channel (vk_api over HTTP) against FakeVK, as a resident would."""

from __future__ import annotations

import json
from contextlib import asynccontextmanager

from bot.vk.channel import VkChannel
from bot.vk.client import VkClient
from handlers.conversation import Conversation
from tests.e2e.tg_harness import Progress
from tests.fakes.vk_server import FakeVK

TOKEN = "vk-group-token"
GROUP_ID = 77


class VkResident:
    """One person writing to the community through the fake server (same interface as TgResident)."""

    def __init__(self, fake: FakeVK, env, user_id: int, name: str = "Иван") -> None:
        """`env` has a `progress` attribute (replaced when the bot restarts)."""
        self.fake = fake
        self.env = env
        self.user_id = user_id
        self.name = name
        self.seen = 0
        fake.users[user_id] = {"first_name": name, "last_name": ""}

    @property
    def messages(self) -> list[dict]:
        """Messages the bot sent to this person; "text" mirrors VK's "message" for shared assertions."""
        return [{**m, "text": m["message"]} for m in self.fake.sent_messages(self.user_id)]

    def new_messages(self) -> list[dict]:
        fresh = self.messages[self.seen:]
        self.seen += len(fresh)
        return fresh

    async def _after(self, push, count: int = 1) -> list[dict]:
        progress = self.env.progress
        target = progress.channel.handled[self.user_id] + count
        push()
        await progress.until(lambda: progress.channel.handled[self.user_id] >= target,
                             what=f"vk user {self.user_id} input handled")
        return self.new_messages()

    def _message(self, text: str = "", **kw) -> None:
        self.fake.user_message(self.user_id, text, **kw)

    async def say(self, text: str) -> list[dict]:
        return await self._after(lambda: self._message(text))

    async def photo(self, data: bytes, group: str | None = None) -> list[dict]:
        return await self.album([data])

    async def album(self, blobs: list[bytes], group: str = "album-1") -> list[dict]:
        """Several photos in ONE VK message (VK has no albums split into updates)."""
        return await self._after(lambda: self._message(
            attachments=[self.fake.photo_attachment(blob) for blob in blobs]))

    async def document(self, data: bytes, name: str, mime: str) -> list[dict]:
        ext = name.rsplit(".", 1)[-1] if "." in name else "bin"
        return await self._after(lambda: self._message(attachments=[self.fake.doc_attachment(data, name, ext)]))

    async def location(self, lat: float, lon: float) -> list[dict]:
        return await self._after(lambda: self._message(geo=(lat, lon)))

    async def send_kind(self, kind: str) -> list[dict]:
        """sticker, voice, video, audio, wall, link; VK has no contact attachment, so "contact" sends a
        gift, another kind the bot cannot use."""
        f = self.fake
        make = {"sticker": f.sticker_attachment, "voice": f.audio_message_attachment, "video": f.video_attachment,
                "wall": f.wall_attachment, "link": lambda: f.link_attachment("https://example.org"),
                "audio": lambda: {"type": "audio", "audio": {"id": 1, "owner_id": 100, "artist": "a", "title": "t"}},
                "contact": lambda: {"type": "gift", "gift": {"id": 1}}}[kind]
        return await self._after(lambda: self._message(attachments=[make()]))

    def _buttons(self):
        for msg in reversed(self.messages):
            for row in (msg.get("keyboard") or {}).get("buttons", []):
                for button in row:
                    action = button["action"]
                    signed = json.loads(action["payload"]).get("b") if action.get("payload") else None
                    yield msg, action["type"], action.get("label", ""), signed

    def find_button(self, label_start: str) -> tuple[int, str, str | None]:
        msg, _kind, label, signed = self._find(label_start)
        return msg["message_id"], label, signed

    def _find(self, label_start: str):
        for msg, kind, label, signed in self._buttons():
            if kind in ("callback", "text") and label.startswith(label_start):
                return msg, kind, label, signed
        raise AssertionError(f"no button {label_start!r}; last: {self.messages[-1:]}")

    async def press(self, label_start: str) -> list[dict]:
        msg, kind, label, signed = self._find(label_start)
        if kind == "text":  # a standard-keyboard button sends its label with its payload
            return await self._after(lambda: self._message(label, payload={"b": signed}))
        return await self.press_data(msg["message_id"], signed)

    async def press_data(self, message_id: int, data: str, check: bool = True) -> list[dict]:
        """Press a callback button of message ``message_id`` whose signed payload is ``data``."""
        msg = next(m for m in self.messages if m["message_id"] == message_id)
        if check and data not in [s for m, _, _, s in self._buttons() if m["message_id"] == message_id]:
            raise AssertionError(f"message {message_id} has no button with payload {data!r}")
        return await self._after(lambda: self.fake.user_presses(
            self.user_id, {"b": data}, msg["conversation_message_id"]))

    def texts(self) -> list[str]:
        """What the person sees in each bot message (VK shows plain text)."""
        return [m["message"] for m in self.messages]

    def last_text(self) -> str:
        texts = self.texts()
        return texts[-1] if texts else ""

    def photos_received(self) -> int:
        """Photos the bot attached to messages to this person."""
        return sum(a.startswith("photo") for m in self.messages for a in (m["attachment"] or "").split(","))


@asynccontextmanager
async def vk_bot(services, *, fake: FakeVK | None = None, wait: int = 25, backoff: float = 0.05):
    """A running VkChannel (Bots Long Poll) against a fake VK API server."""
    own = fake is None
    fake = fake or FakeVK(token=TOKEN, group_id=GROUP_ID)
    if own:
        await fake.start()
    channel, progress = await start_vk(services, fake, wait=wait, backoff=backoff)
    try:
        yield fake, channel, progress
    finally:
        await channel.stop()
        if own:
            await fake.stop()


async def start_vk(services, fake: FakeVK, *, wait: int = 25, backoff: float = 0.05):
    """A new bot process as far as the dialog is concerned: new VkApi, long poll and Conversation."""
    client = VkClient(fake.token, fake.base_url, rps=20, backoff=backoff)
    channel = VkChannel(client, services, Conversation(services), fake.group_id, wait=wait)
    await channel.start()
    return channel, Progress(channel)
