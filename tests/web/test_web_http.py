"""The web channel over real HTTP on both databases: filing with photos and a location, the guards
(CSRF, origin, rate limits, uploads), escaping, forged buttons, /forget, retried POSTs."""

from __future__ import annotations

import io

import aiohttp
from PIL import Image
from sqlalchemy import func, select

from handlers.i18n import t
from storage.models import InboxUpdate, Photo, Signal, WebMessage
from tests.images import jpeg_with_gps, png
from tests.web.harness import WebVisitor, web_instance

SYKTYVKAR = (61.6688, 50.8364)


async def consent(v: WebVisitor) -> None:
    replies = await v.say("/start")
    assert any("согласие" in t.lower() for t in replies), replies
    thanks = await v.press("Согласен")
    assert thanks[0] == "Спасибо! Теперь можно сообщить о проблеме.", thanks  # the toast other channels show


async def file_until_photos(v: WebVisitor, description: str) -> None:
    await consent(v)
    await v.say("/new")
    await v.press("Сыктывкар")
    await v.press("Дороги")
    assert any("Шаг 4" in t for t in await v.say(description))


async def test_resident_files_with_two_photos_and_a_location(services, db_url, tmp_path):
    async with web_instance(services, db_url, tmp_path) as instance, WebVisitor(instance) as v:
        await file_until_photos(v, "Глубокая яма у дома 10, машины объезжают по встречке")
        replies = await v.upload([("a.jpg", jpeg_with_gps(), "image/jpeg"), ("b.png", png(), "image/png")])
        assert any("Фото добавлено: 2 из 5" in t for t in replies), replies
        await v.press("Готово")
        summary = await v.location(*SYKTYVKAR)
        assert any("Проверьте обращение" in t for t in summary), summary
        done = await v.press("✅ Отправить")
        async with services.uow() as uow:
            signal = await uow.session.scalar(select(Signal))
            photos = list(await uow.session.scalars(select(Photo)))
        assert any(f"№{signal.number}" in t for t in done), done
        assert signal.source_channel == "web" and signal.latitude is not None and len(photos) == 2
        for photo in photos:  # stored without EXIF (GPS included)
            assert not Image.open(io.BytesIO(await services.media.get(photo.media_key))).getexif()
        assert list((tmp_path / "media" / "web-uploads").iterdir()) == []  # originals gone
        mine = [m for m in await v.messages() if m["from"] == "me"]
        assert any(m.get("kind") == "photos" and m["count"] == 2 for m in mine)
        assert any(m.get("kind") == "location" for m in mine)
        await v.say("/my")
        assert any(signal.number in t for t in await v.texts())


async def test_guards_answer_clearly(services, db_url, tmp_path):
    async with web_instance(services, db_url, tmp_path, web_rate_per_session=45) as instance, \
            WebVisitor(instance) as v:
        status, body = await v.post({"kind": "text", "text": "/start"}, headers={"X-CSRF-Token": "forged"})
        assert (status, body["error"]) == (403, t("ru", "web-csrf"))
        status, body = await v.post({"kind": "text", "text": "/start"}, headers={"Origin": "https://evil.example"})
        assert (status, body["error"]) == (403, t("ru", "web-origin"))
        status, body = await v.post({"kind": "nonsense"})
        assert (status, body["error"]) == (400, t("ru", "web-bad-request"))
        async with aiohttp.ClientSession() as stranger, stranger.post(
                instance.base_url + "/web/api/send", json={"kind": "text", "text": "hi"}) as r:
            assert r.status == 403 and (await r.json())["error"] == t("ru", "web-session-lost")
        async with instance.services.uow() as uow:
            assert await uow.session.scalar(select(func.count(InboxUpdate.id))) == 0  # nothing refused was stored

        await file_until_photos(v, 'Яма <script>alert(1)</script> & <b>жирный</b> текст у дома')
        big = b"\xff\xd8\xff" + b"0" * (20 * 1024 * 1024 + 10)
        replies = await v.upload([("huge.jpg", big, "image/jpeg")])
        assert t("ru", "photo-bad") in replies, replies
        replies = await v.upload([("notes.pdf", b"%PDF-1.4 ...", "application/pdf")])
        assert t("ru", "unsupported.document") in replies, replies
        await v.press("Пропустить")
        summary = (await v.location(*SYKTYVKAR))[-1]
        raw = [m["html"] for m in await v.messages() if m["from"] == "bot"][-1]
        assert "&lt;script&gt;" in raw and "<script>" not in raw and "<b>жирный" not in raw
        assert "<script>alert(1)</script>" in summary  # shown as text, never as markup

        statuses = []
        for i in range(50):  # a burst: the dialog's flood gate answers first, then the HTTP limit
            statuses.append((await v.post({"kind": "text", "text": f"сообщение {i}"}))[0])
        accepted = statuses.count(202)
        assert 20 <= accepted < 45 and statuses == [202] * accepted + [429] * (50 - accepted)
        status, body = await v.post({"kind": "text", "text": "ещё"})
        assert (status, body["error"]) == (429, t("ru", "too-fast"))
        await v.wait_text(t("ru", "too-fast"))


