"""Intake scenarios, run unchanged on every channel (real client over HTTP against the fake platform)."""

from __future__ import annotations

import asyncio
import io

import pytest
from PIL import Image
from sqlalchemy import func, select

from storage.models import DialogState, Photo, Signal, User
from tests.images import jpeg_with_gps, png, webp


async def consent(r) -> None:
    await r.say("/start")
    await r.press("Согласен")


async def to_description(r, municipality="Сыктывкар", category="Дороги") -> None:
    await r.say("/new")
    await r.press(municipality)
    await r.press(category)


async def file_signal(r, description="Большая яма у дома 5 на улице Ленина, уже месяц", photos=(), address="ул. Ленина, 5"):
    await to_description(r)
    await r.say(description)
    for blob in photos:
        await r.photo(blob)
    await r.press("Готово" if photos else "Пропустить")
    await r.say(address)
    return await r.press("✅ Отправить")


async def count(services, model) -> int:
    async with services.uow() as uow:
        return await uow.session.scalar(select(func.count()).select_from(model))


async def signals(services) -> list[Signal]:
    async with services.uow() as uow:
        return list(await uow.session.scalars(select(Signal).order_by(Signal.id)))


def assert_clean(env) -> None:
    assert env.fake.rejected == [], env.fake.rejected


async def test_consent_required_before_anything_is_stored(env, services):
    r = env.resident(2001, "Мария")
    await r.say("/new")
    assert "согласие" in r.last_text()
    async with services.uow() as uow:
        user = await uow.session.scalar(select(User))
        assert user.display_name is None and user.consent_at is None
    await r.press("Согласен")
    async with services.uow() as uow:
        user = await uow.session.scalar(select(User))
        assert user.display_name == "Мария" and user.consent_at is not None
    assert_clean(env)


async def test_no_photos_typed_address(env, services):
    r = env.resident(2002)
    await consent(r)
    await file_signal(r)
    texts = r.texts()
    assert "№" in texts[-1] and "рабочих дней" in texts[-1]
    [s] = await signals(services)
    assert (s.address, s.latitude, s.status, s.source_channel) == ("ул. Ленина, 5", None, "new", env.channel_name)
    assert_clean(env)


async def test_one_photo_exif_is_stripped(env, services, tmp_path):
    r = env.resident(2003)
    await consent(r)
    await file_signal(r, photos=[jpeg_with_gps()])
    assert await count(services, Photo) == 1
    async with services.uow() as uow:
        photo = await uow.session.scalar(select(Photo))
    data = await services.media.get(photo.media_key)
    with Image.open(io.BytesIO(data)) as img:
        assert not img.getexif(), "EXIF must be stripped"
        assert "exif" not in img.info
    assert_clean(env)


async def test_album_of_five_answered_once(env, services):
    r = env.resident(2004)
    await consent(r)
    await to_description(r)
    await r.say("Сломанные качели на детской площадке во дворе")
    blobs = [jpeg_with_gps(color=(i * 40, 10, 10)) for i in range(5)]
    out = await r.album(blobs)
    assert sum("Фото добавлено" in t for t in r.texts()[-len(out):]) <= 1
    await r.say("Двор дома 12 по Коммунистической")
    summary = r.last_text()
    assert "Фото: 5" in summary
    await r.press("✅ Отправить")
    [s] = await signals(services)
    async with services.uow() as uow:
        stored = await uow.signals.get(s.id)
        assert len(stored.photos) == 5
    assert_clean(env)


@pytest.mark.parametrize("kind", ["png", "webp"])
async def test_image_sent_as_file(env, services, kind):
    r = env.resident(2005)
    await consent(r)
    await to_description(r)
    await r.say("Мусор не вывозят уже две недели, контейнеры переполнены")
    data, mime = (png(), "image/png") if kind == "png" else (webp(), "image/webp")
    out = await r.document(data, f"photo.{kind}", mime)
    assert "1 из 5" in r.texts()[-1], out
    assert_clean(env)


