"""Deliver neutral replies on Telegram, mapping Bot API errors to the notifier's delivery errors."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence

from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)

from bot.telegram.api import BotApi
from bot.telegram.render import Stopped, TelegramRenderer
from handlers.context import Services
from handlers.types import Say
from notifier.sender import Rejected, RetryAfter, Transient, Unreachable

PROGRESS_KEPT = 1000  # sends stopped by a 429 whose delivered part is remembered (oldest forgotten)


class TelegramSender:
    """Inline 429 waits of one send stay within `max_inline_wait` seconds (well inside the outbox lease);
    a longer wait goes back to the worker as RetryAfter, and the row's retry continues after the calls
    that already went out. Every 429 reaches the worker's limiter through `penalize_with`."""

    channel = "telegram"

    def __init__(self, bot: Bot, services: Services, *, max_inline_wait: float = 15.0,
                 api: BotApi | None = None) -> None:
        self.renderer = TelegramRenderer(bot, services, wait_budget=max_inline_wait, api=api)
        self._progress: OrderedDict[str, int] = OrderedDict()

    def penalize_with(self, penalize: Callable[[int, float], None]) -> None:
        """The worker hands its limiter's penalty here: a 429 met inline slows the chat down too."""
        self.renderer.on_retry_after = penalize

    async def send(self, peer_id: int, replies: Sequence[Say], *, key: str) -> None:
        # Telegram has no idempotency key: a send happens at most once per successful claim; a send stopped
        # by a long 429 resumes after its delivered calls when the same key comes back.
        try:
            await self.renderer.send(peer_id, replies, skip=self._progress.pop(key, 0))
        except Stopped as exc:
            self._progress[key] = exc.calls_done
            while len(self._progress) > PROGRESS_KEPT:
                self._progress.popitem(last=False)
            raise RetryAfter(exc.retry_after, "telegram 429") from exc
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
