"""Reference data is read from a per-process cache and reloaded when any process records a change."""

from __future__ import annotations

from sqlalchemy import event

from storage import refcache
from storage.db import Database
from storage.models import Organization


async def test_cache_serves_without_queries_and_sees_another_process_change(services, db_url, monkeypatch):
    monkeypatch.setattr(refcache, "CHECK_EVERY", 0.0)  # look at the version token on every use
    other = Database(db_url)  # a second instance on the same database
    try:
        async with services.uow() as uow:
            org = Organization(name="ГБУ «Дороги Коми»")
            uow.session.add(org)
            await uow.session.flush()
            ukhta = await uow.catalog.municipality_by_name("Ухта")
            roads = await uow.catalog.category_by_name("Дороги")
            await uow.commit()
        async with other.sessions() as session:
            from storage.repos.catalog import Catalog

            catalog = Catalog(session, lambda: session, other.reference)
            assert await catalog.route(ukhta.id, roads.id) is None
            statements: list[str] = []
            event.listen(other.engine.sync_engine, "before_cursor_execute",
                         lambda *a: statements.append(a[2]))
            assert (await catalog.municipality(ukhta.id)).name == "Ухта"
            assert all("municipalities" not in s for s in statements)  # served from the cache
        async with services.uow() as uow:  # this instance changes a route (as the CLI does)
            await uow.catalog.set_route(ukhta.id, roads.id, org.id)
            await uow.commit()
        async with other.sessions() as session:
            route = await Catalog(session, lambda: session, other.reference).route(ukhta.id, roads.id)
            assert route is not None and route.name == "ГБУ «Дороги Коми»"
    finally:
        await other.dispose()
