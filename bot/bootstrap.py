"""The one place that wires concrete classes: database, media store, services, channels, notifier."""

from __future__ import annotations

import logging

from sqlalchemy import text

from bot.config import Settings
from handlers.context import DialogConfig, Services
from storage.db import Database
from storage.media import LocalMediaStore
from storage.migrate import upgrade_in_child
from storage.region import load_region
from storage.seed import is_seeded, seed_region

log = logging.getLogger(__name__)


def dialog_config(settings: Settings) -> DialogConfig:
    return DialogConfig(
        deadline_workdays=settings.answer_deadline_workdays,
        answer_date_horizon_days=settings.answer_date_horizon_days,
        max_photos=settings.max_photos,
        max_signals_per_day=settings.max_signals_per_day,
        max_messages_per_minute=settings.max_messages_per_minute,
        privacy_url=settings.privacy_policy_url,
        portal_signal_url=settings.portal_signal_url,
        photo_max_side=settings.photo_max_side,
        timezone=settings.timezone,
        followup_fixed_workdays=settings.followup_fixed_workdays,
        followup_silence_workdays=settings.followup_silence_workdays,
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
    await upgrade_in_child(url)
    async with services.uow() as uow:
        seeded = await is_seeded(uow)
    if not seeded:
        async with services.uow() as uow:
            result = await seed_region(uow, services.region)
        log.info("seeded reference data: %d rows", result.created)


async def ensure_signing_key(services: Services, settings: Settings) -> None:
    """Without CALLBACK_SECRET or a token to derive it from, use a random key kept in the database (shared
    by every instance) instead of a well-known default: it signs buttons and web chat cookies."""
    if settings.callback_secret or settings.telegram_bot_token or settings.vk_group_token:
        return
    from secrets import token_urlsafe

    from sqlalchemy.exc import IntegrityError

    from storage.models import KeyValue

    for _ in range(2):  # two instances starting at once: the second one reads the first one's key
        try:
            async with services.uow() as uow:
                row = await uow.session.get(KeyValue, "signing_key")
                if row is None:
                    row = KeyValue(key="signing_key", value=token_urlsafe(32))
                    uow.session.add(row)
                    await uow.commit()
                services.signing_key = row.value.encode()
                return
        except IntegrityError:
            continue


class Notifier:
    """Delivery workers (one per channel), the cross-instance wake-up and the scheduler."""

    def __init__(self, workers: list, wakeup, scheduler) -> None:  # type: ignore[no-untyped-def]
        self.workers, self.wakeup, self.scheduler = workers, wakeup, scheduler

    async def start(self) -> None:
        for worker in self.workers:
            await worker.start()
        if self.wakeup is not None:
            await self.wakeup.start()
        await self.scheduler.start()

    async def stop(self) -> None:
        await self.scheduler.stop()
        for worker in self.workers:
            await worker.stop()
        if self.wakeup is not None:
            await self.wakeup.stop()


def scheduled_jobs(settings: Settings, services: Services) -> list:  # type: ignore[type-arg]
    """The product's scheduled use cases on their calendar, plus the outbox sweep."""
    from handlers.cases import followup, jobs
    from notifier.scheduler import Job, outbox_sweep

    return [
        outbox_sweep(services, settings.notify_sweep_seconds),
        Job("remind_due", lambda: jobs.remind_due(services, workdays_before=settings.reminder_workdays),
            morning_hour=settings.morning_hour),
        Job("overdue_list", lambda: jobs.overdue_list(services), morning_hour=settings.morning_hour),
        Job("digest", lambda: jobs.digest(services), morning_hour=settings.digest_hour),
        Job("auto_close", lambda: jobs.auto_close(services, after_days=settings.auto_close_days),
            every_seconds=60.0 * AUTO_CLOSE_MINUTES),
        Job("followup", lambda: followup.run(services), morning_hour=settings.morning_hour),
    ]


AUTO_CLOSE_MINUTES = 60


def build_workers(settings: Settings, services: Services, channels: list) -> list:  # type: ignore[type-arg]
    """One delivery worker per running channel, with that platform's Sender and rate limits."""
    from notifier.ratelimit import ChannelLimits
    from notifier.worker import DeliveryWorker

    common = dict(batch=settings.notify_batch, lease=settings.notify_lease_seconds,
                  max_attempts=settings.notify_max_attempts, backoff_base=settings.notify_backoff_base_seconds,
                  backoff_cap=settings.notify_backoff_cap_seconds, sweep=settings.notify_sweep_seconds)
    workers = []
    for channel in channels:
        if channel.name == "telegram":
            from bot.telegram.sender import TelegramSender

            limits = ChannelLimits.telegram(settings.notify_telegram_rate, settings.notify_telegram_per_chat)
            sender = TelegramSender(channel.bot, services, max_inline_wait=settings.notify_lease_seconds / 4)
            workers.append(DeliveryWorker(services, sender, limits=limits, **common))
        elif channel.name == "web":
            from bot.web.sender import WebSender

            workers.append(DeliveryWorker(services, WebSender(channel), limits=ChannelLimits(200.0, None, burst=20),
                                          **common))
        elif channel.name == "vk":
            from bot.vk.sender import VkSender

            workers.append(DeliveryWorker(services, VkSender(channel.client, services),
                                          limits=ChannelLimits.vk(settings.vk_rps), **common))
    return workers


def build_notifier(settings: Settings, services: Services, channels: list) -> Notifier:  # type: ignore[type-arg]
    from notifier.pgwake import PgWakeup
    from notifier.scheduler import NotifierScheduler

    wakeup = None if services.db.is_sqlite else PgWakeup(services)
    scheduler = NotifierScheduler(services, scheduled_jobs(settings, services),
                                  leader_retry_seconds=settings.leader_retry_seconds)
    return Notifier(build_workers(settings, services, channels), wakeup, scheduler)


async def start_notifier(settings: Settings, services: Services, channels: list) -> Notifier:  # type: ignore[type-arg]
    notifier = build_notifier(settings, services, channels)
    await notifier.start()
    return notifier
