"""Shared fixtures: every database test runs on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from pathlib import Path

import asyncpg
import pytest

from storage.db import Database
from storage.migrate import run_outside_loop, upgrade
from tests.pgserver import PostgresUnavailable, TempPostgres

BACKENDS = ["sqlite", "postgresql"]


def _pg_required() -> bool:
    return bool(os.environ.get("CI")) or os.environ.get("REQUIRE_POSTGRES") == "1"


@pytest.fixture(scope="session")
def pg_server():
    """The throw-away PostgreSQL cluster (None when TEST_POSTGRES_URL points at an existing server)."""
    if os.environ.get("TEST_POSTGRES_URL"):
        yield None
        return
    try:
        server = TempPostgres()
        server.url = server.start()
    except PostgresUnavailable as exc:
        if _pg_required():
            pytest.fail(f"PostgreSQL is required in CI but could not start: {exc}", pytrace=False)
        pytest.skip(f"PostgreSQL unavailable: {exc}")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def pg_admin_url(pg_server):
    """URL of a PostgreSQL server for the session; in CI failing to get one fails the run."""
    return pg_server.url if pg_server is not None else os.environ["TEST_POSTGRES_URL"]


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("sqlite-template") / "template.sqlite3"
    upgrade(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def pg_template(pg_admin_url) -> str:
    name = "ar_template"
    run_outside_loop(lambda: asyncio.run(
        _pg_exec(pg_admin_url, f'DROP DATABASE IF EXISTS "{name}"', f'CREATE DATABASE "{name}"')))
    upgrade(_pg_db(pg_admin_url, name))
    return name


def _pg_db(admin_url: str, name: str) -> str:
    return admin_url.rsplit("/", 1)[0] + f"/{name}"


async def _pg_exec(admin_url: str, *statements: str) -> None:
    conn = await asyncpg.connect(admin_url.replace("postgresql+asyncpg", "postgresql"))
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    return request.param


@pytest.fixture
async def db_url(backend, request, tmp_path) -> str:
    """A fresh, migrated database of the parametrized backend."""
    if backend == "sqlite":
        template = request.getfixturevalue("sqlite_template")
        path = tmp_path / "test.sqlite3"
        shutil.copy(template, path)
        return f"sqlite+aiosqlite:///{path}"
    admin = request.getfixturevalue("pg_admin_url")
    template = request.getfixturevalue("pg_template")
    name = f"t_{uuid.uuid4().hex[:12]}"
    await _pg_exec(admin, f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    return _pg_db(admin, name)


@pytest.fixture
async def db(db_url):
    database = Database(db_url)
    yield database
    await database.dispose()


@pytest.fixture
def region():
    from bot.config import DEFAULT_REGION_FILE
    from storage.region import load_region

    return load_region(DEFAULT_REGION_FILE)


@pytest.fixture
async def services(db, region, tmp_path):
    """Services on a seeded database of the parametrized backend, media under tmp_path."""
    from handlers.context import DialogConfig, Services
    from storage.media import LocalMediaStore
    from storage.seed import seed_region

    svc = Services(db=db, config=DialogConfig(), region=region, media=LocalMediaStore(tmp_path / "media"),
                   signing_key=b"test-key")
    async with svc.uow() as uow:
        await seed_region(uow, region)
    return svc