async def test_location_inside_region_suggests_municipality(env, services):
    r = env.resident(2006)
    await consent(r)
    await r.say("/new")
    await r.location(63.57, 53.69)
    assert "Ухта" in r.last_text()
    await r.press("Да")
    await r.press("ЖКХ")
    await r.say("Нет отопления в подъезде третий день")
    await r.press("Пропустить")
    assert "Проверьте обращение" in r.last_text()  # the location was already shared
    await r.press("✅ Отправить")
    [s] = await signals(services)
    assert s.municipality.name == "Ухта" and s.latitude == pytest.approx(63.57)
    assert_clean(env)


async def test_location_outside_region_is_refused(env, services):
    r = env.resident(2007)
    await consent(r)
    await r.say("/new")
    await r.location(55.75, 37.62)  # Moscow
    assert "за пределами" in " ".join(r.texts()[-2:])
    await to_description(r)
    await r.say("Не горит фонарь у остановки Школьная")
    await r.press("Пропустить")
    await r.location(55.75, 37.62)
    assert "за пределами" in " ".join(r.texts()[-2:])
    await r.location(61.67, 50.84)
    assert "Проверьте обращение" in r.last_text()
    assert_clean(env)


async def test_back_and_cancel_at_every_step(env, services):
    r = env.resident(2008)
    await consent(r)
    await r.say("/new")
    await r.press("Сыктывкар")
    assert "категорию" in r.last_text()
    await r.press("« Назад")
    assert "Где проблема" in r.last_text()
    await r.press("Сыктывкар")
    await r.press("Дороги")
    assert "Опишите" in r.last_text()
    await r.press("« Назад")
    assert "категорию" in r.last_text()
    await r.press("Дороги")
    await r.say("Яма на перекрёстке Ленина и Кирова")
    assert "фото" in r.last_text().lower()
    await r.press("« Назад")
    assert "Опишите" in r.last_text()
    await r.say("Яма на перекрёстке Ленина и Кирова")
    await r.press("Пропустить")
    assert "Где именно" in r.last_text()
    await r.press("« Назад")
    assert "фото" in r.last_text().lower()
    await r.press("Пропустить")
    await r.say("перекрёсток Ленина и Кирова")
    await r.press("Изменить описание")
    await r.press("« Назад")
    assert "Проверьте обращение" in r.last_text()
    await r.press("✖ Отмена")
    assert "отменено" in " ".join(r.texts()[-2:])
    assert await count(services, Signal) == 0
    await r.say("/new")
    await r.press("✖ Отмена")
    assert "отменено" in " ".join(r.texts()[-2:])
    assert_clean(env)


@pytest.mark.parametrize("kind", ["sticker", "voice", "video", "contact"])
async def test_unexpected_input_repeats_the_step_and_keeps_the_draft(env, services, kind):
    r = env.resident(2009)
    await consent(r)
    await to_description(r)
    await r.say("Сломан светофор на улице Первомайской")
    before = r.last_text()
    await r.send_kind(kind)
    texts = r.texts()
    assert texts[-1] == before  # the same step asked again
    assert texts[-2] != before  # after a hint
    await r.press("Пропустить")
    await r.say("ул. Первомайская, 40")
    assert "Сломан светофор" in r.last_text()
    assert_clean(env)


async def test_non_image_document_unknown_command_and_text_instead_of_button(env, services):
    r = env.resident(2010)
    await consent(r)
    await to_description(r)
    await r.say("Не убран снег во дворе дома 7 по Южной")
    await r.document(b"%PDF-1.4 fake", "act.pdf", "application/pdf")
    assert "JPEG" in r.texts()[-2]
    await r.say("/nonsense")
    assert "Такой команды нет" in r.texts()[-2]
    await r.say("какой-то текст вместо кнопки")
    assert "фото" in r.texts()[-2].lower()
    await r.press("Пропустить")
    await r.say("ул. Южная, 7")
    assert "Не убран снег" in r.last_text()
    assert_clean(env)


