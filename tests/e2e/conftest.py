"""Channel-parametrized bot environments: the same scenario runs on every channel."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from tests.e2e.tg_harness import TgResident, start_telegram, telegram_bot

CHANNELS = ["telegram"]


@dataclass
class BotEnv:
    channel_name: str
    fake: Any
    channel: Any
    progress: Any
    restart_fn: Any = None

    async def restart(self) -> None:
        """Stop the running bot and start a new one on the same database and fake server."""
        self.channel, self.progress = await self.restart_fn()

    def resident(self, user_id: int, name: str = "Иван"):
        if self.channel_name == "telegram":
            return TgResident(self.fake, self, user_id, name)
        raise ValueError(self.channel_name)


@pytest.fixture(params=CHANNELS)
async def env(request, services):
    """A running bot on one channel against its fake platform server, on a seeded database."""
    if request.param == "telegram":
        async with telegram_bot(services) as (fake, channel, progress):
            env = BotEnv("telegram", fake, channel, progress)

            async def restart():
                await env.channel.stop()
                new_channel, new_progress = await start_telegram(services, fake)
                return new_channel, new_progress

            env.restart_fn = restart
            yield env
            if env.channel is not channel:
                await env.channel.stop()
