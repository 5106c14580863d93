"""Telegram-only behaviour: photo download failures, forged callbacks, flood control, command menu,
and a PostgreSQL restart in the middle of a dialog."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from storage.models import Signal
from tests.e2e.test_intake_scenarios import consent, to_description
from tests.e2e.tg_harness import TgResident, telegram_bot
from tests.images import jpeg_with_gps


class Env:
    def __init__(self, progress):
        self.progress = progress


async def at_photo_step(r):
    await consent(r)
    await to_description(r)
    await r.say("Провалился люк на проезжей части у дома 9")


async def test_photo_download_retried_then_succeeds(services):
    async with telegram_bot(services) as (fake, channel, progress):
        r = TgResident(fake, Env(progress), 3001)
        await at_photo_step(r)
        fake.fail_next("getFile", status=500, count=2)
        await r.photo(jpeg_with_gps())
        assert "1 из 5" in r.last_text()


async def test_photo_finally_missing_is_reported_and_the_rest_kept(services):
    async with telegram_bot(services) as (fake, channel, progress):
        r = TgResident(fake, Env(progress), 3002)
        await at_photo_step(r)
        await r.photo(jpeg_with_gps(color=(1, 2, 3)))
        fake.fail_next("getFile", status=500, count=3)
        await r.photo(jpeg_with_gps(color=(9, 9, 9)))
        texts = r.texts()
        assert any("Не удалось загрузить 1 фото" in t for t in texts[-3:])
        assert "1 из 5" in texts[-1]
        await r.press("Готово")
        await r.say("ул. Мира, 9")
        assert "Фото: 1" in r.last_text() and "Провалился люк" in r.last_text()


async def test_forged_and_replayed_callback_data(services):
    async with telegram_bot(services) as (fake, channel, progress):
        a, b = TgResident(fake, Env(progress), 3003), TgResident(fake, Env(progress), 3004)
        await consent(a)
        await consent(b)
        await to_description(a)
        await a.say("Описание для проверки подделки кнопок")
        await a.press("Пропустить")
        await a.say("ул. Мира, 1")
        message_id, _, data = a.find_button("✅ Отправить")
        await a.press_data(message_id, data.replace("send", "sendx"), check=False)
        assert "недействительна" in a.texts()[-2]
        # b replays a's button data in b's own chat: the signature is bound to a's chat
        [own_message] = [m for m in b.messages if m.get("reply_markup")][-1:]
        await b.press_data(own_message["message_id"], data, check=False)
        assert "недействительна" in b.texts()[-2]
        async with services.uow() as uow:
            assert await uow.session.scalar(select(func.count(Signal.id))) == 0
        await a.press("✅ Отправить")
        async with services.uow() as uow:
            assert await uow.session.scalar(select(func.count(Signal.id))) == 1


async def test_flood_control_per_resident(services):
    services.config = type(services.config)(max_messages_per_minute=5)
    async with telegram_bot(services) as (fake, channel, progress):
        r = TgResident(fake, Env(progress), 3005)
        for _ in range(5):
            await r.say("/help")
        await r.say("/help")
        assert "слишком часто" in r.last_text()
        other = TgResident(fake, Env(progress), 3006)
        await other.say("/help")
        assert "Как это работает" in other.texts()[0]


async def test_command_menu_is_set(services):
    async with telegram_bot(services) as (fake, channel, progress):
        await fake.wait_for(lambda: sum(m == "setMyCommands" for m, _ in fake.calls) == 2)
        russian, komi = [p for m, p in fake.calls if m == "setMyCommands"]  # the default, then language_code=kv
        assert {c["command"] for c in russian["commands"]} >= {"new", "my", "lang", "help", "forget"}
        assert "language_code" not in russian and komi["language_code"] == "kv"


@pytest.mark.parametrize("backend", ["postgresql"])
async def test_database_restart_mid_dialog(services, pg_server):
    if pg_server is None:
        pytest.skip("external PostgreSQL: cannot restart it")
    async with telegram_bot(services) as (fake, channel, progress):
        r = TgResident(fake, Env(progress), 3007)
        await at_photo_step(r)
        await asyncio.to_thread(pg_server.restart)
        await r.press("Пропустить")
        await r.say("ул. Мира, 7")
        await r.press("✅ Отправить")
        assert "принято" in r.last_text()
        async with services.uow() as uow:
            assert await uow.session.scalar(select(func.count(Signal.id))) == 1


async def test_staff_command_menu_follows_roles(services):
    from handlers import roles

    async with telegram_bot(services) as (fake, channel, progress):
        r = TgResident(fake, Env(progress), 3010)
        await consent(r)
        async with services.uow() as uow:
            await roles.grant(uow, "telegram:3010", "moderator")
            await uow.commit()
        await r.say("/help")
        scoped = [p for m, p in fake.calls if m == "setMyCommands" and p.get("scope", {}).get("chat_id") == 3010]
        assert len(scoped) == 1 and {"queue", "review"} <= {c["command"] for c in scoped[0]["commands"]}
        await r.say("/help")  # unchanged roles: no new call
        async with services.uow() as uow:
            await roles.revoke(uow, "telegram:3010", "moderator")
            await uow.commit()
        await r.say("/queue")
        assert "недоступно" in r.texts()[-1]
        scoped = [p for m, p in fake.calls if m == "setMyCommands" and p.get("scope", {}).get("chat_id") == 3010]
        assert len(scoped) == 2 and "queue" not in {c["command"] for c in scoped[1]["commands"]}


async def test_429_between_photo_and_text_does_not_resend_the_photo(services):
    from bot.telegram.sender import TelegramSender
    from handlers.photos import store_photo
    from handlers.types import Say
    from storage.images import sanitize
    from tests.e2e.tg_harness import TOKEN, make_bot
    from tests.fakes.telegram_server import FakeTelegram

    clean = sanitize(jpeg_with_gps())
    photo_id = await store_photo(services, clean.data, clean.width, clean.height)
    async with FakeTelegram(token=TOKEN, rate_limit_per_chat=1) as fake:
        fake.add_chat(3020)
        bot = make_bot(TOKEN, fake.base_url)
        try:
            await TelegramSender(bot, services).send(3020, [Say("Ответ с фото", photos=(photo_id,))], key="1")
        finally:
            await bot.session.close()
        sent = fake.sent_messages(3020)
        assert fake.count_429 >= 1  # the text hit the per-chat limit right after the photo
        assert [bool(m.get("photo")) for m in sent] == [True, False] and sent[1]["text"] == "Ответ с фото"
