"""Deliver neutral replies on VK, mapping API errors to the notifier's delivery errors."""

from __future__ import annotations

from collections.abc import Sequence

from bot.vk.client import VK_ERRORS, VkClient, describe, error_code, is_transient
from bot.vk.render import VkRenderer
from handlers.context import Services
from handlers.types import Say
from notifier.sender import Rejected, RetryAfter, Transient, Unreachable

SLOW_DOWN = {6: 1.0, 9: 30.0}  # too many requests per second; flood control
UNREACHABLE = {901, 902}  # the person has not allowed messages from the community / privacy settings


class VkSender:
    channel = "vk"

    def __init__(self, client: VkClient, services: Services) -> None:
        self.renderer = VkRenderer(client, services)

    @staticmethod
    def cost(replies: Sequence[Say]) -> int:
        """API requests a send takes at most: its messages go in one request (execute, which also saves
        photos new to VK), new photos take one more (the upload server, once per send), generated files one
        per upload server (photos, documents)."""
        files = [f for r in replies for f in r.files]
        return 1 + any(r.photos for r in replies) + len({f.is_image for f in files})

    async def send(self, peer_id: int, replies: Sequence[Say], *, key: str) -> None:
        # random_id is derived from `key`: a retried send of the same row is dropped by VK, not repeated.
        try:
            await self.renderer.send(peer_id, replies, key=f"outbox:{key}")
        except VK_ERRORS as exc:
            raise delivery_error(exc) from exc


def delivery_error(exc: BaseException) -> Exception:
    code, what = error_code(exc), describe(exc)
    if code in SLOW_DOWN:
        return RetryAfter(SLOW_DOWN[code], what)
    if code in UNREACHABLE:
        return Unreachable(what)
    if is_transient(exc):
        return Transient(what)
    return Rejected(what)  # 100, 911, 914, HTTP 4xx...: a request we should not repeat
