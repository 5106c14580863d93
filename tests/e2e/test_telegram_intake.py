"""Residents file signals through the real aiogram client against the fake Bot API server."""

from __future__ import annotations

from sqlalchemy import func, select

from storage.models import Photo, Signal
from tests.e2e.tg_harness import TgResident, telegram_bot
from tests.images import jpeg_with_gps


async def start_and_consent(r: TgResident) -> None:
    await r.say("/start")
    await r.press("Согласен")


async def test_happy_path_one_photo(services):
    async with telegram_bot(services) as (fake, channel, progress):
        r = TgResident(fake, type('E', (), {'progress': progress})(), 1001)
        await start_and_consent(r)
        await r.say("/new")
        await r.press("Сыктывкар")
        await r.press("Дороги")
        await r.say("Большая яма у дома 5 на улице Ленина, уже месяц")
        out = await r.photo(jpeg_with_gps())
        assert "1 из 5" in out[-1]["text"]
        await r.press("Готово")
        out = await r.say("ул. Ленина, 5")
        assert "Проверьте обращение" in out[-1]["text"]
        out = await r.press("✅ Отправить")
        assert "принято" in out[-1]["text"]
        assert fake.rejected == []
    async with services.uow() as uow:
        assert await uow.session.scalar(select(func.count(Signal.id))) == 1
        assert await uow.session.scalar(select(func.count(Photo.id))) == 1
