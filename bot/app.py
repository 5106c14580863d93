"""`active-region run`: start the configured channels, the notifier and the HTTP server; stop on SIGTERM."""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
import sys
from urllib.parse import urlparse

from aiohttp import web

from bot.bootstrap import build_services, prepare_database
from bot.config import Settings
from bot.http import build_app, telegram_webhook, vk_callback
from bot.metrics import Metrics
from handlers.conversation import Conversation

log = logging.getLogger(__name__)

EXIT_CONFIG = 2


def config_problem(settings: Settings) -> str | None:
    if not settings.channels:
        return ("no channel configured: set TELEGRAM_BOT_TOKEN (Telegram) and/or VK_GROUP_TOKEN with "
                "VK_GROUP_ID (VK), in the environment or in .env")
    if settings.vk_group_token and not settings.vk_group_id:
        return "VK_GROUP_ID: required when VK_GROUP_TOKEN is set (the community's numeric id)"
    if settings.webhook_mode and not settings.telegram_webhook_secret:
        return "TELEGRAM_WEBHOOK_SECRET: required in webhook mode (1-256 characters A-Z, a-z, 0-9, _ and -)"
    if settings.webhook_mode and not settings.telegram_bot_token:
        return "TELEGRAM_BOT_TOKEN: required when TELEGRAM_WEBHOOK_URL is set"
    return None


async def run(settings: Settings) -> int:
    problem = config_problem(settings)
    if problem:
        print(f"active-region: {problem}", file=sys.stderr)
        return EXIT_CONFIG
    services = build_services(settings)
    await prepare_database(services, settings.database_url)
    instance = Instance(settings, services)
    try:
        await instance.start()
    except RuntimeError as exc:  # e.g. long polling refused because a webhook is set
        print(f"active-region: {exc}", file=sys.stderr)
        await instance.stop()
        return EXIT_CONFIG
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    log.info("stopping: no new updates, finishing the ones in flight")
    await instance.stop()
    return 0


class Instance:
    """Everything one bot process runs, started and stopped in a fixed order."""

    def __init__(self, settings: Settings, services) -> None:  # type: ignore[no-untyped-def]
        self.settings = settings
        self.services = services
        self.metrics = Metrics()
        self.conversation = Conversation(services)
        self.channels: list = []
        self.notifier = None
        self.runner: web.AppRunner | None = None

    async def start(self) -> None:
        s = self.settings
        http = build_app(self.services, self.metrics, self.channels, self.health_facts)
        if s.telegram_bot_token:
            from bot.telegram.channel import TelegramChannel, make_bot

            bot = make_bot(s.telegram_bot_token.get_secret_value(), s.telegram_api_url)
            telegram = TelegramChannel(bot, self.services, self.conversation, poll=not s.webhook_mode,
                                       metrics=self.metrics)
            self.channels.append(telegram)
            if s.webhook_mode:
                path = urlparse(s.telegram_webhook_url).path or "/"
                http.router.add_post(path, telegram_webhook(
                    telegram.ingest, s.telegram_webhook_secret.get_secret_value()))
        if s.vk_group_token and s.vk_group_id:
            from bot.vk.channel import VkChannel
            from bot.vk.client import VkClient

            client = VkClient(s.vk_group_token.get_secret_value(), s.vk_api_url, s.vk_rps)
            callback_mode = bool(s.vk_callback_confirmation)
            vk = VkChannel(client, self.services, self.conversation, s.vk_group_id, poll=not callback_mode,
                           metrics=self.metrics)
            self.channels.append(vk)
            if callback_mode:
                secret = s.vk_callback_secret.get_secret_value() if s.vk_callback_secret else None
                http.router.add_post(s.vk_callback_path, vk_callback(
                    vk.ingest, s.vk_group_id, s.vk_callback_confirmation, secret))
        listen = s.webhook_listen if (s.webhook_mode or s.vk_callback_confirmation) else s.http_listen
        if listen:
            host, port = s.split_listen(listen)
            self.runner = web.AppRunner(http, access_log=None, shutdown_timeout=5)
            await self.runner.setup()
            await web.TCPSite(self.runner, host, port).start()
            log.info("HTTP server on %s:%d", host, port)
        for channel in self.channels:
            await channel.start()
            log.info("channel %s started", channel.name)
        if s.webhook_mode:
            await next(c for c in self.channels if c.name == "telegram").set_webhook(s.telegram_webhook_url, s.telegram_webhook_secret.get_secret_value())
        from bot.bootstrap import start_notifier

        self.notifier = await start_notifier(self.settings, self.services, self.channels)
        # Everything imported and wired so far lives as long as the process: keep it out of the
        # collector's full passes (measured: 190-280 ms pauses otherwise, see bench/README.md).
        gc.collect()
        gc.freeze()

    def health_facts(self) -> dict[str, object]:
        scheduler = getattr(self.notifier, "scheduler", None)
        return {"scheduler_leader": bool(scheduler and scheduler.leadership.is_leader)}

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()  # stop taking updates first
        for channel in self.channels:
            await channel.stop()
        if self.notifier is not None:
            await self.notifier.stop()
        await self.services.db.dispose()
