"""Channel-parametrized bot environments: the same scenario runs on every channel."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from tests.e2e.tg_harness import TgResident, telegram_bot

CHANNELS = ["telegram"]


@dataclass
class BotEnv:
    channel_name: str
    fake: Any
    channel: Any
    progress: Any

    def resident(self, user_id: int, name: str = "Иван"):
        if self.channel_name == "telegram":
            return TgResident(self.fake, self.progress, user_id, name)
        raise ValueError(self.channel_name)


@pytest.fixture(params=CHANNELS)
async def env(request, services):
    """A running bot on one channel against its fake platform server, on a seeded database."""
    if request.param == "telegram":
        async with telegram_bot(services) as (fake, channel, progress):
            yield BotEnv("telegram", fake, channel, progress)
