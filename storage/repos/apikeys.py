"""Open311 API keys: stored as SHA-256 hashes; a per-key request counter in a fixed one-minute window."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import case, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ApiFiling, ApiKey


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class ApiKeys:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def named(self, name: str) -> ApiKey | None:
        return await self.s.scalar(select(ApiKey).where(ApiKey.name == name))

    async def add(self, name: str, key: str, rate_per_minute: int, now: datetime) -> ApiKey:
        row = ApiKey(name=name, key_hash=digest(key), prefix=key[:12], rate_per_minute=rate_per_minute,
                     window_count=0, created_at=now)
        self.s.add(row)
        await self.s.flush()
        return row

    async def listing(self) -> Sequence[ApiKey]:
        return (await self.s.scalars(select(ApiKey).order_by(ApiKey.id))).all()

    async def active(self, key: str) -> ApiKey | None:
        """The unrevoked key with this secret (looked up by its hash)."""
        return await self.s.scalar(
            select(ApiKey).where(ApiKey.key_hash == digest(key), ApiKey.revoked_at.is_(None)))

    async def count_hit(self, key_id: int, now: datetime) -> int:
        """Count one request in the key's current minute; the count so far, this one included.

        One UPDATE … RETURNING, so concurrent requests on any instance are counted exactly."""
        minute = now.replace(second=0, microsecond=0)
        same = ApiKey.window_start == minute
        return int(await self.s.scalar(
            update(ApiKey).where(ApiKey.id == key_id)
            .values(window_count=case((same, ApiKey.window_count + 1), else_=1), window_start=minute,
                    last_used_at=now)
            .returning(ApiKey.window_count)) or 0)

    async def filings_of(self, key_id: int) -> int:
        return int(await self.s.scalar(
            select(func.count()).select_from(ApiFiling).where(ApiFiling.api_key_id == key_id)) or 0)
