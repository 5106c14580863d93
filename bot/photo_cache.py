"""Stored photos for outgoing replies, with per-channel upload ids cached on the Photo row."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from handlers.context import Services
from storage.models import Photo


async def load_photos(services: Services, ids: Sequence[int]) -> list[Photo]:
    if not ids:
        return []
    async with services.uow() as uow:
        rows = {p.id: p for p in await uow.session.scalars(select(Photo).where(Photo.id.in_(list(ids))))}
    return [rows[i] for i in ids if i in rows]


async def remember(services: Services, channel: str, uploaded: dict[int, str]) -> None:
    """Cache the channel's id of each uploaded photo so the next send reuses it."""
    if not uploaded:
        return
    async with services.uow() as uow:
        for photo in await uow.session.scalars(select(Photo).where(Photo.id.in_(list(uploaded)))):
            photo.channel_ids = {**(photo.channel_ids or {}), channel: uploaded[photo.id]}
        await uow.commit()
