"""Drive the web channel over real HTTP (aiohttp client with a cookie jar), as the chat page does."""

from __future__ import annotations

import asyncio
import re
import socket
import uuid
from contextlib import asynccontextmanager
from html import unescape

import aiohttp

from bot.app import Instance
from bot.config import load_settings
from bot.web.identity import COOKIE, PERSONAS, peer_of, read_cookie


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def plain(html_text: str) -> str:
    return unescape(re.sub(r"<[^>]+>", "", html_text))


@asynccontextmanager
async def web_instance(services, db_url, tmp_path, *, demo: bool = False, http_listen: str | None = None,
                       **overrides):
    """A running instance with only the web channel (and the notifier) on a free loopback port."""
    http_listen = http_listen or f"127.0.0.1:{free_port()}"
    settings = load_settings(database_url=db_url, http_listen=http_listen, media_dir=tmp_path / "media",
                             notify_sweep_seconds=1.0, notify_backoff_base_seconds=0.1, **overrides)
    if demo:
        from bot.web.demo import seed_demo

        await seed_demo(services)
    instance = Instance(settings, services, demo=demo)
    await instance.start()
    instance.base_url = f"http://{http_listen}"
    try:
        yield instance
    finally:
        await instance.stop()


class WebVisitor:
    """One browser session: cookie jar, CSRF token, the transcript as the page would show it."""

    def __init__(self, instance) -> None:
        self.instance = instance
        self.base = instance.base_url
        self.http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        self.csrf = ""
        self.persona = "resident"

    async def __aenter__(self) -> WebVisitor:
        async with self.http.get(self.base + "/") as r:
            assert r.status == 200
        await self.refresh_session()
        return self

    async def __aexit__(self, *exc) -> None:
        await self.http.close()

    async def refresh_session(self) -> dict:
        async with self.http.get(self.base + "/web/api/session") as r:
            body = await r.json()
        self.csrf = body["csrf"]
        return body

    async def as_persona(self, persona: str) -> WebVisitor:
        """Demo mode: speak as the moderator or executor persona from now on."""
        async with self.http.post(self.base + "/web/api/persona", json={"persona": persona},
                                  headers={"X-CSRF-Token": self.csrf}) as r:
            assert r.status == 200, await r.text()
        self.persona = persona
        return self

    @property
    def channel(self):
        return self.instance.web

    @property
    def peer_id(self) -> int:
        if self.persona != "resident":
            return PERSONAS[self.persona]
        cookie = next(c for c in self.http.cookie_jar if c.key == COOKIE)
        return peer_of(self.instance.services.signing_key, read_cookie(self.instance.services.signing_key,
                                                                        cookie.value))

    async def messages(self) -> list[dict]:
        async with self.http.get(self.base + "/web/api/messages?after=0") as r:
            return (await r.json())["messages"]

    async def texts(self) -> list[str]:
        return [plain(m["html"]) for m in await self.messages() if m["from"] == "bot"]

    async def post(self, body: dict, *, headers: dict | None = None) -> tuple[int, dict]:
        h = {"X-CSRF-Token": self.csrf, **(headers or {})}
        async with self.http.post(self.base + "/web/api/send", json={"id": uuid.uuid4().hex, **body},
                                  headers=h) as r:
            return r.status, await r.json()

    async def _after(self, push, peer_id: int | None = None) -> list[str]:
        peer = peer_id or self.peer_id
        target = self.channel.handled[peer] + 1
        before = max((m["id"] for m in await self.messages()), default=0)
        status, body = await push()
        assert status == 202, body
        await until(self.channel, lambda: self.channel.handled[peer] >= target, f"input of {peer} handled")
        return [plain(m["html"]) for m in await self.messages() if m["from"] == "bot" and m["id"] > before]

    async def say(self, text: str) -> list[str]:
        return await self._after(lambda: self.post({"kind": "text", "text": text}))

    async def find_button(self, label_start: str) -> dict:
        for m in reversed(await self.messages()):
            for row in m.get("buttons") or []:
                for b in row:
                    if b["label"].startswith(label_start):
                        return b
        raise AssertionError(f"no button {label_start!r}")

    async def press(self, label_start: str) -> list[str]:
        button = await self.find_button(label_start)
        return await self._after(lambda: self.post({"kind": "press", "data": button["data"],
                                                    "label": button["label"]}))

    async def location(self, lat: float, lon: float) -> list[str]:
        return await self._after(lambda: self.post({"kind": "location", "lat": lat, "lon": lon}))

    async def upload_raw(self, files: list[tuple[str, bytes, str]]) -> tuple[int, dict]:
        form = aiohttp.FormData()
        for name, data, mime in files:
            form.add_field("photo", data, filename=name, content_type=mime)
        async with self.http.post(self.base + f"/web/api/photos?id={uuid.uuid4().hex}", data=form,
                                  headers={"X-CSRF-Token": self.csrf}) as r:
            return r.status, await r.json()

    async def upload(self, files: list[tuple[str, bytes, str]]) -> list[str]:
        return await self._after(lambda: self.upload_raw(files))

    async def wait_text(self, needle: str, timeout: float = 15.0) -> None:
        async def found() -> bool:
            return any(needle in t for t in await self.texts())

        deadline = asyncio.get_running_loop().time() + timeout
        while not await found():
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"no message with {needle!r}; last: {(await self.texts())[-3:]}")
            await self.channel.wait(self.peer_id, 0.5)


async def until(channel, predicate, what: str, timeout: float = 15.0) -> None:
    """Wait for an in-process condition, woken whenever the web channel finishes an input."""
    event = asyncio.Event()
    channel.listeners.append(event.set)
    try:
        async with asyncio.timeout(timeout):
            while not predicate():
                event.clear()
                await event.wait()
    except TimeoutError:
        raise AssertionError(f"timed out waiting for {what}") from None
    finally:
        channel.listeners.remove(event.set)
