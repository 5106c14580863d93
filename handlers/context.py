"""What dialogs and use cases need from the outside world, wired once by bot.bootstrap."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from handlers.types import PhotoRef
from storage.db import Database
from storage.media import MediaStore
from storage.region import Region
from storage.types import utcnow
from storage.uow import UnitOfWork


class PhotoFetcher(Protocol):
    """A channel's way to download an incoming image (Telegram getFile, a VK URL)."""

    async def fetch(self, ref: PhotoRef) -> bytes: ...


@dataclass(frozen=True)
class DialogConfig:
    deadline_workdays: int = 10
    answer_date_horizon_days: int = 365
    max_photos: int = 5
    max_signals_per_day: int = 5
    max_messages_per_minute: int = 30
    privacy_url: str = "https://example.org/privacy"
    portal_signal_url: str = "https://example.org/signals/{number}"
    photo_max_side: int = 2560
    timezone: str = "Europe/Moscow"
    description_min: int = 10
    description_max: int = 2000
    address_max: int = 300
    photo_fetch_attempts: int = 3
    followup_fixed_workdays: int = 10  # «was it fixed?» this long after a «Устранено» answer
    followup_silence_workdays: int = 10  # then silence closes the signal as not confirmed

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


@dataclass
class Services:
    db: Database
    config: DialogConfig
    region: Region
    media: MediaStore
    signing_key: bytes
    fetchers: dict[str, PhotoFetcher] = field(default_factory=dict)
    clock: Callable[[], datetime] = utcnow
    outbox_listeners: list[Callable[[], None]] = field(default_factory=list)
    # another unit of work (the tests' in-memory one); None: a UnitOfWork over `db`
    unit_of_work: Callable[[], UnitOfWork] | None = None

    def uow(self) -> UnitOfWork:
        return self.unit_of_work() if self.unit_of_work is not None else UnitOfWork(self.db)

    def now(self) -> datetime:
        return self.clock()

    def wake_outbox(self) -> None:
        for listener in self.outbox_listeners:
            listener()
