"""APScheduler as the ticker and calendar: runs the jobs the wiring hands it, leader-only ones on the leader."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from notifier.context import Hub
from notifier.pgwake import Leadership

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    """A job and its calendar: every `every_seconds`, or every 15 minutes from `morning_hour` until noon
    (the first run does the work; later runs, or a new leader after a failover, find it done by its
    dedupe keys). `leader`: only on the instance that holds the scheduler leadership."""

    name: str
    run: Callable[[], Awaitable[object]]
    every_seconds: float | None = None
    morning_hour: int | None = None
    leader: bool = True


def outbox_sweep(services: Hub, every_seconds: float = 30.0) -> Job:
    """Fallback wake-up for the delivery workers (rows whose retry time came, lost notifications)."""

    async def sweep() -> None:
        services.wake_outbox()

    return Job("outbox_sweep", sweep, every_seconds=every_seconds, leader=False)


class NotifierScheduler:
    def __init__(self, services: Hub, jobs: Sequence[Job], *, leader_retry_seconds: float = 5.0,
                 leadership: Leadership | None = None) -> None:
        self.services = services
        self.jobs = {job.name: job for job in jobs}
        self.leadership = leadership or Leadership(services, retry=leader_retry_seconds)
        self.scheduler = AsyncIOScheduler(timezone=services.config.tz)
        self.runs: dict[str, int] = {}

    def _trigger(self, job: Job) -> object:
        if job.every_seconds is not None:
            return IntervalTrigger(seconds=job.every_seconds)
        assert job.morning_hour is not None, f"job {job.name} has no calendar"
        return CronTrigger(hour=f"{job.morning_hour}-11", minute="*/15", timezone=self.services.config.tz)

    def _runner(self, job: Job) -> Callable[[], Awaitable[None]]:
        async def run() -> None:
            if job.leader and not self.leadership.is_leader:
                return
            try:
                result = await job.run()
                self.runs[job.name] = self.runs.get(job.name, 0) + 1
                if result:
                    log.info("job %s: %s", job.name, result)
            except Exception:
                log.exception("job %s failed", job.name)

        return run

    async def start(self) -> None:
        for job in self.jobs.values():
            self.scheduler.add_job(self._runner(job), self._trigger(job), id=job.name, name=job.name,
                                   coalesce=True, max_instances=1, misfire_grace_time=600,
                                   replace_existing=True)
        await self.leadership.start()
        self.scheduler.start()

    async def run_now(self, name: str) -> None:
        """Run a job at once (tests), still only on the leader."""
        job = self.scheduler.get_job(name)
        if job is None:
            raise KeyError(name)
        await job.func()

    async def stop(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        await self.leadership.stop()
