"""A structured «Будет устранено» answer through the fakes: a past date refused, a date picked from the
keyboard, the brush-off reasons on the moderator's card, an audited override, the resident reading kind and date."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from handlers.cases.answer_rules import fmt
from handlers.i18n import t
from storage.models import AuditEvent, Signal
from tests.e2e.test_full_cycle import EXE, MOD, RES, consent, setup_staff, wait_text, world
from tests.e2e.tg_harness import TgResident
from tests.e2e.vk_harness import VkResident


async def test_planned_answer_with_a_date_and_an_audited_override(services):
    await setup_staff(services)
    async with world(services) as (tg, vk, tg_env, vk_env):
        mod, exe = TgResident(tg, tg_env, MOD, "Мария"), TgResident(tg, tg_env, EXE, "Иван")
        res = VkResident(vk, vk_env, RES, "Ольга")
        for person in (mod, exe, res):
            await consent(person)
        await res.say("/new")
        await res.press("Сыктывкар")
        await res.press("Дороги")
        await res.say("Глубокая яма на Коммунистической у дома 10, машины объезжают по встречке")
        await res.press("Пропустить")
        await res.say("ул. Коммунистическая, 10")
        await res.press("✅ Отправить")
        async with services.uow() as uow:
            signal = await uow.session.scalar(select(Signal))
        await mod.say("/queue")
        await mod.press(f"№{signal.number}")
        await mod.press(t("ru", "staff-btn-accept"))
        await mod.press("✅ Администрация")

        await exe.say("/tasks")
        await exe.press(f"№{signal.number}")
        await exe.press(t("ru", "staff-btn-answer-button"))
        await exe.press(t("ru", "staff-btn-answer-kind-buttons.planned"))
        today = services.now().astimezone(services.config.tz).date()
        await exe.say(fmt(today - timedelta(days=2)))
        assert "уже прошла" in exe.last_text()
        chosen = today + timedelta(days=7)
        await exe.press(chosen.strftime("%d.%m"))
        await exe.say("Яма на Коммунистической будет засыпана, информация принята к сведению.")
        await exe.press("Пропустить")
        await exe.press(t("ru", "staff-btn-submit"))
        await wait_text(tg, MOD, "ждёт проверки")

        await mod.say("/review")
        await mod.press(f"№{signal.number}")
        card = mod.last_text()
        assert "Похоже на отписку" in card and "принято к сведению" in card and fmt(chosen) in card
        await mod.press(t("ru", "staff-btn-publish"))
        await wait_text(vk, RES, "Будет устранено")
        [message] = [m for m in vk.sent_messages(RES) if "Будет устранено" in m["message"]]
        assert fmt(chosen) in message["message"]
        async with services.uow() as uow:
            events = list(await uow.session.scalars(select(AuditEvent).where(AuditEvent.action == "publish_override")))
        assert len(events) == 1 and events[0].details["reasons"] == ["phrase"]
