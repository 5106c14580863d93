"""Neutral replies → messages.send calls (one request per reply): plain text in pieces, photos attached,
VK keyboards, stable random_id."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from html import unescape

from vk_api.keyboard import VkKeyboard

from bot.photo_cache import load_photos, remember
from bot.vk.batch import Call
from bot.vk.client import VkClient
from bot.vk.inputs import CHANNEL, button_payload
from handlers.callbacks import sign
from handlers.context import Services
from handlers.textsplit import split_text
from handlers.types import Say

TEXT_LIMIT = 4096
MAX_ATTACHMENTS = 10
_LINK = re.compile(r'<a\s+href="([^"]*)"[^>]*>(.*?)</a>', re.S)
_TAG = re.compile(r"<[^>]+>")


def plain(markup: str) -> str:
    """The HTML subset as VK plain text: tags dropped, a link as «text (url)», entities unescaped."""
    def link(m: re.Match[str]) -> str:
        text = _TAG.sub("", m[2])
        return text if unescape(text) == unescape(m[1]) else f"{text} ({m[1]})"

    return unescape(_TAG.sub("", _LINK.sub(link, markup)))


def random_id(key: str, index: int) -> int:
    """A positive 31-bit id stable for (key, index): VK drops a second send with the same one."""
    digest = hashlib.blake2b(f"{key}#{index}".encode(), digest_size=4).digest()
    return int.from_bytes(digest, "big") & 0x7FFFFFFF or 1


def keyboard(reply: Say, key: bytes, peer_id: int) -> str | None:
    """Choices as an inline keyboard of callback buttons; with ask_location, a one-time standard keyboard:
    the location button alone on the first row, the choices as text buttons carrying the same payload."""
    if not reply.buttons and not reply.ask_location:
        return None
    kb = VkKeyboard(one_time=reply.ask_location, inline=not reply.ask_location)
    if reply.ask_location:
        kb.add_location_button()
    for i, row in enumerate(reply.buttons):
        if i or reply.ask_location:
            kb.add_line()
        for b in row:
            add = kb.add_button if reply.ask_location else kb.add_callback_button
            add(b.label[:40], payload=button_payload(sign(key, CHANNEL, peer_id, b.payload)))
    return kb.get_keyboard()


class VkRenderer:
    def __init__(self, client: VkClient, services: Services) -> None:
        self.client = client
        self.services = services

    async def send(self, peer_id: int, replies: Sequence[Say], *, key: str, first: Sequence[Call] = ()) -> list:
        """Send in order, after the calls in `first` (a button press's event answer), in one request when
        there is more than one call; message n of this send gets random_id(key, n), so a repeat is never
        delivered twice. Photos not yet on VK are uploaded first (their own requests, cached by content).
        Returns the results of all calls, `first` first."""
        return await self.client.call_all([*first, *await self.messages(peer_id, replies, key=key)])

    async def messages(self, peer_id: int, replies: Sequence[Say], *, key: str) -> list[Call]:
        """The messages.send calls of `replies`, in order."""
        calls, index = [], 0
        for reply in replies:
            attachments = await self._photos(peer_id, reply.photos)
            groups = [",".join(attachments[i:i + MAX_ATTACHMENTS])
                      for i in range(0, len(attachments), MAX_ATTACHMENTS)] or [None]
            messages = [("", g) for g in groups[:-1]]
            pieces = [plain(p) for p in split_text(reply.text, TEXT_LIMIT)] or [""]
            messages += [(p, groups[-1] if i == 0 else None) for i, p in enumerate(pieces)]
            messages = [(text, att) for text, att in messages if text.strip() or att]
            markup = keyboard(reply, self.services.signing_key, peer_id)
            for n, (text, attachment) in enumerate(messages):
                calls.append(Call("messages.send", {
                    "peer_id": peer_id, "random_id": random_id(key, index), "message": text or None,
                    "attachment": attachment, "keyboard": markup if n == len(messages) - 1 else None,
                    "disable_mentions": 1}))
                index += 1
        return calls

    async def _photos(self, peer_id: int, photo_ids: Sequence[int]) -> list[str]:
        """Attachment strings, uploading photos not yet known to VK and caching what was uploaded."""
        photos = await load_photos(self.services, photo_ids)
        out, uploaded, upload_url = [], {}, None
        for photo in photos:
            cached = (photo.channel_ids or {}).get(CHANNEL)
            if not cached:
                if upload_url is None:
                    server = await self.client.call("photos.getMessagesUploadServer", peer_id=peer_id)
                    upload_url = server["upload_url"]
                data = await self.services.media.get(photo.media_key)
                answer = await self.client.upload(upload_url, "photo", f"{photo.sha256[:12]}.jpg", data)
                [saved] = await self.client.call("photos.saveMessagesPhoto", photo=answer["photo"],
                                                 server=answer["server"], hash=answer["hash"])
                access = f"_{saved['access_key']}" if saved.get("access_key") else ""
                cached = uploaded[photo.id] = f"photo{saved['owner_id']}_{saved['id']}{access}"
            out.append(cached)
        await remember(self.services, CHANNEL, uploaded)
        return out
