"""Two real instances on PostgreSQL behind real nginx; webhook updates from the fake Bot API server.
One run is clean, the other kills an instance with SIGKILL in the middle."""

from __future__ import annotations

import asyncio
import os
from collections import Counter

import pytest
from sqlalchemy import func, select

from storage.models import InboxUpdate, Signal
from tests.e2e.multi import SECRET, BotProcess, Nginx, RemoteResident, free_port, nginx_binary, until
from tests.e2e.tg_harness import TOKEN
from tests.fakes.telegram_server import FakeTelegram

RESIDENTS = 200
EXPECTED_MESSAGES = 10  # welcome, consent, thanks+menu, 5 step prompts, summary, confirmation


@pytest.fixture
def nginx_path():
    path = nginx_binary()
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("nginx is required in CI (apt-get install nginx)")
        pytest.skip("nginx not installed")
    return path


@pytest.mark.parametrize("backend", ["postgresql"])
@pytest.mark.parametrize("kill", [False, True], ids=["clean", "sigkill"])
async def test_two_instances_behind_nginx(services, db_url, tmp_path, nginx_path, kill):
    front, p1, p2 = free_port(), free_port(), free_port()
    async with FakeTelegram(token=TOKEN) as fake:
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path),
               "DATABASE_URL": db_url, "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_URL": fake.base_url,
               "TELEGRAM_WEBHOOK_URL": f"http://127.0.0.1:{front}/telegram/webhook",
               "TELEGRAM_WEBHOOK_SECRET": SECRET, "MEDIA_DIR": str(tmp_path / "media"),
               "LOG_FORMAT": "json", "LOG_LEVEL": "WARNING", "MAX_MESSAGES_PER_MINUTE": "1000",
               "LEADER_RETRY_SECONDS": "0.5"}
        nginx = Nginx(nginx_path, tmp_path / "nginx", front, [p1, p2])
        (tmp_path / "nginx").mkdir()
        nginx.start()
        a, b = BotProcess("a", p1, env, tmp_path), BotProcess("b", p2, env, tmp_path)
        try:
            a.start()
            b.start()
            await asyncio.gather(a.healthy(), b.healthy())
            residents = [RemoteResident(fake, 10_000 + i) for i in range(RESIDENTS)]
            run = asyncio.gather(*(r.file_signal(i) for i, r in enumerate(residents)))
            if kill:
                async def kill_midway():
                    await fake.wait_for(lambda: len(fake.webhook_deliveries) >= RESIDENTS * 3, timeout=120)
                    leaders = [p for p in (a, b) if (await p.health())["scheduler_leader"]]
                    assert len(leaders) == 1, "exactly one scheduler leader"
                    victim = leaders[0]
                    survivor = b if victim is a else a
                    victim.kill()  # kill the leader: the other instance must take over the scheduler
                    async def survivor_leads():
                        return (await survivor.health())["scheduler_leader"]

                    await until(survivor_leads, 15, "the survivor to take over the scheduler")
                    victim.start()  # the supervisor (systemd) restarts it
                    await victim.healthy()
                    assert not (await victim.health())["scheduler_leader"]
                await asyncio.gather(run, kill_midway())
            else:
                await run
            async with services.uow() as uow:
                descriptions = list(await uow.session.scalars(select(Signal.description)))
                unhandled = await uow.session.scalar(
                    select(func.count(InboxUpdate.id)).where(InboxUpdate.handled_at.is_(None)))
                dupes = await uow.session.scalar(
                    select(func.count()).select_from(
                        select(InboxUpdate.update_key).group_by(InboxUpdate.update_key)
                        .having(func.count() > 1).subquery()))
            assert len(descriptions) == RESIDENTS and len(set(descriptions)) == RESIDENTS
            assert unhandled == 0 and dupes == 0
            counts = Counter(len(r.messages) for r in residents)
            if kill:  # a reply sent just before the kill may be resent once by the other instance
                assert all(EXPECTED_MESSAGES <= n <= EXPECTED_MESSAGES + 1 for n in counts), counts
            else:
                assert counts == {EXPECTED_MESSAGES: RESIDENTS}, counts
            for r in residents:  # per-resident order kept
                plain = [m.get("plain") or "" for m in r.messages]
                order = [next(i for i, t in enumerate(plain) if marker in t)
                         for marker in ("согласие", "Шаг 1", "Шаг 2", "Шаг 3", "Шаг 4", "Шаг 5", "Проверьте",
                                        "принято")]
                assert order == sorted(order), plain
            assert [x for x in fake.rejected if "webhook" not in x[0]] == []
            assert await asyncio.gather(a.sigterm(), b.sigterm()) == [0, 0], "SIGTERM: a clean shutdown"
        finally:
            for proc in (a, b):
                proc.terminate()
            nginx.stop()
