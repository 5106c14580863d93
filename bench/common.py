"""Shared bench helpers: fresh seeded databases (SQLite copy, PostgreSQL template), percentiles, CPU, RSS."""

from __future__ import annotations

import asyncio
import os
import resource
import shutil
import statistics
import tempfile
import uuid
from pathlib import Path

import asyncpg

from bot.config import DEFAULT_REGION_FILE
from handlers.context import DialogConfig, Services
from storage.db import Database
from storage.media import LocalMediaStore
from storage.migrate import upgrade
from storage.region import load_region
from storage.seed import seed_region
from storage.uow import UnitOfWork
from tests.pgserver import PostgresUnavailable, TempPostgres

TICKS = os.sysconf("SC_CLK_TCK")


def machine() -> str:
    """CPUs and load average, printed with the figures: other work on the machine skews them."""
    one, five, _ = os.getloadavg()
    return f"{os.cpu_count()} CPUs, load average {one:.2f} (1 min) {five:.2f} (5 min)"


def pct(values: list[float], q: int) -> float:
    """The q-th percentile (inclusive method); NaN for no values."""
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def proc_cpu(pid: int) -> float:
    """CPU seconds (user + system) a live process has used; 0 when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS


def tree_cpu(root: int) -> float:
    """CPU seconds of a process and its live children (e.g. the postmaster and its backends)."""
    total = proc_cpu(root)
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == root:
                total += (int(fields[11]) + int(fields[12])) / TICKS
    return total


def make_services(url: str, media_dir: Path, config: DialogConfig | None = None) -> Services:
    return Services(db=Database(url), config=config or DialogConfig(), region=load_region(DEFAULT_REGION_FILE),
                    media=LocalMediaStore(media_dir), signing_key=b"bench-signing-key")


async def _migrate_and_seed(url: str) -> None:
    await asyncio.to_thread(upgrade, url)
    db = Database(url)
    try:
        async with UnitOfWork(db) as uow:
            await seed_region(uow, load_region(DEFAULT_REGION_FILE))
    finally:
        await db.dispose()


async def _pg(admin_url: str, *statements: str) -> None:
    conn = await asyncpg.connect(admin_url.replace("postgresql+asyncpg", "postgresql"))
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


class Databases:
    """Fresh migrated + seeded databases: SQLite files copied from a template, PostgreSQL databases
    created from a template database on a throw-away cluster (started on first use)."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="ar-bench-"))
        self.pg: TempPostgres | None = None
        self.pg_admin: str | None = None
        self.pg_problem: str | None = None
        self._sqlite_template: Path | None = None
        self._pg_template: str | None = None

    async def sqlite(self) -> str:
        if self._sqlite_template is None:
            self._sqlite_template = self.dir / "template.sqlite3"
            await _migrate_and_seed(f"sqlite+aiosqlite:///{self._sqlite_template}")
        path = self.dir / f"bench-{uuid.uuid4().hex[:8]}.sqlite3"
        shutil.copy(self._sqlite_template, path)
        return f"sqlite+aiosqlite:///{path}"

    async def postgresql(self) -> str | None:
        """A fresh database URL, or None when PostgreSQL cannot run here (see pg_problem)."""
        if self.pg_problem:
            return None
        if self.pg is None:
            try:
                self.pg = TempPostgres()
                self.pg_admin = await asyncio.to_thread(self.pg.start)
            except PostgresUnavailable as exc:
                self.pg_problem = str(exc)
                return None
        assert self.pg_admin is not None
        base = self.pg_admin.rsplit("/", 1)[0]
        if self._pg_template is None:
            self._pg_template = "bench_template"
            await _pg(self.pg_admin, f'CREATE DATABASE "{self._pg_template}"')
            await _migrate_and_seed(f"{base}/{self._pg_template}")
        name = f"bench_{uuid.uuid4().hex[:10]}"
        await _pg(self.pg_admin, f'CREATE DATABASE "{name}" TEMPLATE "{self._pg_template}"')
        return f"{base}/{name}"

    def postmaster_pid(self) -> int | None:
        if self.pg is None:
            return None
        try:
            return int((self.pg.data / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def close(self) -> None:
        if self.pg is not None:
            self.pg.stop()
        shutil.rmtree(self.dir, ignore_errors=True)
