"""`active-region run`: start the configured channels and the notifier, stop cleanly on SIGTERM."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys

from bot.bootstrap import build_services, prepare_database
from bot.config import Settings
from handlers.conversation import Conversation

log = logging.getLogger(__name__)

EXIT_CONFIG = 2


async def run(settings: Settings) -> int:
    if not settings.channels:
        print("active-region: no channel configured: set TELEGRAM_BOT_TOKEN (Telegram) and/or "
              "VK_GROUP_TOKEN with VK_GROUP_ID (VK), in the environment or in .env", file=sys.stderr)
        return EXIT_CONFIG
    if settings.vk_group_token and not settings.vk_group_id:
        print("active-region: VK_GROUP_ID: required when VK_GROUP_TOKEN is set (the community's numeric id)",
              file=sys.stderr)
        return EXIT_CONFIG
    services = build_services(settings)
    await prepare_database(services, settings.database_url)
    conversation = Conversation(services)
    channels = []
    if settings.telegram_bot_token:
        from bot.telegram.channel import TelegramChannel, make_bot

        bot = make_bot(settings.telegram_bot_token.get_secret_value(), settings.telegram_api_url)
        channels.append(TelegramChannel(bot, services, conversation))
    if settings.vk_group_token and settings.vk_group_id:
        from bot.vk.channel import VkChannel
        from bot.vk.client import VkClient

        client = VkClient(settings.vk_group_token.get_secret_value(), settings.vk_api_url, settings.vk_rps)
        channels.append(VkChannel(client, services, conversation, settings.vk_group_id))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    for channel in channels:
        await channel.start()
        log.info("channel %s started", channel.name)
    await stop.wait()
    log.info("stopping")
    for channel in channels:
        await channel.stop()
    await services.db.dispose()
    return 0
