"""The chat page in a real headless Chromium, on both databases: filing with two photos and a location,
the published answer arriving on the open page and after a reload, rating; only same-origin requests."""

from __future__ import annotations

from sqlalchemy import select

from handlers.i18n import t
from storage.models import Signal
from tests.images import jpeg_with_gps, png
from tests.web.browser import ChatPage
from tests.web.harness import WebVisitor, web_instance

ANSWER = "Яма засыпана щебнем 3 июня, асфальтирование участка — до 20 июня силами МБУ «Дорожник»."


async def staff_answers(instance, number: str) -> None:
    """A moderator and an executor (demo personas, over HTTP) accept, answer and publish."""
    async with WebVisitor(instance) as mod, WebVisitor(instance) as exe:
        await mod.as_persona("moderator")
        await exe.as_persona("executor")
        await mod.say("/queue")
        await mod.press(f"№{number}")
        await mod.press(t("ru", "staff-btn-accept"))
        assert any("принято в работу" in t for t in await mod.press("✅ Администрация"))
        await exe.say("/tasks")
        await exe.press(f"№{number}")
        await exe.press(t("ru", "staff-btn-answer-button"))
        await exe.press("✖ Отказ с объяснением")
        await exe.say(ANSWER)
        await exe.press("Пропустить")
        await exe.press(t("ru", "staff-btn-submit"))
        await mod.say("/review")
        await mod.press(f"№{number}")
        await mod.press(t("ru", "staff-btn-publish"))


async def test_resident_files_in_the_browser_and_gets_the_answer(services, db_url, tmp_path, browser, backend):
    async with web_instance(services, db_url, tmp_path, demo=True) as instance:
        chat = await ChatPage.open(browser, instance.base_url)
        await chat.expect_text("согласие")
        await chat.click("Согласен")
        await chat.expect_text("Спасибо")
        await chat.say("/new")
        await chat.click("Сыктывкар")
        await chat.click("Дороги")
        await chat.say("Глубокая яма у дома 10 по Коммунистической, машины объезжают по встречке")
        await chat.expect_text("Шаг 4")
        await chat.attach([("pothole.jpg", jpeg_with_gps(), "image/jpeg"), ("street.png", png(), "image/png")])
        await chat.expect_text("Фото добавлено: 2 из 5")
        await chat.click("Готово")
        await chat.expect_text("Шаг 5")
        await chat.click("📍 Отправить геопозицию")  # the browser's geolocation (overridden: Syktyvkar)
        await chat.expect_text("Проверьте обращение")
        assert await chat.page.locator("#log img").count() == 2  # the summary shows both photos
        await chat.screenshot(f"web-chat-filled-{backend}.png")
        await chat.click("✅ Отправить")
        async with services.uow() as uow:
            signal = await uow.session.scalar(select(Signal))
            while signal is None:  # the page answered before the turn committed: wait for the reply
                await chat.expect_text("принято")
                signal = await uow.session.scalar(select(Signal))
        await chat.expect_text(f"№{signal.number}")
        assert signal.latitude and abs(signal.latitude - 61.6688) < 1e-3 and signal.source_channel == "web"

        await staff_answers(instance, signal.number)
        await chat.expect_text("до 20 июня")  # pushed to the open page (server-sent events)
        await chat.screenshot(f"web-chat-answer-{backend}.png")
        await chat.page.reload()
        await chat.page.wait_for_selector("body[data-ready]")
        assert await chat.count("до 20 июня") == 1  # shown again on the next visit, once
        await chat.click(t("ru", "btn-rate-up"))
        await chat.expect_text("Спасибо за оценку")
        async with services.uow() as uow:
            assert (await uow.signals.get(signal.id)).status == "closed"
        assert chat.foreign_requests() == [] and chat.dialogs == []
