"""Re-routing from a «Не в нашей компетенции» answer, end to end on Telegram and VK: the review card shows the
organization's track record and a re-route button; the signal goes to the chosen organization in work with a fresh
due date, audited; its executors get the task, the old executor and the resident are told; a second press is refused."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from handlers import roles
from handlers.i18n import t
from handlers.workdays import add_workdays
from storage.models import Answer, AuditEvent, Organization
from tests.e2e.conftest import CHANNELS
from tests.e2e.followup_world import (
    OTHER,
    RES,
    answer,
    at_day,
    consent,
    file_and_accept,
    followup_world,
    staff_and_routes,
)
from tests.e2e.test_followup import reload
from tests.e2e.test_full_cycle import EXE, MOD

EXE2 = 8206


@pytest.mark.parametrize("channel", CHANNELS)
async def test_moderator_reroutes_a_not_ours_answer_to_another_organization(services, channel):
    start = date.today() + timedelta(days=7)
    await staff_and_routes(services, channel)
    async with services.uow() as uow:
        await roles.grant(uow, f"{channel}:{EXE2}", "executor", OTHER)
        await uow.commit()
    async with followup_world(services, channel, at_day(start)) as world:
        mod, exe, exe2, res = (world.person(i, n) for i, n in ((MOD, "Мария"), (EXE, "Иван"), (EXE2, "Сергей"),
                                                                (RES, "Ольга")))
        for p in (mod, exe, exe2, res):
            await consent(p)
        signal = await file_and_accept(world, res, mod)
        first_due = (await reload(services, signal.id)).due_on
        world.set_day(start + timedelta(days=2))
        await answer(world, exe, mod, signal, "not_ours",
                     text="Теплотрасса у дома 10 на Коммунистической обслуживается ООО «Теплосеть Сыктывкара».")
        card = mod.texts()[-1]
        assert "Не в нашей компетенции" in card and OTHER in card and "Организация за 90 дн." in card
        await mod.press(t("ru", "staff-btn-reroute"))
        assert "Куда перенаправить" in mod.texts()[-1]
        await mod.press(OTHER[:20])
        assert "перенаправлено" in mod.texts()[-1]

        today = start + timedelta(days=2)
        stored = await reload(services, signal.id)
        async with services.uow() as uow:
            other = await uow.session.scalar(select(Organization).where(Organization.name == OTHER))
            ans = await uow.session.scalar(select(Answer).where(Answer.signal_id == signal.id))
            [event] = list(await uow.session.scalars(select(AuditEvent).where(AuditEvent.action == "reroute")))
        assert (stored.status, stored.organization_id) == ("in_progress", other.id)
        assert stored.due_on == add_workdays(today, services.config.deadline_workdays) != first_due
        assert ans.review_status == "rerouted"
        assert event.details["organization_id"] == other.id and event.details["from_organization_id"] != other.id

        await world.wait_text(EXE2, f"Новая задача: обращение №{signal.number}")
        await world.wait_text(EXE, "отвечать больше не нужно")
        await world.wait_text(RES, OTHER)
        await exe2.say("/tasks")
        assert signal.number in exe2.texts()[-1]

        await mod.press(OTHER[:20])  # the old list pressed again
        assert "перенаправлено" not in mod.texts()[-1]
        assert (await reload(services, signal.id)).organization_id == other.id
