"""Start-up that does not crash: an unreachable platform is retried while the web chat serves; a token the
platform refuses stops that channel with one line (exit 2 when it was the only one). Real processes."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

from tests.e2e.multi import ROOT, BotProcess, free_port, until
from tests.e2e.tg_harness import TOKEN
from tests.fakes.telegram_server import FakeTelegram


def bot_env(db_url: str, tmp_path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "VK_", "WEB_"))}
    return {**env, "DATABASE_URL": db_url, "MEDIA_DIR": str(tmp_path / "media"), "PYTHONPATH": str(ROOT),
            **extra}


async def test_unreachable_telegram_is_degraded_then_recovers(db_url, tmp_path):
    tg_port = free_port()
    env = bot_env(db_url, tmp_path, TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_URL=f"http://127.0.0.1:{tg_port}",
                  PLATFORM_RETRY_MAX_SECONDS="0.5")
    bot = BotProcess("bot", free_port(), env, tmp_path)
    bot.start()
    try:
        await bot.healthy()  # nothing listens on the Telegram port, and still the instance serves
        health = await bot.health()
        assert health["channels"] == {"web": "running", "telegram": "degraded"} and health["status"] == "degraded"
        fake = FakeTelegram(token=TOKEN)
        await fake.start(port=tg_port)
        try:
            async def recovered() -> bool:
                return (await bot.health())["channels"].get("telegram") == "running"

            await until(recovered, 30, "telegram running")
            fake.user_text(7001, "/start", "Ольга")
            await fake.wait_for(lambda: len(fake.sent_messages(7001)) >= 2, timeout=20)
        finally:
            await fake.stop()
    finally:
        assert await bot.sigterm() == 0
    log = bot.tail()
    assert "Traceback" not in log and "Unclosed" not in log
    assert "channel telegram: platform unreachable (" in log and "channel telegram is up after" in log


async def test_token_refused_by_getme_is_one_line_and_exit_2(db_url, tmp_path):
    async with FakeTelegram(token=TOKEN) as fake:
        env = bot_env(db_url, tmp_path, TELEGRAM_BOT_TOKEN="999:WRONG-SECRET-TOKEN",
                      TELEGRAM_API_URL=fake.base_url, WEB_ENABLED="0", HTTP_LISTEN=f"127.0.0.1:{free_port()}")
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", env=env, cwd=tmp_path,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 2
    text = (out + err).decode()
    refusals = [line for line in text.splitlines() if "TELEGRAM_BOT_TOKEN" in line]
    assert len(refusals) == 1 and "rejected the token" in refusals[0], text
    assert "Traceback" not in text and "Unclosed" not in text and "WRONG-SECRET" not in text
    assert ("getMe", "Unauthorized") in fake.rejected


async def test_token_refused_with_web_on_keeps_serving(db_url, tmp_path):
    async with FakeTelegram(token=TOKEN) as fake:
        env = bot_env(db_url, tmp_path, TELEGRAM_BOT_TOKEN="999:WRONG", TELEGRAM_API_URL=fake.base_url)
        bot = BotProcess("bot", free_port(), env, tmp_path)
        bot.start()
        try:
            await bot.healthy()
            assert (await bot.health())["channels"] == {"web": "running"}
        finally:
            assert await bot.sigterm() == 0
    assert "TELEGRAM_BOT_TOKEN: telegram rejected the token" in bot.tail()
