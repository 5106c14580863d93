"""Deliver neutral replies on Telegram, mapping Bot API errors to the notifier's delivery errors."""

from __future__ import annotations

from collections.abc import Sequence

from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)

from bot.telegram.render import TelegramRenderer
from handlers.context import Services
from handlers.types import Say
from notifier.sender import Rejected, RetryAfter, Transient, Unreachable


class TelegramSender:
    channel = "telegram"

    def __init__(self, bot: Bot, services: Services) -> None:
        self.renderer = TelegramRenderer(bot, services)

    async def send(self, peer_id: int, replies: Sequence[Say], *, key: str) -> None:
        # Telegram has no idempotency key: a send happens at most once per successful claim.
        try:
            await self.renderer.send(peer_id, replies)
        except TelegramRetryAfter as exc:
            raise RetryAfter(float(exc.retry_after), "telegram 429") from exc
        except TelegramForbiddenError as exc:
            raise Unreachable("telegram 403") from exc
        except TelegramBadRequest as exc:
            if "chat not found" in exc.message.lower():
                raise Unreachable("telegram chat not found") from exc
            raise Rejected(f"telegram 400: {exc.message[:200]}") from exc
        except (TimeoutError, TelegramServerError, TelegramNetworkError) as exc:
            raise Transient(f"telegram {type(exc).__name__}") from exc
