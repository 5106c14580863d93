"""Download an incoming VK photo or image document from the URL in its attachment."""

from __future__ import annotations

from bot.vk.client import VkClient
from handlers.types import PhotoRef


class VkFetcher:
    """Failures raise; the core retries them (handlers.photos.fetch_with_retry)."""

    def __init__(self, client: VkClient) -> None:
        self.client = client

    async def fetch(self, ref: PhotoRef) -> bytes:
        return await self.client.download(ref.ref)
