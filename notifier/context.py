"""What the notifier needs from the wiring: the database, a clock, and the outbox wake-up listeners.

A structural type: bootstrap's Services satisfies it, so the notifier imports nothing of the product."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from storage.db import Database
from storage.uow import UnitOfWork


class _Zoned(Protocol):
    @property
    def tz(self) -> ZoneInfo: ...


class Hub(Protocol):
    db: Database
    outbox_listeners: list[Callable[[], None]]

    @property
    def config(self) -> _Zoned: ...

    def uow(self) -> UnitOfWork: ...

    def now(self) -> datetime: ...

    def wake_outbox(self) -> None: ...
