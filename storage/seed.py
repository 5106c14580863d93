"""Idempotent seeding of region reference data (municipalities, categories, organizations)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from storage.models import Category, Municipality, Organization
from storage.region import Region
from storage.uow import UnitOfWork


@dataclass(frozen=True)
class SeedResult:
    created: int
    updated: int


async def seed_region(uow: UnitOfWork, region: Region) -> SeedResult:
    """Insert or update reference rows by code; running it twice changes nothing the second time."""
    created = updated = 0
    s = uow.session
    existing_m = {m.code: m for m in await s.scalars(select(Municipality))}
    for m in region.municipalities:
        fields = dict(name=m.name, kind=m.kind, centre=m.centre, latitude=m.lat, longitude=m.lon,
                      locative=m.locative)
        row = existing_m.get(m.code)
        if row is None:
            s.add(Municipality(code=m.code, **fields))
            created += 1
        elif any(getattr(row, k) != v for k, v in fields.items()):
            for k, v in fields.items():
                setattr(row, k, v)
            updated += 1
    existing_c = {c.code: c for c in await s.scalars(select(Category))}
    for position, (code, name) in enumerate(region.categories):
        row = existing_c.get(code)
        if row is None:
            s.add(Category(code=code, name=name, position=position))
            created += 1
        elif (row.name, row.position) != (name, position):
            row.name, row.position = name, position
            updated += 1
    existing_o = set(await s.scalars(select(Organization.name)))
    for name in region.organizations:
        if name not in existing_o:
            s.add(Organization(name=name))
            created += 1
    if created or updated:
        await uow.catalog.changed()
    await uow.commit()
    return SeedResult(created, updated)


async def is_seeded(uow: UnitOfWork) -> bool:
    return await uow.session.scalar(select(Municipality.id).limit(1)) is not None
