"""Build the configured platform channels and their start-up plans (what to call, what a refusal is)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

from aiohttp import web

from bot.config import Settings
from bot.http import telegram_webhook, vk_callback
from bot.metrics import Metrics
from bot.startup import Plan, TokenRejected
from handlers.context import Services
from handlers.conversation import Conversation

VK_AUTH_ERRORS = {5, 27, 28}  # user / group / application authorization failed


def telegram_plan(s: Settings, services: Services, conversation: Conversation, metrics: Metrics,
                  http: web.Application) -> Plan:
    from aiogram.exceptions import TelegramUnauthorizedError

    from bot.telegram.channel import TelegramChannel, make_bot

    bot = make_bot(s.telegram_bot_token.get_secret_value(), s.telegram_api_url)
    channel = TelegramChannel(bot, services, conversation, poll=not s.webhook_mode, metrics=metrics)
    if s.webhook_mode:
        path = urlparse(s.telegram_webhook_url).path or "/"
        http.router.add_post(path, telegram_webhook(channel.ingest, s.telegram_webhook_secret.get_secret_value()))
    started = False

    async def begin() -> None:
        nonlocal started
        await bot.get_me()  # a refused token answers 401 here, before anything else is set up
        if not started:
            try:
                await channel.start()
            except RuntimeError as exc:  # long polling refused because a webhook is set
                raise TokenRejected(f"TELEGRAM_WEBHOOK_URL: {exc}") from None
            started = True
        if s.webhook_mode:
            await channel.set_webhook(s.telegram_webhook_url, s.telegram_webhook_secret.get_secret_value())

    return Plan(channel, begin, lambda exc: isinstance(exc, TelegramUnauthorizedError), "TELEGRAM_BOT_TOKEN")


def vk_plan(s: Settings, services: Services, conversation: Conversation, metrics: Metrics,
            http: web.Application) -> Plan:
    from vk_api.exceptions import ApiError

    from bot.vk.channel import VkChannel
    from bot.vk.client import VkClient

    client = VkClient(s.vk_group_token.get_secret_value(), s.vk_api_url, s.vk_rps)
    callback_mode = bool(s.vk_callback_confirmation)
    channel = VkChannel(client, services, conversation, s.vk_group_id, poll=not callback_mode, metrics=metrics)
    if callback_mode:
        secret = s.vk_callback_secret.get_secret_value() if s.vk_callback_secret else None
        http.router.add_post(s.vk_callback_path, vk_callback(channel.ingest, s.vk_group_id,
                                                             s.vk_callback_confirmation, secret))
    started = False

    async def begin() -> None:
        nonlocal started
        await client.call("groups.getById", group_id=s.vk_group_id)
        if not started:
            await channel.start()
            started = True

    def rejected(exc: BaseException) -> bool:
        return isinstance(exc, ApiError) and exc.code in VK_AUTH_ERRORS

    return Plan(channel, begin, rejected, "VK_GROUP_TOKEN")


def platform_plans(s: Settings, services: Services, conversation: Conversation, metrics: Metrics,
                   http: web.Application) -> list[Plan]:
    plans: list[Plan] = []
    if s.telegram_bot_token:
        plans.append(telegram_plan(s, services, conversation, metrics, http))
    if s.vk_group_token and s.vk_group_id:
        plans.append(vk_plan(s, services, conversation, metrics, http))
    return plans


def describe_channels(channels: list[Any]) -> str:
    return ", ".join(c.name for c in channels) or "none"
