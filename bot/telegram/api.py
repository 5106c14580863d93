"""The reply calls of the hot path (sendMessage, answerCallbackQuery) as plain JSON over aiohttp.

aiogram builds a pydantic model for every request, posts it as multipart form data and validates the
answer into models again; a reply needs none of that. Errors still come out as aiogram's exceptions
(aiogram's own response check maps them), so the callers' 429/403/400 handling stays the same."""

from __future__ import annotations

import json
from typing import Any

import aiohttp
from aiogram import Bot
from aiogram.exceptions import TelegramNetworkError
from aiogram.methods import AnswerCallbackQuery, SendMessage, TelegramMethod

_MODELS: dict[str, type[TelegramMethod[Any]]] = {"sendMessage": SendMessage,
                                                  "answerCallbackQuery": AnswerCallbackQuery}


class BotApi:
    def __init__(self, bot: Bot, timeout: float = 60.0) -> None:
        self.bot = bot
        self.timeout = timeout
        self._urls: dict[str, str] = {}

    def _url(self, method: str) -> str:
        url = self._urls.get(method)
        if url is None:
            url = self._urls[method] = self.bot.session.api.api_url(token=self.bot.token, method=method)
        return url

    async def call(self, method: str, params: dict[str, Any]) -> Any:
        """POST `params` as JSON; the `result` of an ok answer, aiogram's exception otherwise."""
        http = await self.bot.session.create_session()  # aiogram's own pooled aiohttp session
        try:
            async with http.post(self._url(method), data=json.dumps(params, ensure_ascii=False),
                                 headers={"Content-Type": "application/json"},
                                 timeout=aiohttp.ClientTimeout(total=self.timeout)) as response:
                status, text = response.status, await response.text()
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise TelegramNetworkError(method=_model(method, params), message=f"{type(exc).__name__}: {exc}") from exc
        try:
            body = json.loads(text)
        except ValueError:
            body = None
        if isinstance(body, dict) and body.get("ok") is True and status == 200:
            return body.get("result")
        # every failure goes through aiogram's own check, which raises the matching exception
        self.bot.session.check_response(bot=self.bot, method=_model(method, params), status_code=status, content=text)
        raise TelegramNetworkError(method=_model(method, params), message=f"unexpected answer (HTTP {status})")


def _model(method: str, params: dict[str, Any]) -> TelegramMethod[Any]:
    """The aiogram method object an exception names (built only on the error path)."""
    return _MODELS[method].model_construct(**params)
