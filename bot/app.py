"""`active-region run`: start the configured channels, the notifier and the HTTP server; stop on SIGTERM."""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
import sys

from aiohttp import web

from bot.bootstrap import build_services, ensure_signing_key, prepare_database
from bot.channels import platform_plans
from bot.config import Settings
from bot.http import build_app
from bot.metrics import Metrics
from bot.startup import Supervisor
from handlers.conversation import Conversation

log = logging.getLogger(__name__)

EXIT_CONFIG = 2
LOOPBACK = {"127.0.0.1", "::1", "localhost"}


def config_problem(settings: Settings, demo: bool = False) -> str | None:
    if not settings.channels:
        return ("no channel configured: WEB_ENABLED is off, so set TELEGRAM_BOT_TOKEN (Telegram) and/or "
                "VK_GROUP_TOKEN with VK_GROUP_ID (VK), in the environment or in .env")
    if settings.vk_group_token and not settings.vk_group_id:
        return "VK_GROUP_ID: required when VK_GROUP_TOKEN is set (the community's numeric id)"
    if settings.webhook_mode and not settings.telegram_webhook_secret:
        return "TELEGRAM_WEBHOOK_SECRET: required in webhook mode (1-256 characters A-Z, a-z, 0-9, _ and -)"
    if settings.webhook_mode and not settings.telegram_bot_token:
        return "TELEGRAM_BOT_TOKEN: required when TELEGRAM_WEBHOOK_URL is set"
    if settings.web_cookie_samesite == "None" and not (settings.web_public_url or "").startswith("https://"):
        return "WEB_COOKIE_SAMESITE: None needs an https:// WEB_PUBLIC_URL (browsers drop such cookies otherwise)"
    if demo and (not settings.web_enabled or settings.split_listen(settings.http_address)[0] not in LOOPBACK):
        return ("--demo: refused unless the web chat is on and bound to loopback (HTTP_LISTEN / WEBHOOK_LISTEN "
                "127.0.0.1:PORT): demo personas let anyone act as a moderator")
    return None


async def run(settings: Settings, *, demo: bool = False) -> int:
    problem = config_problem(settings, demo)
    if problem:
        print(f"active-region: {problem}", file=sys.stderr)
        return EXIT_CONFIG
    services = build_services(settings)
    await prepare_database(services, settings.database_url)
    await ensure_signing_key(services, settings)
    if demo:
        from bot.web.demo import seed_demo

        await seed_demo(services)
    instance = Instance(settings, services, demo=demo)
    try:
        await instance.start()
    except OSError as exc:  # the HTTP port is taken or not ours to bind
        print(f"active-region: HTTP_LISTEN/WEBHOOK_LISTEN {settings.http_address}: {exc.strerror or exc}",
              file=sys.stderr)
        await instance.stop()
        return EXIT_CONFIG
    if instance.web is not None:
        print(f"Web chat: http://{settings.http_address}/" + ("  (demo: switch personas at the top)" if demo else ""),
              flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    waiters = [asyncio.create_task(stop.wait()), asyncio.create_task(instance.fatal.wait())]
    await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
    for waiter in waiters:
        waiter.cancel()
    log.info("stopping: no new updates, finishing the ones in flight")
    await instance.stop()
    return EXIT_CONFIG if instance.fatal.is_set() else 0


class Instance:
    """Everything one bot process runs, started and stopped in a fixed order."""

    def __init__(self, settings: Settings, services, *, demo: bool = False) -> None:  # type: ignore[no-untyped-def]
        self.settings = settings
        self.services = services
        self.demo = demo
        self.metrics = Metrics()
        self.conversation = Conversation(services)
        self.channels: list = []
        self.rejected: list = []
        self.web = None
        self.notifier = None
        self.runner: web.AppRunner | None = None
        self.supervisor = Supervisor(self._rejected, cap=settings.platform_retry_max_seconds)
        self.fatal = asyncio.Event()  # every channel is gone (tokens rejected): exit with code 2

    async def start(self) -> None:
        s = self.settings
        http = build_app(self.services, self.metrics, self.channels, self.health_facts)
        if s.open311_enabled:
            from bot.open311.config import mount_open311

            mount_open311(http, self.services, s)
        if s.web_enabled:
            from bot.web.setup import web_channel

            self.web = web_channel(s, self.services, self.conversation, self.metrics, http, demo=self.demo)
            self.channels.append(self.web)
        plans = platform_plans(s, self.services, self.conversation, self.metrics, http)
        self.channels.extend(plan.channel for plan in plans)
        if s.needs_http:
            host, port = s.split_listen(s.http_address)
            self.runner = web.AppRunner(http, access_log=None, shutdown_timeout=5)
            await self.runner.setup()
            await web.TCPSite(self.runner, host, port).start()
            log.info("HTTP server on %s:%d", host, port)
        if self.web is not None:
            await self.web.start()
        for plan in plans:
            await self.supervisor.start(plan)
        from bot.bootstrap import start_notifier

        self.notifier = await start_notifier(self.settings, self.services, self.channels)
        # Everything imported and wired so far lives as long as the process: keep it out of the
        # collector's full passes (measured: 190-280 ms pauses otherwise, see bench/README.md).
        gc.collect()
        gc.freeze()

    def _rejected(self, channel) -> None:  # type: ignore[no-untyped-def]
        if channel in self.channels:
            self.channels.remove(channel)
            self.rejected.append(channel)
        if not self.channels:
            log.error("no channel left to run")
            self.fatal.set()

    def health_facts(self) -> dict[str, object]:
        scheduler = getattr(self.notifier, "scheduler", None)
        return {"scheduler_leader": bool(scheduler and scheduler.leadership.is_leader)}

    async def stop(self) -> None:
        await self.supervisor.stop()
        if self.runner is not None:
            await self.runner.cleanup()  # stop taking updates first
        for channel in self.channels + self.rejected:
            await channel.stop()
        if self.notifier is not None:
            await self.notifier.stop()
        await self.services.db.dispose()
