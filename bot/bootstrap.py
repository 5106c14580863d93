"""The one place that wires concrete classes: database, media store, services, channels, notifier."""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy import text

from bot.config import Settings
from handlers.context import DialogConfig, Services
from storage.db import Database
from storage.media import LocalMediaStore
from storage.migrate import upgrade
from storage.region import load_region
from storage.seed import is_seeded, seed_region

log = logging.getLogger(__name__)


def dialog_config(settings: Settings) -> DialogConfig:
    return DialogConfig(
        deadline_workdays=settings.answer_deadline_workdays,
        max_photos=settings.max_photos,
        max_signals_per_day=settings.max_signals_per_day,
        max_messages_per_minute=settings.max_messages_per_minute,
        privacy_url=settings.privacy_policy_url,
        portal_signal_url=settings.portal_signal_url,
        photo_max_side=settings.photo_max_side,
        timezone=settings.timezone,
    )


def build_services(settings: Settings) -> Services:
    return Services(
        db=Database(settings.database_url),
        config=dialog_config(settings),
        region=load_region(settings.region_file),
        media=LocalMediaStore(settings.media_dir),
        signing_key=settings.signing_key(),
    )


MIGRATION_LOCK = 7_320_001


async def prepare_database(services: Services, url: str) -> None:
    """Migrate to head and seed reference data on first run (one instance at a time on PostgreSQL)."""
    if services.db.is_sqlite:
        await _migrate_and_seed(services, url)
        return
    async with services.db.engine.connect() as conn:
        await conn.execute(text("select pg_advisory_lock(:k)"), {"k": MIGRATION_LOCK})
        try:
            await _migrate_and_seed(services, url)
        finally:
            await conn.execute(text("select pg_advisory_unlock(:k)"), {"k": MIGRATION_LOCK})


async def _migrate_and_seed(services: Services, url: str) -> None:
    await asyncio.to_thread(upgrade, url)
    async with services.uow() as uow:
        seeded = await is_seeded(uow)
    if not seeded:
        async with services.uow() as uow:
            result = await seed_region(uow, services.region)
        log.info("seeded reference data: %d rows", result.created)


class _NoNotifier:
    async def stop(self) -> None:
        return None


async def start_notifier(settings: Settings, services: Services, channels: list, metrics) -> object:  # type: ignore[no-untyped-def]
    """Delivery workers per channel and the scheduler (wired when the notifier lands)."""
    return _NoNotifier()
