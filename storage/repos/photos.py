"""Stored photos: which ids exist, and the row for an image's content hash."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Photo


class Photos:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def existing(self, photo_ids: Iterable[int]) -> set[int]:
        """The ids among `photo_ids` that are stored photos."""
        ids = list(photo_ids)
        return set(await self.s.scalars(select(Photo.id).where(Photo.id.in_(ids))))

    async def id_by_hash(self, sha256: str) -> int | None:
        return await self.s.scalar(select(Photo.id).where(Photo.sha256 == sha256))

    async def add(self, *, sha256: str, media_key: str, size_bytes: int, width: int, height: int) -> int:
        photo = Photo(sha256=sha256, media_key=media_key, size_bytes=size_bytes, width=width, height=height,
                      channel_ids={})
        self.s.add(photo)
        await self.s.flush()
        return photo.id
