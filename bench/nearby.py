"""bench.nearby: the «already reported nearby?» search at 1,000,000 signals on SQLite and PostgreSQL,
against a primary-key lookup measured the same way in the same run.

The signals are bulk-loaded (sqlite3 executemany / asyncpg COPY) over the Komi Republic's bounds: half
spread evenly, half around the 20 municipality centres (towns are where signals are dense). Each query
is the repository's own `open_near` in a unit of work of its own — what a dialog turn pays — at random
points at 60–68° N ("anywhere") and near the centres ("in town")."""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import time
from datetime import UTC, datetime, timedelta

import asyncpg
from sqlalchemy import select

from bench.common import Databases, machine, make_services, pct
from storage.models import Signal
from storage.repos.nearby import Near, conditions
from storage.uow import UnitOfWork

COLUMNS = ("number", "municipality_id", "category_id", "description", "latitude", "longitude", "status",
           "source_channel", "reopen_count", "version", "created_at")
STATUSES = ("new",) * 1 + ("in_progress",) * 3 + ("answered",) * 1 + ("closed",) * 4 + ("rejected",)
TOWN_SPREAD_DEG = 0.03  # σ of a town's signals in latitude (≈ 3 km); longitude twice that


def rows(n: int, bounds, centres, municipalities: list[int], categories: list[int], seed: int):  # type: ignore[no-untyped-def]
    """(number, municipality, category, description, lat, lon, status, channel, 0, 1, created) tuples."""
    rng, now = random.Random(seed), datetime.now(UTC)
    for i in range(n):
        if i % 2:
            lat, lon = rng.gauss(0, TOWN_SPREAD_DEG), rng.gauss(0, 2 * TOWN_SPREAD_DEG)
            c_lat, c_lon = rng.choice(centres)
            lat, lon = c_lat + lat, c_lon + lon
        else:
            lat, lon = rng.uniform(bounds.min_lat, bounds.max_lat), rng.uniform(bounds.min_lon, bounds.max_lon)
        created = now - timedelta(seconds=rng.uniform(0, 3 * 365 * 86400))
        yield (f"B{i:09d}", rng.choice(municipalities), rng.choice(categories), "Не горит фонарь у дома",
               lat, lon, rng.choice(STATUSES), "telegram", 0, 1, created)


