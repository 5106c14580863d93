"""Reference data: municipalities, categories (both from the in-process cache), organizations, routes."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from storage.models import Category, Municipality, Organization, Route
from storage.refcache import Kind, Place, ReferenceCache, bump


def fold(name: str) -> str:
    """Case-, space- and quote-insensitive form of a name («Ухта» and "Ухта" compare equal)."""
    return " ".join(name.casefold().replace("«", '"').replace("»", '"').split())


class Catalog:
    def __init__(self, conn: AsyncConnection | AsyncSession, session: Callable[[], AsyncSession],
                 cache: ReferenceCache) -> None:
        self.c = conn  # the cached reference data is read with Core
        self._session = session  # organizations are ORM rows
        self.cache = cache

    @property
    def s(self) -> AsyncSession:
        return self._session()

    async def changed(self) -> None:
        """Reference data changed in this transaction: every instance reloads its cache."""
        await bump(self.s)
        self.cache.drop()

    async def municipalities(self) -> list[Place]:
        return (await self.cache.get(self.c)).places

    async def municipality(self, mid: int) -> Place | None:
        return next((m for m in await self.municipalities() if m.id == mid), None)

    async def municipality_by_name(self, name: str) -> Place | None:
        """Case-insensitive in Python: SQLite's lower() leaves Cyrillic as it is."""
        wanted = name.strip().casefold()
        return next((m for m in await self.municipalities() if m.name.casefold() == wanted), None)

    async def categories(self) -> list[Kind]:
        return (await self.cache.get(self.c)).kinds

    async def category(self, cid: int) -> Kind | None:
        return next((c for c in await self.categories() if c.id == cid), None)

    async def category_by_name(self, name: str) -> Kind | None:
        wanted = name.strip().casefold()
        return next((c for c in await self.categories() if c.name.casefold() == wanted), None)

    async def organizations(self) -> Sequence[Organization]:
        return (await self.s.scalars(select(Organization).order_by(Organization.name))).all()

    async def organization(self, oid: int) -> Organization | None:
        return await self.s.get(Organization, oid)

    async def organization_by_name(self, name: str) -> Organization | None:
        return await self.s.scalar(select(Organization).where(Organization.name == name))

    async def organization_named(self, name: str) -> Organization | None:
        """Case-insensitive, quote-tolerant lookup (names like «Администрация МО ГО "Ухта"»)."""
        wanted = fold(name)
        for org in await self.s.scalars(select(Organization).order_by(Organization.id)):
            if fold(org.name) == wanted:
                return org
        return None

    async def add_organization(self, name: str) -> Organization:
        org = Organization(name=name)
        self.s.add(org)
        await self.s.flush()
        return org

    async def route(self, municipality_id: int, category_id: int) -> Organization | None:
        org_id = (await self.cache.get(self.c)).routes.get((municipality_id, category_id))
        return await self.s.get(Organization, org_id) if org_id is not None else None

    async def set_route(self, municipality_id: int, category_id: int, organization_id: int) -> None:
        route = await self.s.get(Route, (municipality_id, category_id))
        if route is None:
            self.s.add(Route(municipality_id=municipality_id, category_id=category_id,
                             organization_id=organization_id))
        else:
            route.organization_id = organization_id
        await self.changed()

    async def routes(self) -> Sequence[Route]:
        return (await self.s.scalars(select(Route).order_by(Route.municipality_id, Route.category_id))).all()

    async def table_rows(self, kind: str) -> Sequence[Municipality | Category]:
        """Every municipality or category row by id (for the CLI's route patterns)."""
        model = Municipality if kind == "municipality" else Category
        return (await self.s.scalars(select(model).order_by(model.id))).all()
