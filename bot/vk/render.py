"""Neutral replies → messages.send calls (one request per reply, new photos saved in it): plain text in pieces,
photos attached, generated files uploaded (charts as photos, exports as documents), VK keyboards, stable random_id."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from html import unescape

from vk_api.keyboard import VkKeyboard

from bot.photo_cache import load_photos, remember
from bot.vk.batch import Call, joined
from bot.vk.client import VkClient
from bot.vk.inputs import CHANNEL, button_payload
from handlers.callbacks import sign
from handlers.context import Services
from handlers.textsplit import split_text
from handlers.types import FileRef, Say

TEXT_LIMIT = 4096
MAX_ATTACHMENTS = 10
_LINK = re.compile(r'<a\s+href="([^"]*)"[^>]*>(.*?)</a>', re.S)
_TAG = re.compile(r"<[^>]+>")
# VKScript run in the execute after photos.saveMessagesPhoto: its result becomes the attachment string
# (photo<owner_id>_<id>[_<access_key>]) that the messages attaching the photo use and the cache keeps
SAVED_ATTACHMENT = ('var p{n} = {r}[0];\n{r} = "photo" + p{n}.owner_id + "_" + p{n}.id;\n'
                    'if (p{n}.access_key) {r} = {r} + "_" + p{n}.access_key;')
# the same after docs.save: its {type: "doc", doc: {owner_id, id}} becomes doc<owner_id>_<id>
SAVED_DOC = 'var d{n} = {r}.doc;\n{r} = "doc" + d{n}.owner_id + "_" + d{n}.id;'


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
        delivered twice. Photos not yet on VK are uploaded first (an upload server request and the HTTP
        upload), saved in the same request as the messages and cached by content from its answer.
        Returns the results of all calls, `first` first."""
        calls, saves = await self.messages(peer_id, replies, key=key)
        calls = [*first, *calls]
        results = await self.client.call_all(calls)
        await remember(self.services, CHANNEL, {saves[c]: r for c, r in zip(calls, results, strict=True)
                                                if c in saves and isinstance(r, str)})
        return results

    async def messages(self, peer_id: int, replies: Sequence[Say], *, key: str) -> tuple[list[Call], dict[Call, int]]:
        """The calls of `replies` in order: messages.send, each new photo's save just before the first
        message attaching it; and the save calls with their photo ids."""
        attachments, saves = await self._photos(peer_id, [p for r in replies for p in r.photos])
        calls: list[Call] = []
        index = 0
        for reply in replies:
            mine = [attachments[p] for p in reply.photos if p in attachments]
            calls += [a for a in mine if isinstance(a, Call) and a not in calls]
            groups = [joined(with_commas(mine[i:i + MAX_ATTACHMENTS]))
                      for i in range(0, len(mine), MAX_ATTACHMENTS)] or [None]
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
            for save in await self._files(peer_id, reply.files):
                calls += [save, Call("messages.send", {"peer_id": peer_id, "random_id": random_id(key, index),
                                                       "attachment": joined([save]), "disable_mentions": 1})]
                index += 1
        return calls, saves

    async def _files(self, peer_id: int, files: Sequence[FileRef]) -> list[Call]:
        """Upload generated files (charts as message photos, exports as documents); per file the save call
        whose result (after its `then`) is the attachment string. Not cached: each is made for one send."""
        servers: dict[str, str] = {}
        out = []
        for file in files:
            kind = "photo" if file.is_image else "doc"
            if kind not in servers:
                method, args = (("photos.getMessagesUploadServer", {"peer_id": peer_id}) if kind == "photo"
                                else ("docs.getMessagesUploadServer", {"type": "doc", "peer_id": peer_id}))
                servers[kind] = (await self.client.call(method, **args))["upload_url"]
            data = await self.services.media.get(file.key)
            answer = await self.client.upload(servers[kind], "photo" if kind == "photo" else "file", file.name, data)
            if kind == "photo":
                out.append(Call("photos.saveMessagesPhoto", {"photo": answer["photo"], "server": answer["server"],
                                                             "hash": answer["hash"]}, then=SAVED_ATTACHMENT))
            else:
                out.append(Call("docs.save", {"file": answer["file"], "title": file.name}, then=SAVED_DOC))
        return out

    async def _photos(self, peer_id: int, photo_ids: Sequence[int]) -> tuple[dict[int, str | Call], dict[Call, int]]:
        """Per photo its attachment string when VK has it already, else (after uploading it here, under one
        upload server per send) the save call whose result will be it; and the save calls' photo ids."""
        photos = await load_photos(self.services, list(dict.fromkeys(photo_ids)))
        out: dict[int, str | Call] = {}
        saves: dict[Call, int] = {}
        upload_url = None
        for photo in photos:
            cached = (photo.channel_ids or {}).get(CHANNEL)
            if cached:
                out[photo.id] = cached
                continue
            if upload_url is None:
                server = await self.client.call("photos.getMessagesUploadServer", peer_id=peer_id)
                upload_url = server["upload_url"]
            data = await self.services.media.get(photo.media_key)
            answer = await self.client.upload(upload_url, "photo", f"{photo.sha256[:12]}.jpg", data)
            save = Call("photos.saveMessagesPhoto", {"photo": answer["photo"], "server": answer["server"],
                                                     "hash": answer["hash"]}, then=SAVED_ATTACHMENT)
            out[photo.id] = save
            saves[save] = photo.id
        return out, saves


def with_commas(attachments: Sequence[str | Call]) -> list[str | Call]:
    return [part for i, a in enumerate(attachments) for part in ([","] if i else []) + [a]]
