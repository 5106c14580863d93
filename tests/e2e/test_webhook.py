"""Webhook mode: the fake Bot API server posts updates to a running instance; the secret is enforced."""

from __future__ import annotations

import socket

import aiohttp
from sqlalchemy import func, select

from bot.app import Instance
from bot.config import load_settings
from storage.models import InboxUpdate
from tests.e2e.tg_harness import TOKEN, Progress, TgResident
from tests.fakes.telegram_server import FakeTelegram


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Env:
    def __init__(self, progress):
        self.progress = progress


async def test_webhook_secret_and_delivery(services, db_url, tmp_path):
    port = free_port()
    async with FakeTelegram(token=TOKEN) as fake:
        settings = load_settings(
            database_url=db_url, telegram_bot_token=TOKEN, telegram_api_url=fake.base_url,
            telegram_webhook_url=f"http://127.0.0.1:{port}/tg/hook", telegram_webhook_secret="s3cret-Token_1",
            webhook_listen=f"127.0.0.1:{port}", media_dir=tmp_path / "media", web_enabled=False)
        instance = Instance(settings, services)
        await instance.start()
        try:
            assert fake.webhook["url"].endswith("/tg/hook")
            assert set(fake.webhook.get("allowed_updates") or []) == {"message", "callback_query"}
            update = {"update_id": 1, "message": {"message_id": 1, "date": 0, "text": "/start",
                                                  "chat": {"id": 5, "type": "private"},
                                                  "from": {"id": 5, "is_bot": False, "first_name": "X"}}}
            async with aiohttp.ClientSession() as http:
                for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "wrong"}):
                    async with http.post(f"http://127.0.0.1:{port}/tg/hook", json=update, headers=headers) as r:
                        assert r.status == 401
                async with http.get(f"http://127.0.0.1:{port}/healthz") as r:
                    health = await r.json()
                    assert r.status == 200 and health["database"] == "ok"
                    assert health["channels"]["telegram"] == "running"
            async with services.uow() as uow:
                assert await uow.session.scalar(select(func.count(InboxUpdate.id))) == 0
            [channel] = instance.channels
            r = TgResident(fake, Env(Progress(channel)), 4001)
            await r.say("/start")
            assert "Активный регион" in r.texts()[0]
            # the same update delivered twice (e.g. our 200 was lost on the way): handled once
            fake.add_chat(5)
            progress = Progress(channel)
            async with aiohttp.ClientSession() as http:
                for _ in range(2):
                    async with http.post(f"http://127.0.0.1:{port}/tg/hook", json=update,
                                         headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret-Token_1"}) as resp:
                        assert resp.status == 200
                await progress.until(lambda: channel.handled[5] >= 1, what="the update handled")
                async with http.get(f"http://127.0.0.1:{port}/metrics") as resp:
                    body = await resp.text()
            assert len(fake.sent_messages(5)) == 2  # welcome + consent, once
            async with services.uow() as uow:
                keys = list(await uow.session.scalars(select(InboxUpdate.update_key).where(InboxUpdate.peer_id == 5)))
            assert keys == ["1"]
            assert 'bot_updates_handled_total{channel="telegram"} 2.0' in body  # user 4001 and chat 5
        finally:
            await instance.stop()


async def test_polling_is_refused_when_a_webhook_is_set(services, db_url, tmp_path, caplog):
    async with FakeTelegram(token=TOKEN) as fake:
        from bot.telegram.channel import make_bot

        bot = make_bot(TOKEN, fake.base_url)
        await bot.set_webhook("https://example.org/hook")
        await bot.session.close()
        settings = load_settings(database_url=db_url, telegram_bot_token=TOKEN, telegram_api_url=fake.base_url,
                                 media_dir=tmp_path / "media", web_enabled=False)
        instance = Instance(settings, services)
        try:
            await instance.start()  # the channel is stopped with one line; with no channel left, run exits 2
            assert instance.fatal.is_set() and instance.channels == []
            [line] = [r.getMessage() for r in caplog.records if r.levelname == "ERROR" and "webhook" in r.getMessage()]
            assert line.startswith("TELEGRAM_WEBHOOK_URL: a webhook is set") and "\n" not in line
        finally:
            await instance.stop()
