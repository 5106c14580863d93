"""Stored photos: which ids exist, the row for an image's content hash, attaching photos to a signal."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Photo, SignalPhoto


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

    async def attach(self, signal_id: int, photo_ids: Iterable[int]) -> int:
        """Append photos to a signal's (those it already has skipped); how many were added."""
        have = set(await self.s.scalars(select(SignalPhoto.photo_id).where(SignalPhoto.signal_id == signal_id)))
        position = int(await self.s.scalar(select(func.max(SignalPhoto.position)).where(
            SignalPhoto.signal_id == signal_id)) or 0)
        new = [p for p in dict.fromkeys(photo_ids) if p not in have]
        for offset, photo_id in enumerate(new, 1):
            self.s.add(SignalPhoto(signal_id=signal_id, photo_id=photo_id, position=position + offset))
        return len(new)