async def test_description_limits_and_html_displayed_literally(env, services):
    r = env.resident(2011)
    await consent(r)
    await to_description(r)
    await r.say("коротко")
    assert "подробнее" in r.last_text()
    long_text = ("Яма <b>глубокая</b> & опасная _*[ 🚧. " * 120)[:2600]
    await r.say(long_text)
    assert "длиннее 2000" in r.last_text()
    await r.press("✂ Сократить")
    await r.press("Пропустить")
    await r.say("ул. Ленина, 1")
    summary = r.last_text()
    assert "<b>глубокая</b> & опасная _*[ 🚧" in summary  # shown literally, not as markup
    await r.press("✅ Отправить")
    [s] = await signals(services)
    assert len(s.description) <= 2000 and s.description.startswith("Яма <b>глубокая</b>")
    assert_clean(env)


async def test_4000_character_description_with_html_is_kept_until_shortened(env, services):
    r = env.resident(2012)
    await consent(r)
    await to_description(r)
    text = ("<i>Текст</i> & <script>x</script> " * 200)[:4000]
    await r.say(text)
    assert "сохранил" in r.last_text()
    await r.say("Короткое описание без лишнего: яма у дома 3")
    assert "фото" in r.last_text().lower()
    assert_clean(env)


async def test_double_send_creates_one_signal(env, services):
    r = env.resident(2013)
    await consent(r)
    await file_signal(r)
    await r.press("✅ Отправить")  # a second tap on the same (old) button
    assert "уже отправлено" in r.last_text()
    assert await count(services, Signal) == 1
    assert_clean(env)


async def test_two_residents_interleaved_never_see_each_others_drafts(env, services):
    a, b = env.resident(2014, "Анна"), env.resident(2015, "Борис")
    await consent(a)
    await consent(b)
    await to_description(a, "Сыктывкар", "Дороги")
    await to_description(b, "Ухта", "ЖКХ")
    await a.say("Описание Анны: яма на дороге у школы")
    await b.say("Описание Бориса: течёт крыша в подъезде")
    await a.press("Пропустить")
    await b.press("Пропустить")
    await a.say("ул. Школьная, 1")
    await b.say("ул. Заводская, 2")
    assert "Анны" in a.last_text() and "Бориса" not in a.last_text()
    assert "Бориса" in b.last_text() and "Анны" not in b.last_text()
    await asyncio.gather(a.press("✅ Отправить"), b.press("✅ Отправить"))
    rows = await signals(services)
    assert sorted(s.description.split(":")[0] for s in rows) == ["Описание Анны", "Описание Бориса"]
    assert len({s.number for s in rows}) == 2
    assert_clean(env)


async def test_my_lists_signals_and_opens_one(env, services):
    r = env.resident(2016)
    await consent(r)
    await r.say("/my")
    assert "нет обращений" in r.last_text()
    await file_signal(r)
    [s] = await signals(services)
    await r.say("/my")
    assert s.number in r.last_text() and "на модерации" in r.last_text()
    await r.press(f"№{s.number}")
    assert "История" in r.last_text() and "подано" in r.last_text()
    assert_clean(env)


async def test_forget_removes_personal_data(env, services):
    r = env.resident(2017, "Пётр")
    await consent(r)
    await file_signal(r)
    await r.say("/forget")
    await r.press("Да, удалить")
    assert "удалены" in r.last_text()
    async with services.uow() as uow:
        assert await uow.session.scalar(select(func.count(User.id)).where(User.display_name == "Пётр")) == 0
        assert await uow.session.scalar(select(func.count(Signal.id))) == 0  # not yet moderated: removed
    assert_clean(env)


async def test_daily_signal_limit(env, services):
    services.config = type(services.config)(max_signals_per_day=1)
    r = env.resident(2018)
    await consent(r)
    await file_signal(r)
    await file_signal(r, description="Второе обращение за день: нет света в подъезде")
    assert "максимум" in r.last_text()
    assert await count(services, Signal) == 1
    assert_clean(env)


async def test_restart_mid_dialog_continues(env, services):
    r = env.resident(2019)
    await consent(r)
    await to_description(r)
    await r.say("Разбит тротуар вдоль улицы Советской")
    async with services.uow() as uow:
        state = await uow.session.scalar(select(DialogState).where(DialogState.peer_id == 2019))
        assert state.step == "intake.photos"
    await env.restart()
    await r.press("Пропустить")
    await r.say("ул. Советская")
    assert "Разбит тротуар" in r.last_text()
    await r.press("✅ Отправить")
    assert await count(services, Signal) == 1
    assert_clean(env)
