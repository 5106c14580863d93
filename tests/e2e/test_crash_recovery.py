"""A bot killed between a turn's commit and its send: the journaled reply reaches the resident once, soon
after the restart, and never after a newer one. A slow live instance is not resent by another."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from bot.telegram.channel import TelegramChannel, make_bot
from bot.vk.channel import VkChannel
from bot.vk.client import VkClient
from handlers.context import DialogConfig, Services
from handlers.conversation import Conversation
from handlers.i18n import t
from storage.db import Database
from storage.media import LocalMediaStore
from storage.models import InboxUpdate, Signal
from tests.e2e.crash import CHANNELS, CrashBot, Person, make_fake, shown
from tests.e2e.multi import until
from tests.e2e.tg_harness import TOKEN as TG_TOKEN

RESTART_TARGET = 2.0  # seconds from the new process's first poll to the journaled reply (the target)


def hold(fake, peer_id: int) -> asyncio.Event:
    return fake.hold_chat(peer_id) if hasattr(fake, "hold_chat") else fake.hold_peer(peer_id)


async def latest_row(services, channel: str, peer_id: int) -> InboxUpdate:
    async with services.uow() as uow:
        return await uow.session.scalar(select(InboxUpdate).where(
            InboxUpdate.channel == channel, InboxUpdate.peer_id == peer_id).order_by(InboxUpdate.id.desc()).limit(1))


@pytest.mark.parametrize("channel", CHANNELS)
async def test_reply_journaled_before_a_sigkill_is_sent_once_after_restart(channel, services, db_url, tmp_path):
    loop = asyncio.get_running_loop()
    async with make_fake(channel) as fake:
        bot = CrashBot(channel, fake, db_url, tmp_path)
        try:
            bot.start(loop.time())
            await fake.wait_for(lambda: bot.first_poll_since(0) is not None, timeout=60)
            person = Person(channel, fake, 5001)
            steps = person.filing_steps(1)
            for step in steps[:4]:  # consent given, municipality chosen: «Шаг 2» asked
                await person.do(*step)

            # the press on «Дороги» is handled and committed, but its reply («Шаг 3») is held by the platform
            release = hold(fake, person.user_id)
            roads = person.button("Дороги")
            person.push_press(roads)
            await fake.wait_for(lambda: fake.held == 1, timeout=30)
            row = await latest_row(services, channel, person.user_id)
            assert row.handled_at is not None and row.replied_at is None and row.replies
            journaled = [shown(channel, r["text"]) for r in row.replies]
            assert "Шаг 3 из 5" in journaled[-1]
            seen = len(person.messages)

            bot.kill()
            await fake.wait_for(lambda: fake.abandoned, timeout=10)  # the held send died with the process
            release.set()
            person.push_press(roads)  # no answer came, so the resident presses again while the bot is down
            restart = loop.time()
            bot.start(restart)
            await fake.wait_for(lambda: bot.first_poll_since(restart) is not None, timeout=60)
            polled = bot.first_poll_since(restart)
            # the deadline is the target: the journaled reply within 2 s of the new process's first poll
            await fake.wait_for(lambda: len(person.messages) >= seen + len(journaled),
                                timeout=max(0.0, polled + RESTART_TARGET - loop.time()))
            assert person.times()[seen + len(journaled) - 1] - polled <= RESTART_TARGET
            # then the answer to the newer press (a hint and the same question again), after it — never before
            await fake.wait_for(lambda: len(person.messages) >= seen + len(journaled) + 2, timeout=30)
            after = person.texts()[seen:]
            assert after == [*journaled, t("ru", "hint-text"), journaled[-1]], after

            for step in steps[5:]:  # the resident finishes filing
                await person.do(*step)
            async with services.uow() as uow:
                filed = await uow.session.scalar(select(func.count(Signal.id)).where(
                    Signal.description.like("Обращение жителя номер 1:%")))
            assert filed == 1
            seen_steps = person.steps()
            assert seen_steps == sorted(seen_steps), person.texts()
            assert await bot.stop() == 0
        finally:
            if bot.proc is not None:
                bot.proc.terminate()
    assert "Traceback" not in bot.tail()


@pytest.mark.parametrize("channel", CHANNELS)
async def test_killed_again_while_resending_the_next_process_resends(channel, services, db_url, tmp_path):
    """The process that took over a journaled reply dies before sending it: the one after resends it."""
    loop = asyncio.get_running_loop()
    async with make_fake(channel) as fake:
        bot = CrashBot(channel, fake, db_url, tmp_path)
        try:
            bot.start(loop.time())
            person = Person(channel, fake, 5002)
            await person.say("/start", "согласие", timeout=60)
            release = hold(fake, person.user_id)
            person.push_press(person.button("Согласен"))
            for attempt in (1, 2):  # the first process dies after the commit, the second during the resend
                await fake.wait_for(lambda a=attempt: len(fake.abandoned) == a - 1 and fake.held == 1, timeout=60)
                bot.kill()
                await fake.wait_for(lambda a=attempt: len(fake.abandoned) == a, timeout=10)
                bot.start(loop.time())
            release.set()
            await fake.wait_for(lambda: any("Спасибо" in t for t in person.texts()), timeout=60)
            await person.say("/new", "Шаг 1")
            assert [t for t in person.texts() if "Спасибо" in t] and person.steps() == sorted(person.steps())
            assert sum("Спасибо" in t for t in person.texts()) == 1, person.texts()
            assert await bot.stop() == 0
        finally:
            if bot.proc is not None:
                bot.proc.terminate()


# ----- two live instances on one PostgreSQL: one is slow, the other must not resend its reply -----
def second_services(services, db_url: str, tmp_path) -> Services:
    return Services(db=Database(db_url), config=DialogConfig(), region=services.region,
                    media=LocalMediaStore(tmp_path / "media-b"), signing_key=services.signing_key)


def instance(channel: str, fake, services: Services):
    """A channel of one instance fed through `ingest` (as a webhook or the Callback API would)."""
    if channel == "telegram":
        return TelegramChannel(make_bot(TG_TOKEN, fake.base_url), services, Conversation(services), poll=False)
    return VkChannel(VkClient(fake.token, fake.base_url, rps=20), services, Conversation(services),
                     fake.group_id, poll=False)


@pytest.mark.parametrize("backend", ["postgresql"])
@pytest.mark.parametrize("channel", CHANNELS)
async def test_a_slow_live_instance_is_not_resent_by_another(channel, backend, services, db_url, tmp_path):
    other = second_services(services, db_url, tmp_path)
    async with make_fake(channel) as fake:
        a, b = instance(channel, fake, services), instance(channel, fake, other)
        await a.start()
        await b.start()
        try:
            person = Person(channel, fake, 5101)
            release = hold(fake, person.user_id)
            update = fake.user_text(5101, "/start") if channel == "telegram" else fake.user_message(5101, "/start")
            handled = asyncio.create_task(a.ingest([update]))  # instance A got it; its send is slow
            await fake.wait_for(lambda: fake.held == 1, timeout=30)
            row = await latest_row(services, channel, 5101)
            assert row.instance == services.db.instance.id != other.db.instance.id
            assert row.handled_at is not None and row.replied_at is None and row.replies
            # B sweeps (as it does every second): A is alive, so A's in-flight reply is not B's to send
            assert await b.inbox.recover() == 0
            assert await b.inbox.recover() == 0
            assert person.messages == [] and fake.held == 1 and b.inbox.busy == 0

            release.set()
            await handled
            journaled = [shown(channel, r["text"]) for r in row.replies]
            await fake.wait_for(lambda: len(person.messages) >= len(journaled), timeout=30)

            async def marked() -> bool:
                return (await latest_row(services, channel, 5101)).replied_at is not None

            await until(marked, 10, "A's group commit of 'replies sent'")
            assert await b.inbox.recover() == 0
            assert person.texts() == journaled
        finally:
            await a.stop()
            await b.stop()
            await other.db.dispose()
