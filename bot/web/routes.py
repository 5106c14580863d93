"""The web chat's HTTP endpoints on the instance's server: the page, its API, server-sent events, media."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import uuid
from pathlib import Path
from urllib.parse import quote

from aiohttp import web

from bot.web.channel import WebChannel
from bot.web.guard import (
    Limits,
    WebOptions,
    client_address,
    error,
    origin_allowed,
    security_headers,
    too_fast,
)
from bot.web.identity import (
    COOKIE,
    PERSONA_COOKIE,
    PERSONAS,
    Visitor,
    csrf_ok,
    csrf_token,
    file_sig,
    media_sig,
)
from bot.web.inputs import BadRequest, normalize
from bot.web.render import message_json
from bot.web.session import NEW_COOKIE, ensure_cookie, set_cookie, visitor
from bot.web.uploads import MAX_FILES, MAX_REQUEST_BYTES, TooLarge
from handlers.commands_menu import commands_for
from handlers.context import Services
from handlers.i18n import DEFAULT, language, t
from storage import webchat
from storage.models import Photo

log = logging.getLogger(__name__)

STATIC = Path(__file__).resolve().parent / "static"
FILES = {"chat.js": "text/javascript", "chat.css": "text/css", "embed.js": "text/javascript"}
_CLIENT_ID = re.compile(r"^[A-Za-z0-9-]{8,40}$")
HEARTBEAT = 15.0

# the page's own labels in the person's language (web-ui.… in the catalogs), applied by chat.js at load
WEB_UI = ("subtitle", "message", "placeholder", "send", "attach", "log", "commands")


class WebRoutes:
    def __init__(self, channel: WebChannel, services: Services, options: WebOptions) -> None:
        self.channel, self.services, self.options = channel, services, options
        self.limits = Limits(options)
        self.closing = asyncio.Event()
        self.poll = 15.0 if services.db.is_sqlite else 2.0  # other instances cannot wake this one

    @property
    def key(self) -> bytes:
        return self.services.signing_key

    def add_to(self, app: web.Application) -> None:
        r = app.router
        r.add_get("/", self.page)
        r.add_get("/web/", self.page)
        r.add_get("/web/static/{name}", self.static)
        r.add_get("/web/embed.js", self.embed)
        r.add_get("/web/api/session", self.session)
        r.add_get("/web/api/messages", self.messages)
        r.add_get("/web/api/events", self.events)
        r.add_post("/web/api/send", self.send)
        r.add_post("/web/api/photos", self.photos)
        r.add_post("/web/api/persona", self.persona)
        r.add_get("/web/media/{photo_id:\\d+}", self.media)
        r.add_get("/web/file/{key:[0-9a-f]+}", self.file)
        app.on_shutdown.append(self._shutdown)

    async def _shutdown(self, _app: web.Application) -> None:
        self.closing.set()
        self.channel.wake_all()

    def _finish(self, request: web.Request, response: web.StreamResponse) -> web.StreamResponse:
        if request.get(NEW_COOKIE):
            set_cookie(response, COOKIE, request[NEW_COOKIE], self.options)
        security_headers(response, self.options)
        response.headers.setdefault("Cache-Control", "no-store")
        return response

    # ----- pages and files -----
    async def page(self, request: web.Request) -> web.StreamResponse:
        ensure_cookie(request, self.key)
        body = await asyncio.to_thread((STATIC / "chat.html").read_bytes)
        return self._finish(request, web.Response(body=body, content_type="text/html", charset="utf-8"))

    async def static(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        if name not in FILES:
            raise web.HTTPNotFound()
        body = await asyncio.to_thread((STATIC / name).read_bytes)
        response = web.Response(body=body, content_type=FILES[name], charset="utf-8",
                                headers={"Cache-Control": "max-age=300"})
        return self._finish(request, response)

    async def embed(self, request: web.Request) -> web.StreamResponse:
        body = await asyncio.to_thread((STATIC / "embed.js").read_bytes)
        return web.Response(body=body, content_type="text/javascript", charset="utf-8",
                            headers={"Cache-Control": "max-age=300", "X-Content-Type-Options": "nosniff"})

    # ----- reading -----
    async def session(self, request: web.Request) -> web.StreamResponse:
        ensure_cookie(request, self.key)
        v = visitor(request, self.key, self.options)
        assert v is not None
        async with self.services.uow() as uow:
            user = await uow.users.get("web", v.peer_id)
            roles = sorted(user.role_names - {"resident"}) if user else []
            lang = language(user.language) if user else DEFAULT
        body = {"csrf": csrf_token(self.key, v.rid), "persona": v.persona, "demo": self.options.demo,
                "personas": ["resident", *PERSONAS] if self.options.demo else [],
                "commands": [{"command": c, "description": d} for c, d in commands_for(roles, lang)],
                "lang": lang, "ui": {key: t(lang, f"web-ui.{key}") for key in WEB_UI},
                "max_photos": self.services.config.max_photos}
        return self._finish(request, web.json_response(body))

    def _visitor_or_403(self, request: web.Request) -> Visitor:
        v = visitor(request, self.key, self.options)
        if v is None:
            raise web.HTTPForbidden(text=json.dumps({"error": t(DEFAULT, "web-session-lost")}), content_type="application/json")
        return v

    async def _rows(self, peer_id: int, after: int) -> list[dict]:
        async with self.services.uow() as uow:
            rows = await webchat.after(uow.session, peer_id, after)
        return [message_json(r, self.key, peer_id) for r in rows]

    async def messages(self, request: web.Request) -> web.StreamResponse:
        v = self._visitor_or_403(request)
        after = _int(request.query.get("after"))
        return self._finish(request, web.json_response({"messages": await self._rows(v.peer_id, after)}))

    async def events(self, request: web.Request) -> web.StreamResponse:
        """Server-sent events: every transcript message after `after` (or Last-Event-ID), as it arrives."""
        v = self._visitor_or_403(request)
        after = _int(request.headers.get("Last-Event-ID") or request.query.get("after"))
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-store",
                                               "X-Accel-Buffering": "no"})
        self._finish(request, response)
        await response.prepare(request)
        idle = 0.0
        try:
            await response.write(b"retry: 2000\n\n")
            while not self.closing.is_set() and self.channel.running:
                batch = await self._rows(v.peer_id, after)
                for item in batch:
                    data = json.dumps(item, ensure_ascii=False)
                    await response.write(f"id: {item['id']}\ndata: {data}\n\n".encode())
                    after = item["id"]
                if batch:
                    idle = 0.0
                elif idle >= HEARTBEAT:
                    await response.write(b": ping\n\n")
                    idle = 0.0
                started = asyncio.get_running_loop().time()
                await self.channel.wait(v.peer_id, min(self.poll, HEARTBEAT))
                idle += asyncio.get_running_loop().time() - started
        except (ConnectionResetError, asyncio.CancelledError):
            pass  # the page went away
        return response

    async def media(self, request: web.Request) -> web.StreamResponse:
        v = self._visitor_or_403(request)
        photo_id = int(request.match_info["photo_id"])
        if request.query.get("s") != media_sig(self.key, v.peer_id, photo_id):
            raise web.HTTPNotFound()
        async with self.services.uow() as uow:
            photo = await uow.session.get(Photo, photo_id)
        if photo is None:
            raise web.HTTPNotFound()
        data = await self.services.media.get(photo.media_key)
        return self._finish(request, web.Response(body=data, content_type="image/jpeg",
                                                  headers={"Cache-Control": "private, max-age=3600"}))

    async def file(self, request: web.Request) -> web.StreamResponse:
        """A generated file (chart, export) sent to this person: only with the link's signature."""
        v = self._visitor_or_403(request)
        key, q = request.match_info["key"], request.query
        name, mime = q.get("n", ""), q.get("t", "")
        if not name or q.get("s") != file_sig(self.key, v.peer_id, key, name, mime):
            raise web.HTTPNotFound()
        try:
            data = await self.services.media.get(key)
        except (FileNotFoundError, ValueError):
            raise web.HTTPNotFound() from None
        inline = mime in ("image/png", "image/jpeg")
        disposition = "inline" if inline else f"attachment; filename*=UTF-8''{quote(name)}"
        return self._finish(request, web.Response(body=data, content_type=mime if inline else "application/octet-stream",
                                                  headers={"Cache-Control": "private, max-age=3600",
                                                           "Content-Disposition": disposition}))

    # ----- writing -----
    def _guard(self, request: web.Request) -> tuple[Visitor | None, web.Response | None]:
        if not origin_allowed(request, self.options):
            return None, error(403, t(DEFAULT, "web-origin"))
        v = visitor(request, self.key, self.options)
        if v is None:
            return None, error(403, t(DEFAULT, "web-session-lost"))
        if not csrf_ok(self.key, v.rid, request.headers.get("X-CSRF-Token")):
            return None, error(403, t(DEFAULT, "web-csrf"))
        if not self.limits.allow(v.rid, client_address(request)):
            return None, too_fast()
        return v, None

    def _key(self, v: Visitor, raw: str | None) -> str:
        client = raw if raw and _CLIENT_ID.match(raw) else uuid.uuid4().hex
        return f"{v.peer_id}:{client}"

    async def send(self, request: web.Request) -> web.StreamResponse:
        v, refused = self._guard(request)
        if refused is not None:
            return refused
        try:
            body = await request.json()
            payload = normalize(body)
        except (json.JSONDecodeError, UnicodeDecodeError, BadRequest):
            return error(400, t(DEFAULT, "web-bad-request"))
        new = await self.channel.ingest(v.peer_id, self._key(v, body.get("id")), payload)
        return web.json_response({"ok": True, "new": new}, status=202)

    async def photos(self, request: web.Request) -> web.StreamResponse:
        v, refused = self._guard(request)
        if refused is not None:
            return refused
        if request.content_length and request.content_length > MAX_REQUEST_BYTES:
            return error(413, t(DEFAULT, "web-too-large", files=MAX_FILES, mb=MAX_REQUEST_BYTES >> 20))
        try:
            files = await self.channel.uploads.receive(await request.multipart())
        except TooLarge:
            return error(413, t(DEFAULT, "web-too-large", files=MAX_FILES, mb=MAX_REQUEST_BYTES >> 20))
        except (AssertionError, ValueError, KeyError):  # not multipart at all, a broken body
            return error(400, t(DEFAULT, "web-bad-request"))
        new = await self.channel.ingest(v.peer_id, self._key(v, request.query.get("id")),
                                        {"kind": "photos", "files": files})
        if not new:
            self.channel.uploads.discard(files)
        return web.json_response({"ok": True, "files": len(files)}, status=202)

    async def persona(self, request: web.Request) -> web.StreamResponse:
        v, refused = self._guard(request)
        if refused is not None:
            return refused
        if not self.options.demo:
            return error(403, t(DEFAULT, "web-demo-only"))
        try:
            wanted = (await request.json()).get("persona")
        except (json.JSONDecodeError, UnicodeDecodeError, AttributeError):
            wanted = None
        if wanted not in ("resident", *PERSONAS):
            return error(400, t(DEFAULT, "web-bad-request"))
        response = web.json_response({"ok": True, "persona": wanted})
        set_cookie(response, PERSONA_COOKIE, wanted, self.options)
        return response


def _int(raw: str | None) -> int:
    return int(raw) if raw and raw.isdigit() and len(raw) < 19 else 0
