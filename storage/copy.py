"""Copy every table from one database to another (moving from the SQLite default to PostgreSQL)."""

from __future__ import annotations

import asyncio

from sqlalchemy import Integer, func, select, text
from sqlalchemy.ext.asyncio import create_async_engine

from storage.migrate import upgrade
from storage.models import Base

BATCH = 1000


class CopyError(Exception):
    pass


async def copy_database(source_url: str, target_url: str) -> dict[str, int]:
    """Migrate the target to the newest schema and copy all rows, parents before children.

    The target must be empty; on PostgreSQL the id sequences are moved past the copied ids.
    """
    await asyncio.to_thread(upgrade, source_url)
    await asyncio.to_thread(upgrade, target_url)
    source = create_async_engine(source_url)
    target = create_async_engine(target_url)
    copied: dict[str, int] = {}
    try:
        async with target.begin() as dst:
            for table in Base.metadata.sorted_tables:
                if await dst.scalar(select(func.count()).select_from(table)):
                    raise CopyError(f"target table {table.name} is not empty")
            async with source.connect() as src:
                for table in Base.metadata.sorted_tables:
                    result = await src.stream(select(table))
                    count = 0
                    async for chunk in result.mappings().partitions(BATCH):
                        await dst.execute(table.insert(), [dict(row) for row in chunk])
                        count += len(chunk)
                    copied[table.name] = count
            if target.dialect.name == "postgresql":
                for table in Base.metadata.sorted_tables:
                    pk = list(table.primary_key.columns)
                    if len(pk) == 1 and isinstance(pk[0].type, Integer) and pk[0].autoincrement in (True, "auto"):
                        await dst.execute(text(
                            f"SELECT setval(pg_get_serial_sequence('{table.name}', '{pk[0].name}'), "
                            f"COALESCE((SELECT MAX({pk[0].name}) FROM {table.name}), 0) + 1, false)"))
    finally:
        await source.dispose()
        await target.dispose()
    return copied