async def test_forged_button_retried_post_and_forget(services, db_url, tmp_path):
    async with web_instance(services, db_url, tmp_path) as instance, WebVisitor(instance) as v, \
            WebVisitor(instance) as other:
        await consent(v)
        await consent(other)
        foreign = await other.find_button("📝")  # signed for the other person
        replies = await v._after(lambda: v.post({"kind": "press", "data": foreign["data"], "label": "x"}))
        assert t("ru", "unsupported.forged") in replies[0]

        body = {"id": "retry-0001-abcdef", "kind": "text", "text": "/help"}
        for _ in range(2):  # the page retried a POST whose answer was lost: handled once
            async with v.http.post(instance.base_url + "/web/api/send", json=body,
                                   headers={"X-CSRF-Token": v.csrf}) as r:
                assert r.status == 202
        await v.wait_text("/new")
        async with services.uow() as uow:
            keys = list(await uow.session.scalars(select(InboxUpdate.update_key)
                                                  .where(InboxUpdate.update_key.like("%retry-0001-abcdef"))))
        assert len(keys) == 1

        await v.say("/forget")
        replies = await v.press("Да, удалить")
        assert t("ru", "forget-done") in replies
        texts_left = await v.texts()
        assert texts_left == [t("ru", "forget-done")]  # the transcript (descriptions, addresses) is gone too
        async with services.uow() as uow:
            assert await uow.users.get("web", v.peer_id) is None
            left = await uow.session.scalar(select(func.count(WebMessage.id)).where(WebMessage.peer_id == v.peer_id))
        assert left == 1


async def test_the_web_chat_speaks_komi_after_the_choice(services, db_url, tmp_path):
    async with web_instance(services, db_url, tmp_path) as instance, WebVisitor(instance) as v:
        await v.say("/start")
        assert any("сӧгласитчӧм" in text for text in await v.press("Коми кыв"))
        assert (await v.press(t("kv", "btn-consent")))[0] == t("kv", "consent-thanks")
        await v.say("/new")
        await v.press("Сыктывкар")
        await v.press("Туйяс")
        assert any("Восьлас 4" in text for text in await v.say("Туй вылын джуджыд гуран, машинаяс мунӧны бокӧд"))
        await v.press(t("kv", "btn-skip"))
        summary = await v.location(*SYKTYVKAR)
        assert any("Муниципалитет: Сыктывкар" in text and "Категория: Туйяс" in text for text in summary), summary
        session = await v.refresh_session()
        assert {c["command"]: c["description"] for c in session["commands"]}["new"] == t("kv", "command.new")
        assert session["lang"] == "kv" and session["ui"]["send"] == t("kv", "web-ui.send")
