"""APScheduler as the ticker and calendar: which job runs when, and only on the leader instance."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from handlers.context import Services
from notifier import jobs
from notifier.pgwake import Leadership

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class JobSettings:
    """Morning jobs run every 15 minutes from `morning_hour` until noon: the first run does the work,
    later runs (or a new leader after a failover) find it done by its dedupe keys."""

    reminder_workdays: int = 2
    auto_close_days: int = 14
    digest_hour: int = 8
    morning_hour: int = 9
    auto_close_minutes: int = 60
    sweep_seconds: float = 30.0
    leader_retry_seconds: float = 5.0


class NotifierScheduler:
    def __init__(self, services: Services, settings: JobSettings | None = None,
                 leadership: Leadership | None = None) -> None:
        self.services = services
        self.settings = settings or JobSettings()
        self.leadership = leadership or Leadership(services, retry=self.settings.leader_retry_seconds)
        self.scheduler = AsyncIOScheduler(timezone=services.config.tz)
        self.runs: dict[str, int] = {}

    def _add(self, name: str, trigger: object, fn: Callable[[], Awaitable[object]], *, leader: bool) -> None:
        async def run() -> None:
            if leader and not self.leadership.is_leader:
                return
            try:
                result = await fn()
                self.runs[name] = self.runs.get(name, 0) + 1
                if result:
                    log.info("job %s: %s", name, result)
            except Exception:
                log.exception("job %s failed", name)

        self.scheduler.add_job(run, trigger, id=name, name=name, coalesce=True, max_instances=1,
                               misfire_grace_time=600, replace_existing=True)

    def _morning(self, hour: int) -> CronTrigger:
        return CronTrigger(hour=f"{hour}-11", minute="*/15", timezone=self.services.config.tz)

    async def start(self) -> None:
        s, svc = self.settings, self.services
        self._add("outbox_sweep", IntervalTrigger(seconds=s.sweep_seconds),
                  lambda: jobs.outbox_sweep(svc), leader=False)
        self._add("remind_due", self._morning(s.morning_hour),
                  lambda: jobs.remind_due(svc, workdays_before=s.reminder_workdays), leader=True)
        self._add("overdue_list", self._morning(s.morning_hour), lambda: jobs.overdue_list(svc), leader=True)
        self._add("digest", self._morning(s.digest_hour), lambda: jobs.digest(svc), leader=True)
        self._add("auto_close", IntervalTrigger(minutes=s.auto_close_minutes),
                  lambda: jobs.auto_close(svc, after_days=s.auto_close_days), leader=True)
        await self.leadership.start()
        self.scheduler.start()

    async def run_now(self, name: str) -> None:
        """Run a job at once (the CLI's `jobs run NAME`, tests), still only on the leader."""
        job = self.scheduler.get_job(name)
        if job is None:
            raise KeyError(name)
        await job.func()

    async def stop(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        await self.leadership.stop()
