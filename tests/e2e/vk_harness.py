"""Drive the real VK channel (vk_api over HTTP) against FakeVK, as a resident would."""

from __future__ import annotations

import json
from contextlib import AsyncExitStack, asynccontextmanager

from bot.vk.channel import VkChannel
from bot.vk.client import VkClient
from handlers.conversation import Conversation
from tests.e2e.tg_harness import Progress, TgResident
from tests.fakes.vk_server import FakeVK

TOKEN = "vk-group-token"
GROUP_ID = 77


class VkResident(TgResident):
    """One person writing to the community through the fake server. The interface is TgResident's, and so
    are the channel-neutral parts (waiting for the input to be handled, new messages, the last text)."""

    def __init__(self, fake: FakeVK, env, user_id: int, name: str = "Иван") -> None:
        super().__init__(fake, env, user_id, name)  # type: ignore[arg-type]
        fake.users[user_id] = {"first_name": name, "last_name": ""}

    @property
    def messages(self) -> list[dict]:
        """Messages the bot sent to this person; "text" mirrors VK's "message" for shared assertions."""
        return [{**m, "text": m["message"]} for m in self.fake.sent_messages(self.user_id)]

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
                    if action["type"] in ("callback", "text"):
                        yield msg["message_id"], action["label"], json.loads(action["payload"])["b"]

    async def press(self, label_start: str) -> list[dict]:
        message_id, label, data = self.find_button(label_start)
        [msg] = [m for m in self.messages if m["message_id"] == message_id]
        if not msg["keyboard"]["inline"]:  # a standard-keyboard button sends its label with its payload
            return await self._after(lambda: self._message(label, payload={"b": data}))
        return await self.press_data(message_id, data)

    async def press_data(self, message_id: int, data: str, check: bool = True) -> list[dict]:
        """Press a callback button of message ``message_id`` whose signed payload is ``data``."""
        msg = next(m for m in self.messages if m["message_id"] == message_id)
        if check and data not in [d for mid, _, d in self._buttons() if mid == message_id]:
            raise AssertionError(f"message {message_id} has no button with payload {data!r}")
        return await self._after(lambda: self.fake.user_presses(
            self.user_id, {"b": data}, msg["conversation_message_id"]))

    def texts(self) -> list[str]:
        """What the person sees in each bot message (VK shows plain text)."""
        return [m["message"] for m in self.messages]

    def photos_received(self) -> int:
        """Photos the bot attached to messages to this person."""
        return sum(a.startswith("photo") for m in self.messages for a in (m["attachment"] or "").split(","))


@asynccontextmanager
async def vk_bot(services, *, fake: FakeVK | None = None, wait: int = 25, backoff: float = 0.05):
    """A running VkChannel (Bots Long Poll) against a fake VK API server (a new one unless given)."""
    async with AsyncExitStack() as stack:
        if fake is None:
            fake = await stack.enter_async_context(FakeVK(token=TOKEN, group_id=GROUP_ID))
        channel, progress = await start_vk(services, fake, wait=wait, backoff=backoff)
        stack.push_async_callback(channel.stop)
        yield fake, channel, progress


async def start_vk(services, fake: FakeVK, *, wait: int = 25, backoff: float = 0.05):
    """A new bot process as far as the dialog is concerned: new VkApi, long poll and Conversation."""
    client = VkClient(fake.token, fake.base_url, rps=20, backoff=backoff)
    channel = VkChannel(client, services, Conversation(services), fake.group_id, wait=wait)
    await channel.start()
    return channel, Progress(channel)
