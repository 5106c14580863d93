"""Open signals near a point, and the residents supporting a signal ("me too") and following it.

The search needs no PostGIS (FixMyStreet's default too): one query narrows the rows with a
latitude/longitude bounding box served by ix_signals_lat_lon — the same SQL on PostgreSQL and
SQLite — and the few rows inside the box are measured exactly by great-circle distance here."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Signal, SignalSupporter, Subscription
from storage.region import distance_km

EARTH_M_PER_DEGREE = 6_371_000 * math.pi / 180  # the haversine's radius, so box and distance agree
CLOSED_STATUSES = ("rejected", "closed")


@dataclass(frozen=True)
class Near:
    signal: Signal
    distance_m: float


def box(lat: float, lon: float, radius_m: float) -> tuple[float, float, float, float]:
    """(min_lat, max_lat, min_lon, max_lon) holding every point within `radius_m` of (lat, lon).

    A degree of longitude shrinks with cos(latitude) — at 60–68° N it is about half a degree of
    latitude — so the box is widened by the cosine at its pole-side edge (plus 1% for the sphere)."""
    dlat = radius_m / EARTH_M_PER_DEGREE
    edge = min(89.0, abs(lat) + dlat)
    dlon = min(180.0, dlat / math.cos(math.radians(edge)) * 1.01)
    return lat - dlat, lat + dlat, lon - dlon, lon + dlon


def conditions(lat: float, lon: float, radius_m: float, category_id: int, since: datetime) -> tuple:
    """The search's WHERE: the box (served by ix_signals_lat_lon), the category, open, recent."""
    min_lat, max_lat, min_lon, max_lon = box(lat, lon, radius_m)
    return (Signal.latitude.between(min_lat, max_lat), Signal.longitude.between(min_lon, max_lon),
            Signal.category_id == category_id, Signal.status.not_in(CLOSED_STATUSES), Signal.created_at >= since)


class Nearby:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def open_near(self, lat: float, lon: float, *, radius_m: float, category_id: int, since: datetime,
                        limit: int = 5) -> list[Near]:
        """Open (not rejected, not closed) signals of the category filed since `since` within
        `radius_m`, nearest first, at most `limit`."""
        rows = await self.s.scalars(select(Signal).where(*conditions(lat, lon, radius_m, category_id, since)))
        found = [Near(s, distance_km(lat, lon, s.latitude, s.longitude) * 1000) for s in rows.unique()]
        found = [n for n in found if n.distance_m <= radius_m]
        found.sort(key=lambda n: (n.distance_m, n.signal.id))
        return found[:limit]


class Supporters:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def supports(self, signal_id: int, user_id: int) -> bool:
        return await self.s.get(SignalSupporter, (signal_id, user_id)) is not None

    async def add(self, signal_id: int, user_id: int, now: datetime) -> None:
        """The person supports and follows the signal (callers check `supports` first)."""
        self.s.add(SignalSupporter(signal_id=signal_id, user_id=user_id, created_at=now))
        if await self.s.get(Subscription, (signal_id, user_id)) is None:
            self.s.add(Subscription(signal_id=signal_id, user_id=user_id, created_at=now))
        await self.s.flush()

    async def of(self, signal_id: int) -> list[int]:
        """The ids of the people supporting the signal."""
        return list(await self.s.scalars(select(SignalSupporter.user_id).where(
            SignalSupporter.signal_id == signal_id).order_by(SignalSupporter.user_id)))

    async def counts(self, signal_ids: Iterable[int]) -> dict[int, int]:
        """Supporters per signal (signals nobody joined are absent)."""
        ids = tuple(set(signal_ids))
        if not ids:
            return {}
        rows = await self.s.execute(select(SignalSupporter.signal_id, func.count()).where(
            SignalSupporter.signal_id.in_(ids)).group_by(SignalSupporter.signal_id))
        return {signal_id: int(n) for signal_id, n in rows}

    async def count(self, signal_id: int) -> int:
        return (await self.counts([signal_id])).get(signal_id, 0)

    async def supported_by(self, user_id: int, limit: int = 8) -> Sequence[Signal]:
        """Signals the person joined, the latest first."""
        rows = await self.s.scalars(select(Signal).join(SignalSupporter, SignalSupporter.signal_id == Signal.id)
                                    .where(SignalSupporter.user_id == user_id)
                                    .order_by(SignalSupporter.created_at.desc(), Signal.id.desc()).limit(limit))
        return rows.unique().all()
