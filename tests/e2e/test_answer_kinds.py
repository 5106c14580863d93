"""Each answer kind's required fields end to end on Telegram and VK: «Будет устранено» cannot go on without a
date and refuses a past one, «Не в нашей компетенции» needs who is competent, «Устранено» in a photo-required
category («Дороги») is refused without a photo of the result and accepted with one."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from handlers.cases.answer_rules import fmt
from handlers.i18n import t
from storage.models import Answer
from tests.e2e.conftest import CHANNELS
from tests.e2e.followup_world import (
    RES,
    at_day,
    consent,
    file_and_accept,
    followup_world,
    staff_and_routes,
)
from tests.e2e.test_full_cycle import EXE, MOD
from tests.images import jpeg_with_gps

CONCRETE = "Яма на Коммунистической у дома 10 заделана литым асфальтом 12.05, площадь 3 кв. м."


@pytest.mark.parametrize("channel", CHANNELS)
async def test_each_kind_demands_its_fields(services, channel):
    start = date.today() + timedelta(days=7)
    await staff_and_routes(services, channel)
    async with followup_world(services, channel, at_day(start)) as world:
        mod, exe, res = (world.person(i, n) for i, n in ((MOD, "Мария"), (EXE, "Иван"), (RES, "Ольга")))
        for p in (mod, exe, res):
            await consent(p)
        signal = await file_and_accept(world, res, mod)
        await exe.say("/tasks")
        await exe.press(f"№{signal.number}")
        await exe.press(t("ru", "staff-btn-answer-button"))

        await exe.press(t("ru", "staff-btn-answer-kind-buttons.planned"))  # a planned answer without a date goes nowhere
        await exe.say("Яма будет заделана в ближайшее время.")
        assert "Не понял дату" in exe.texts()[-1]
        await exe.say(fmt(start - timedelta(days=1)))
        assert exe.texts()[-1] == t("ru", "staff-answer-date-past", date=fmt(start - timedelta(days=1)))
        await exe.press(t("ru", "btn-back"))

        await exe.press(t("ru", "staff-btn-answer-button"))
        await exe.press(t("ru", "staff-btn-answer-kind-buttons.not_ours"))
        await exe.say("ГУ")
        assert "от 3 до 300" in exe.texts()[-1]
        await exe.press(t("ru", "btn-back"))

        await exe.press(t("ru", "staff-btn-answer-button"))
        await exe.press(t("ru", "staff-btn-answer-kind-buttons.fixed"))
        await exe.say(CONCRETE)
        await exe.press("Пропустить")
        assert exe.texts()[-1] == t("ru", "staff-answer-photo-required", category="Дороги")
        await exe.photo(jpeg_with_gps(color=(20, 160, 40)))
        await exe.press("Готово")
        await exe.press(t("ru", "staff-btn-submit"))
        await world.wait_text(MOD, "ждёт проверки")
        async with services.uow() as uow:
            [answer] = list(await uow.session.scalars(select(Answer)))
        assert (answer.kind, answer.promised_on, len(answer.photos), answer.flags) == ("fixed", None, 1, [])
