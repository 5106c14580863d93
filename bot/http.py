"""The instance's HTTP server: Telegram webhook, VK Callback API, /healthz and /metrics (the web chat
adds its own routes, bot.web.routes)."""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from sqlalchemy import text

from bot.metrics import Metrics
from handlers.context import Services
from storage import inbox

log = logging.getLogger(__name__)

Ingest = Callable[[list[dict[str, Any]]], Awaitable[None]]
SERVICES = web.AppKey("services", Services)
METRICS = web.AppKey("metrics", Metrics)
CHANNELS = web.AppKey("channels", list)
EXTRA = web.AppKey("extra", object)


def secret_matches(given: str | None, expected: str) -> bool:
    return hmac.compare_digest((given or "").encode(), expected.encode())


def telegram_webhook(ingest: Ingest, secret: str) -> Callable[[web.Request], Awaitable[web.Response]]:
    """200 only after the update is stored: a crash before that makes Telegram redeliver it."""

    async def handler(request: web.Request) -> web.Response:
        if not secret_matches(request.headers.get("X-Telegram-Bot-Api-Secret-Token"), secret):
            return web.Response(status=401, text="unauthorized")
        try:
            raw = await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            return web.Response(status=400, text="bad json")
        if not isinstance(raw, dict) or not isinstance(raw.get("update_id"), int):
            return web.Response(status=400, text="not an update")
        await ingest([raw])
        return web.Response(text="ok")

    return handler


def vk_callback(ingest: Ingest, group_id: int, confirmation: str, secret: str | None
                ) -> Callable[[web.Request], Awaitable[web.Response]]:
    """VK Callback API: the confirmation handshake, the secret on every event, `ok` once stored."""

    async def handler(request: web.Request) -> web.Response:
        try:
            event = await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            return web.Response(status=400, text="bad json")
        if not isinstance(event, dict) or event.get("group_id") != group_id:
            return web.Response(status=403, text="wrong group")
        if event.get("type") == "confirmation":
            return web.Response(text=confirmation)
        if secret is not None and not secret_matches(event.get("secret"), secret):
            return web.Response(status=403, text="wrong secret")
        await ingest([event])
        return web.Response(text="ok")

    return handler


async def healthz(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    body: dict[str, Any] = {"database": "ok", "channels": {}}
    status = 200
    try:
        async with services.uow() as uow:
            await uow.session.execute(text("select 1"))
            body["outbox_backlog"] = (await uow.outbox.counts()).get("pending", 0)
            body["inbox_backlog"] = await inbox.backlog(uow.session)
    except Exception as exc:  # any failure to reach the database makes the instance unhealthy
        body["database"] = f"error: {type(exc).__name__}"
        status = 503
    body.update(request.app[EXTRA]())
    for channel in request.app[CHANNELS]:
        health = getattr(channel, "health", None)  # "degraded": its platform is unreachable, being retried
        running = bool(getattr(channel, "running", True))
        body["channels"][channel.name] = health or ("running" if running else "stopped")
        if health is None and not running:
            status = 503
    degraded = sorted(name for name, state in body["channels"].items() if state != "running")
    body["status"] = "ok" if status == 200 and not degraded else ("degraded" if status == 200 else "down")
    return web.json_response(body, status=status)


async def metrics(request: web.Request) -> web.Response:
    services, m = request.app[SERVICES], request.app[METRICS]
    try:
        async with services.uow() as uow:
            counts = await uow.outbox.counts()
            m.inbox_backlog.set(await inbox.backlog(uow.session))
            for channel, n in (await inbox.failed_counts(uow.session)).items():
                m.inbox_failed.labels(channel).set(n)
        for state in ("pending", "sending", "sent", "failed", "undeliverable"):
            m.outbox.labels(state).set(counts.get(state, 0))
    except Exception as exc:  # still expose the in-process metrics when the database is down
        log.warning("metrics: database unavailable (%s)", type(exc).__name__)
    return web.Response(body=m.render(), content_type="text/plain", charset="utf-8",
                        headers={"X-Content-Type-Options": "nosniff"})


def build_app(services: Services, metrics_: Metrics, channels: list[Any],
              extra: Callable[[], dict[str, Any]] = dict) -> web.Application:
    """`extra` adds facts to /healthz (e.g. whether this instance leads the scheduler)."""
    app = web.Application(client_max_size=2 * 1024 * 1024)
    app[EXTRA] = extra
    app[SERVICES] = services
    app[METRICS] = metrics_
    app[CHANNELS] = channels
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics)
    return app