async def fill(services, url: str, n: int) -> tuple[float, list[int]]:  # type: ignore[no-untyped-def]
    """Bulk-load n signals; returns the seconds it took and the category ids."""
    region = services.region
    async with services.uow() as uow:
        municipalities = [m.id for m in await uow.catalog.municipalities()]
        categories = [c.id for c in await uow.catalog.categories()]
    centres = [(m.lat, m.lon) for m in region.municipalities]
    data = rows(n, region.bounds, centres, municipalities, categories, seed=14)
    started = time.perf_counter()
    if url.startswith("sqlite"):
        path = url.split("///", 1)[1]

        def load() -> None:
            con = sqlite3.connect(path)
            con.executemany(f"INSERT INTO signals ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})",
                            (r[:-1] + (r[-1].replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f"),) for r in data))
            con.commit()
            con.execute("ANALYZE")
            con.close()

        await asyncio.to_thread(load)
    else:
        con = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
        try:
            await con.copy_records_to_table("signals", records=data, columns=COLUMNS)
            await con.execute("ANALYZE signals")
        finally:
            await con.close()
    return time.perf_counter() - started, categories


async def timed(services, queries) -> dict[str, tuple[list[float], int]]:  # type: ignore[no-untyped-def]
    """Per kind: milliseconds per query (each in its own unit of work) and the rows found in all.
    The kinds are interleaved, so a busy moment of the shared machine hits them all alike."""
    result: dict[str, tuple[list[float], int]] = {}
    for kind, query in queries:
        started = time.perf_counter()
        async with services.uow() as uow:
            found = await query(uow)
        spent, rows_found = result.setdefault(kind, ([], 0))
        spent.append((time.perf_counter() - started) * 1000)
        result[kind] = (spent, rows_found + (len(found) if isinstance(found, list) else int(found is not None)))
    return result


def search(lat: float, lon: float, category_id: int, radius_m: int, since: datetime):  # type: ignore[no-untyped-def]
    async def run(uow: UnitOfWork) -> list[Near]:
        return await uow.nearby.open_near(lat, lon, radius_m=radius_m, category_id=category_id, since=since)
    return run


def sql_only(lat: float, lon: float, category_id: int, radius_m: int, since: datetime):  # type: ignore[no-untyped-def]
    """The same WHERE, fetching ids and coordinates only: the query without the ORM's objects."""
    async def run(uow: UnitOfWork) -> list:
        return list(await uow.session.execute(select(Signal.id, Signal.latitude, Signal.longitude).where(
            *conditions(lat, lon, radius_m, category_id, since))))
    return run


def by_id(signal_id: int):  # type: ignore[no-untyped-def]
    async def run(uow: UnitOfWork) -> Signal | None:
        return await uow.signals.get(signal_id)
    return run


async def measure(label: str, url: str, args: argparse.Namespace, dbs: Databases) -> None:
    services = make_services(url, dbs.dir)
    region, rules = services.region, services.region.nearby
    seconds, categories = await fill(services, url, args.signals)
    print(f"{label}: {args.signals:,} signals loaded in {seconds:.1f} s ({args.signals / seconds:,.0f} rows/s)")
    rng, since = random.Random(7), datetime.now(UTC) - timedelta(days=rules.days)
    lon_lo, lon_hi = region.bounds.min_lon, region.bounds.max_lon
    anywhere = [search(rng.uniform(60, 68), rng.uniform(lon_lo, lon_hi), rng.choice(categories), rules.radius_m,
                       since) for _ in range(args.queries)]
    town = [search(m.lat + rng.gauss(0, 0.01), m.lon + rng.gauss(0, 0.02), rng.choice(categories),
                   rules.radius_m, since) for m in (rng.choice(region.municipalities) for _ in range(args.queries))]
    staff = [search(m.lat + rng.gauss(0, 0.01), m.lon + rng.gauss(0, 0.02), rng.choice(categories),
                    rules.staff_radius_m, since)
             for m in (rng.choice(region.municipalities) for _ in range(args.queries // 4))]
    rng_sql = random.Random(7)  # the same points as `anywhere`
    raw = [sql_only(rng_sql.uniform(60, 68), rng_sql.uniform(lon_lo, lon_hi), rng_sql.choice(categories),
                    rules.radius_m, since) for _ in range(args.queries)]
    baseline = [by_id(rng.randint(1, args.signals)) for _ in range(args.queries)]
    kinds = {"primary-key lookup (baseline)": baseline, "search anywhere, 250 m": anywhere,
             "same WHERE, SQL rows only": raw, "search in town, 250 m": town, "staff search in town, 1 km": staff}
    mixed = [(kind, q) for kind, queries in kinds.items() for q in queries]
    random.Random(3).shuffle(mixed)
    await timed(services, mixed[:400])  # warm the caches and the pool
    measured = await timed(services, mixed)
    for kind in kinds:
        ms, found = measured[kind]
        print(f"  {kind:32s} p50 {pct(ms, 50):6.2f} ms  p99 {pct(ms, 99):6.2f} ms  "
              f"({len(ms)} queries, {found / len(ms):.2f} rows each)")
    await services.db.dispose()


async def main(args: argparse.Namespace) -> None:
    print(machine())
    dbs = Databases()
    try:
        for name in args.databases.split(","):
            url = await (dbs.sqlite() if name == "sqlite" else dbs.postgresql())
            if url is None:
                print(f"{name}: skipped ({dbs.pg_problem})")
                continue
            await measure(name, url, args, dbs)
    finally:
        dbs.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--signals", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=2000, help="searches per kind of point")
    parser.add_argument("--databases", default="sqlite,postgresql")
    asyncio.run(main(parser.parse_args()))
