"""Reference data (municipalities, categories, routes) kept in the process, dropped when anyone changes it.

A change — the CLI's `routes set`, `db seed`, or a bot command — writes a new token under
`reference_version` in the same transaction (`bump`). Each process reads that token at most once a
second and reloads what it cached when it differs, so every instance sees a change within about a second
without a query per use."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from storage.models import Category, KeyValue, Municipality, Route
from storage.types import utcnow

VERSION_KEY = "reference_version"
CHECK_EVERY = 1.0  # seconds between version reads per process


@dataclass(frozen=True)
class Place:
    """A municipality as dialogs read it (a plain value, safe to share between sessions)."""

    id: int
    code: str
    name: str
    kind: str
    centre: str
    latitude: float
    longitude: float
    locative: str


@dataclass(frozen=True)
class Kind:
    """A category as dialogs read it."""

    id: int
    code: str
    name: str
    position: int


@dataclass
class Snapshot:
    places: list[Place]
    kinds: list[Kind]
    routes: dict[tuple[int, int], int]  # (municipality id, category id) → organization id


class ReferenceCache:
    def __init__(self) -> None:
        self._snapshot: Snapshot | None = None
        self._version: str | None = None
        self._checked = float("-inf")

    def drop(self) -> None:
        """Forget everything now (this process changed the data)."""
        self._snapshot, self._version, self._checked = None, None, float("-inf")

    async def get(self, session: AsyncConnection | AsyncSession) -> Snapshot:
        now = time.monotonic()
        if now - self._checked >= CHECK_EVERY:
            version = await session.scalar(select(KeyValue.value).where(KeyValue.key == VERSION_KEY))
            self._checked = now
            if version != self._version:
                self._snapshot, self._version = None, version
        if self._snapshot is None:
            self._snapshot = await _load(session)
        return self._snapshot


async def _load(db: AsyncConnection | AsyncSession) -> Snapshot:
    """Read every row as plain columns (Core), so a connection or a session will do."""
    m, c, r = Municipality.__table__.c, Category.__table__.c, Route.__table__.c
    places = [Place(row.id, row.code, row.name, row.kind, row.centre, row.latitude, row.longitude, row.locative)
              for row in await db.execute(select(Municipality.__table__).order_by(m.id))]
    kinds = [Kind(row.id, row.code, row.name, row.position)
             for row in await db.execute(select(Category.__table__).order_by(c.position, c.id))]
    routes = {(row.municipality_id, row.category_id): row.organization_id
              for row in await db.execute(select(r.municipality_id, r.category_id, r.organization_id))}
    return Snapshot(places, kinds, routes)


async def bump(session: AsyncSession) -> None:
    """Record that reference data changed (in the caller's transaction): every process reloads."""
    row = await session.get(KeyValue, VERSION_KEY)
    token = uuid.uuid4().hex
    if row is None:
        session.add(KeyValue(key=VERSION_KEY, value=token, updated_at=utcnow()))
    else:
        row.value = token
