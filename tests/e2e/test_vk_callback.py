"""VK Callback API mode: confirmation handshake, secret on every event, duplicates handled once."""

from __future__ import annotations

import aiohttp
from sqlalchemy import func, select

from bot.app import Instance
from bot.config import load_settings
from storage.models import InboxUpdate
from tests.e2e.test_webhook import free_port
from tests.e2e.vk_harness import GROUP_ID, TOKEN
from tests.fakes.vk_server import FakeVK


async def test_callback_confirmation_secret_and_duplicates(services, db_url, tmp_path):
    port = free_port()
    async with FakeVK(token=TOKEN, group_id=GROUP_ID) as fake:
        settings = load_settings(
            database_url=db_url, vk_group_token=TOKEN, vk_group_id=GROUP_ID, vk_api_url=fake.base_url,
            vk_callback_confirmation="a1b2c3d4", vk_callback_secret="cb-secret", webhook_listen=f"127.0.0.1:{port}",
            media_dir=tmp_path / "media", web_enabled=False)
        instance = Instance(settings, services)
        await instance.start()
        url = f"http://127.0.0.1:{port}/vk/callback"
        try:
            async with aiohttp.ClientSession() as http:
                async with http.post(url, json={"type": "confirmation", "group_id": GROUP_ID}) as r:
                    assert r.status == 200 and await r.text() == "a1b2c3d4"
                event = fake.user_message(6001, "/start")  # also queued for long poll, which is off here
                for secret in (None, "wrong"):
                    body = {**event, **({"secret": secret} if secret else {})}
                    async with http.post(url, json=body) as r:
                        assert r.status == 403
                async with services.uow() as uow:
                    assert await uow.session.scalar(select(func.count(InboxUpdate.id))) == 0
                for _ in range(2):  # VK redelivers when it did not get "ok" in time
                    async with http.post(url, json={**event, "secret": "cb-secret"}) as r:
                        assert r.status == 200 and await r.text() == "ok"
                await fake.wait_messages(6001, 2)
                async with http.post(url, json={**event, "group_id": GROUP_ID + 1, "secret": "cb-secret"}) as r:
                    assert r.status == 403
            [channel] = instance.channels
            await fake.wait_for(lambda: channel.handled[6001] >= 1)
            async with services.uow() as uow:
                assert await uow.session.scalar(select(func.count(InboxUpdate.id))) == 1
                row = await uow.session.scalar(select(InboxUpdate))
                assert "secret" not in row.payload
            assert fake.delivered_count(6001) == 2  # welcome + consent, once
        finally:
            await instance.stop()
