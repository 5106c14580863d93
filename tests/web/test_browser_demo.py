"""`run --demo` in one browser: the persona switch walks the whole cycle — file, accept, answer, publish,
notified, rate — with every notification arriving on the page of the persona it is for."""

from __future__ import annotations

import re

from sqlalchemy import select

from handlers.i18n import t
from storage.models import Signal
from tests.web.browser import ChatPage
from tests.web.harness import web_instance


async def test_demo_persona_walk(services, db_url, tmp_path, browser, backend):
    async with web_instance(services, db_url, tmp_path, demo=True) as instance:
        chat = await ChatPage.open(browser, instance.base_url)
        assert await chat.page.locator("#persona").is_visible()
        await chat.click("Согласен")
        await chat.say("/new")
        await chat.click("Сыктывкар")
        await chat.click("Дороги")
        await chat.say("Не горят фонари во дворе дома 5 по улице Ленина уже неделю")
        await chat.click("Пропустить")
        await chat.say("ул. Ленина, 5")
        await chat.click("✅ Отправить")
        await chat.expect_text("принято")
        number = re.search(r"№(\d{4}-\d{6})", await chat.log().inner_text()).group(1)

        await chat.switch("moderator")
        await chat.expect_text(f"Новое обращение №{number}")  # the notifier reached the moderator persona
        await chat._answered(chat.page.get_by_role("button", name="/queue").click)
        await chat.click(f"№{number}")
        await chat.click(t("ru", "staff-btn-accept"))
        await chat.click("✅ Администрация")
        await chat.expect_text("принято в работу")
        await chat.screenshot(f"web-demo-moderator-{backend}.png")

        await chat.switch("executor")
        await chat.expect_text(number)  # the task notification
        await chat.say("/tasks")
        await chat.click(f"№{number}")
        await chat.click(t("ru", "staff-btn-answer-button"))
        await chat.click("✖ Отказ с объяснением")
        await chat.say("Фонари заменены 2 июня, освещение во дворе восстановлено.")
        await chat.click("Пропустить")
        await chat.click(t("ru", "staff-btn-submit"))
        await chat.expect_text("провер")

        await chat.switch("moderator")
        await chat.say("/review")
        await chat.click(f"№{number}")
        await chat.click(t("ru", "staff-btn-publish"))
        await chat.expect_text("опубликован")

        await chat.switch("resident")
        await chat.expect_text("Фонари заменены 2 июня")  # the published answer, on the resident's page
        await chat.click(t("ru", "btn-rate-up"))
        await chat.expect_text("Спасибо за оценку")
        async with services.uow() as uow:
            signal = await uow.session.scalar(select(Signal).where(Signal.number == number))
        assert signal.status == "closed" and signal.source_channel == "web"
        assert chat.foreign_requests() == []


async def test_persona_switch_is_refused_without_demo(services, db_url, tmp_path, browser):
    async with web_instance(services, db_url, tmp_path) as instance:
        chat = await ChatPage.open(browser, instance.base_url)
        assert not await chat.page.locator("#persona").is_visible()
        status = await chat.page.evaluate("""async () => {
            const s = await (await fetch('/web/api/session')).json();
            const r = await fetch('/web/api/persona', {method: 'POST', headers: {'X-CSRF-Token': s.csrf,
                'Content-Type': 'application/json'}, body: JSON.stringify({persona: 'moderator'})});
            return [r.status, (await r.json()).error];
        }""")
        assert status == [403, "Переключение ролей есть только в демо-режиме."]
