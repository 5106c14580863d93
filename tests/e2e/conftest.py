"""Channel-parametrized bot environments: the same scenario runs on every channel."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from tests.e2e.tg_harness import TOKEN as TG_TOKEN
from tests.e2e.tg_harness import TgResident, start_telegram
from tests.e2e.vk_harness import GROUP_ID as VK_GROUP_ID
from tests.e2e.vk_harness import TOKEN as VK_TOKEN
from tests.e2e.vk_harness import VkResident, start_vk
from tests.fakes.telegram_server import FakeTelegram
from tests.fakes.vk_server import FakeVK

CHANNELS = ["telegram", "vk"]
FAKES = {"telegram": lambda: FakeTelegram(token=TG_TOKEN), "vk": lambda: FakeVK(token=VK_TOKEN, group_id=VK_GROUP_ID)}
STARTERS = {"telegram": start_telegram, "vk": start_vk}
RESIDENTS = {"telegram": TgResident, "vk": VkResident}


@dataclass
class BotEnv:
    channel_name: str
    fake: Any
    channel: Any
    progress: Any
    services: Any

    def resident(self, user_id: int, name: str = "Иван"):
        return RESIDENTS[self.channel_name](self.fake, self, user_id, name)

    async def restart(self) -> None:
        """Stop the bot and start a new one on the same fake server and database."""
        await self.channel.stop()
        self.channel, self.progress = await STARTERS[self.channel_name](self.services, self.fake)


@pytest.fixture(params=CHANNELS)
async def env(request, services):
    """A running bot on one channel against its fake platform server, on a seeded database."""
    fake = FAKES[request.param]()
    await fake.start()
    channel, progress = await STARTERS[request.param](services, fake)
    bot_env = BotEnv(request.param, fake, channel, progress, services)
    try:
        yield bot_env
    finally:
        await bot_env.channel.stop()
        await fake.stop()
