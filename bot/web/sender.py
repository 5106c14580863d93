"""Deliver notifications (a published answer, a task...) to a web resident: into their transcript,
exactly once per outbox row; the open page is woken, a closed one shows it on the next visit."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.exc import DBAPIError

from bot.web.channel import WebChannel
from handlers.types import Say
from notifier.sender import Transient


class WebSender:
    channel = "web"

    def __init__(self, web: WebChannel) -> None:
        self.web = web

    async def send(self, peer_id: int, replies: Sequence[Say], *, key: str) -> None:
        try:
            await self.web.deliver(peer_id, replies, key=f"outbox:{key}")
        except DBAPIError as exc:
            raise Transient(f"web transcript: {type(exc).__name__}") from exc
