"""Migrations, seeding and numbering on both databases."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select, text

from storage.db import Database
from storage.migrate import check, downgrade, upgrade
from storage.models import Category, Municipality
from storage.seed import seed_region


async def test_migrations_from_empty_match_the_models(db_url):
    # db_url is already migrated from the template: go down to empty and up again
    await asyncio.to_thread(downgrade, db_url, "base")
    database = Database(db_url)
    async with database.engine.connect() as conn:
        tables = await conn.run_sync(lambda c: c.dialect.get_table_names(c))
    await database.dispose()
    assert set(tables) <= {"alembic_version"}
    await asyncio.to_thread(upgrade, db_url)
    assert await asyncio.to_thread(check, db_url) is None


async def test_seeding_is_idempotent(db, region):
    from storage.uow import UnitOfWork

    async with UnitOfWork(db) as uow:
        first = await seed_region(uow, region)
    async with UnitOfWork(db) as uow:
        second = await seed_region(uow, region)
        assert await uow.session.scalar(select(func.count(Municipality.id))) == 20
        assert await uow.session.scalar(select(func.count(Category.id))) == 10
    assert first.created == 30 and (second.created, second.updated) == (0, 0)


async def test_signal_numbers_are_unique_under_concurrency(db):
    from storage.uow import UnitOfWork

    async def allocate():
        async with UnitOfWork(db) as uow:
            number = await uow.signals.next_number(2026)
            await uow.commit()
            return number

    numbers = await asyncio.gather(*(allocate() for _ in range(30)))
    assert sorted(numbers) == [f"2026-{i:06d}" for i in range(1, 31)]


async def test_timestamps_are_timezone_aware(db):
    from storage.uow import UnitOfWork

    async with UnitOfWork(db) as uow:
        user = await uow.users.get_or_create("telegram", 5)
        await uow.commit()
    async with UnitOfWork(db) as uow:
        again = await uow.users.get("telegram", 5)
        assert again.created_at.tzinfo is not None
        assert (await uow.session.execute(text("select 1"))).scalar() == 1
    assert user.id == again.id
