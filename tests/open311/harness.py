"""An instance's HTTP app with the Open311 API on a loopback port, API keys, and a raw HTTP client."""

from __future__ import annotations

import socket
from contextlib import asynccontextmanager
from xml.etree import ElementTree as ET

import aiohttp
from aiohttp import web

from bot.config import load_settings
from bot.http import build_app
from bot.metrics import Metrics
from bot.open311.config import mount_open311
from handlers import apikeys


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Api:
    """Raw HTTP against /open311/v2 (aiohttp client)."""

    def __init__(self, base: str, session: aiohttp.ClientSession) -> None:
        self.base, self.session = base, session

    @property
    def root(self) -> str:
        return f"{self.base}/open311/v2"

    async def get(self, path: str, **params) -> tuple[int, str, bytes]:
        async with self.session.get(f"{self.root}/{path}", params=params) as resp:
            return resp.status, resp.headers.get("Content-Type", ""), await resp.read()

    async def post(self, fmt: str = "json", **form) -> tuple[int, object]:
        async with self.session.post(f"{self.root}/requests.{fmt}", data=form) as resp:
            body = await resp.read()
            return resp.status, (body_json(body) if fmt == "json" else ET.fromstring(body))

    async def get_json(self, path: str, **params):
        status, ctype, body = await self.get(path, **params)
        assert ctype.startswith("application/json"), (status, ctype, body[:200])
        return status, body_json(body)

    async def get_xml(self, path: str, **params) -> tuple[int, ET.Element]:
        status, ctype, body = await self.get(path, **params)
        assert ctype.startswith("text/xml"), (status, ctype, body[:200])
        assert body.startswith(b"<?xml"), body[:60]
        return status, ET.fromstring(body)


def body_json(body: bytes):
    import json

    return json.loads(body.decode("utf-8"))


@asynccontextmanager
async def open311_server(services, **overrides):
    """The instance's HTTP app (build_app + the Open311 mount, as bot.app wires them) on 127.0.0.1."""
    settings = load_settings(**overrides)
    app = build_app(services, Metrics(), [])
    mount_open311(app, services, settings)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        async with aiohttp.ClientSession() as session:
            yield Api(f"http://127.0.0.1:{port}", session)
    finally:
        await runner.cleanup()


async def new_key(services, name: str = "portal", rate: int = 60) -> str:
    async with services.uow() as uow:
        _key, secret = await apikeys.add(services, uow, name, rate)
        await uow.commit()
    return secret


FORM = {"service_code": "roads", "lat": "61.67", "long": "50.84",
        "description": "Глубокая яма на Коммунистической у дома 10, машины объезжают по встречке"}
