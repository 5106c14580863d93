"""«Проблема решена?» end to end on Telegram and VK: asked on the right working day across a holiday, once per
subscriber even after a restart; «Нет» with a photo reopens and reaches the executor; «Да» closes as fixed;
silence closes as not confirmed; a later press is told «уже отмечено»; a forged press is refused politely."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from handlers import callbacks, lifecycle
from handlers.cases import followup
from handlers.i18n import t
from handlers.workdays import add_workdays
from storage.models import Answer, AuditEvent, Followup, OutboxMessage, Signal
from tests.e2e.conftest import CHANNELS
from tests.e2e.followup_world import (
    NEIGHBOUR,
    RES,
    STRANGER,
    answer,
    at_day,
    consent,
    file_and_accept,
    followup_world,
    holiday_ahead,
    staff_and_routes,
)
from tests.e2e.test_full_cycle import EXE, MOD
from tests.images import jpeg_with_gps


async def questions(services) -> list[OutboxMessage]:
    async with services.uow() as uow:
        return list(await uow.session.scalars(select(OutboxMessage).where(
            OutboxMessage.dedupe_key.like("followup:%")).order_by(OutboxMessage.id)))


async def reload(services, signal_id: int) -> Signal:
    async with services.uow() as uow:
        return await uow.signals.get(signal_id)


def with_photo(sent: list[dict], needle: str) -> dict:
    """The one message containing `needle`, checked to come with a photo: attached on VK, sent just before
    the text on Telegram."""
    [i] = [n for n, m in enumerate(sent) if needle in str(m)]
    assert sent[i].get("attachment") or (i > 0 and sent[i - 1].get("photo")), sent[max(i - 1, 0):i + 1]
    return sent[i]


def asked(person) -> int:
    return sum("Проблема решена?" in t for t in person.texts())


async def people(world, *ids_and_names):
    found = [world.person(i, n) for i, n in ids_and_names]
    for p in found:
        await consent(p)
    return found


async def support(services, signal_id: int, user_id: int, channel: str) -> None:
    async with services.uow() as uow:
        user = await uow.users.get_or_create(channel, user_id)
        await uow.supporters.add(signal_id, user.id, services.now())
        await uow.commit()


@pytest.mark.parametrize("channel", CHANNELS)
async def test_planned_answer_asked_the_working_day_after_its_date_across_a_holiday_then_no_reopens(
        services, channel):
    promised, expected = holiday_ahead(date.today())
    await staff_and_routes(services, channel)
    async with followup_world(services, channel, at_day(promised - timedelta(days=3))) as world:
        mod, exe, res, neighbour = await people(world, (MOD, "Мария"), (EXE, "Иван"), (RES, "Ольга"),
                                                (NEIGHBOUR, "Пётр"))
        signal = await file_and_accept(world, res, mod)
        await support(services, signal.id, NEIGHBOUR, channel)
        await answer(world, exe, mod, signal, "planned", promised=promised,
                     text="Яму у дома 10 на Коммунистической заделаем литым асфальтом, бригада МБУ «Дорожник».")
        await world.wait_text(RES, "Будет устранено")

        day = promised - timedelta(days=1)
        while day < expected:
            world.set_day(day)
            assert await followup.run(services) == (0, 0), day
            day += timedelta(days=1)
        world.set_day(expected, hour=9)
        assert await followup.run(services) == (2, 0)
        assert await followup.run(services) == (0, 0)  # the same morning again: nothing more
        await world.restart()
        assert await followup.run(services) == (0, 0)  # a new process: still nothing more
        await world.wait_text(RES, "Проблема решена?")
        await world.wait_text(NEIGHBOUR, "Проблема решена?")
        assert len(await questions(services)) == 2
        question = with_photo(world.fake.sent_messages(RES), "Проблема решена?")
        assert "Коммунистическая, 10" in str(question) and "Будет устранено" in str(question)

        await res.press(t("ru", "btn-followup-no"))
        assert "Пришлите фото" in res.texts()[-1]
        await res.photo(jpeg_with_gps(color=(90, 90, 200)))
        await res.press("Готово")
        await res.say("Яму только присыпали песком, после дождя она снова на месте.")
        assert "возвращено в работу" in res.texts()[-1]
        stored = await reload(services, signal.id)
        assert (stored.status, stored.outcome, stored.reopen_count) == ("in_progress", "reopened", 1)
        assert stored.due_on > expected

        await world.wait_text(EXE, "житель сообщает, что проблема не решена")
        told = with_photo(world.fake.sent_messages(EXE), "проблема не решена")  # with the resident's photo
        assert "снова на месте" in str(told)
        await world.wait_text(MOD, "не решена")

        await neighbour.press(t("ru", "btn-followup-yes"))  # a later press by another subscriber
        assert "уже отмечено" in neighbour.texts()[-1]
        assert (await reload(services, signal.id)).status == "in_progress"
        async with services.uow() as uow:
            events = [e.action for e in await uow.signals.history(signal.id)]
            answer_row = await uow.session.scalar(select(Answer).where(Answer.signal_id == signal.id))
        assert events.count("followup_asked") == 1 and events.count("reopen_not_fixed") == 1
        assert answer_row.reopened_at is not None
        assert asked(res) == 1 and asked(neighbour) == 1


@pytest.mark.parametrize("channel", CHANNELS)
async def test_fixed_answer_yes_closes_as_fixed(services, channel):
    start = date.today() + timedelta(days=7)
    await staff_and_routes(services, channel)
    async with followup_world(services, channel, at_day(start)) as world:
        mod, exe, res = await people(world, (MOD, "Мария"), (EXE, "Иван"), (RES, "Ольга"))
        signal = await file_and_accept(world, res, mod)
        await answer(world, exe, mod, signal, "fixed")
        await world.wait_text(RES, "Устранено")
        published = world.clock["now"].astimezone(services.config.tz).date()
        due = add_workdays(published, services.config.followup_fixed_workdays)
        world.set_day(due - timedelta(days=1))
        assert await followup.run(services) == (0, 0)
        world.set_day(due)
        assert await followup.run(services) == (1, 0)
        await world.wait_text(RES, "Проблема решена?")
        await res.press(t("ru", "btn-followup-yes"))
        assert "закрыто как решённое" in res.texts()[-1]
        stored = await reload(services, signal.id)
        assert (stored.status, stored.outcome) == ("closed", lifecycle.FIXED)
        await res.press(t("ru", "btn-followup-no"))  # the old buttons pressed again
        assert "уже отмечено" in res.texts()[-1] and "решена" in res.texts()[-1]
        assert (await reload(services, signal.id)).status == "closed"


@pytest.mark.parametrize("channel", CHANNELS)
async def test_silence_closes_as_not_confirmed_and_a_forged_press_is_refused(services, channel):
    start = date.today() + timedelta(days=7)
    await staff_and_routes(services, channel)
    async with followup_world(services, channel, at_day(start)) as world:
        mod, exe, res, stranger = await people(world, (MOD, "Мария"), (EXE, "Иван"), (RES, "Ольга"),
                                               (STRANGER, "Чужой"))
        signal = await file_and_accept(world, res, mod)
        await answer(world, exe, mod, signal, "fixed")
        published = world.clock["now"].astimezone(services.config.tz).date()
        asked_on = add_workdays(published, services.config.followup_fixed_workdays)
        world.set_day(asked_on)
        assert await followup.run(services) == (1, 0)
        await world.wait_text(RES, "Проблема решена?")
        async with services.uow() as uow:
            answer_id = (await uow.session.scalar(select(Followup))).answer_id

        # a stranger presses a follow-up button signed for them (a replayed or hand-made payload)
        forged = callbacks.sign(services.signing_key, channel, STRANGER, f"fu:yes:{answer_id}")
        message_id = stranger.messages[-1]["message_id"]
        await stranger.press_data(message_id, forged, check=False)
        assert t("ru", "followup-not-yours") in stranger.texts()[-1]
        assert (await reload(services, signal.id)).status == "answered"

        closes = add_workdays(asked_on, services.config.followup_silence_workdays)
        world.set_day(closes - timedelta(days=1))
        assert await followup.run(services) == (0, 0)
        world.set_day(closes)
        assert await followup.run(services) == (0, 1)
        assert await followup.run(services) == (0, 0)
        stored = await reload(services, signal.id)
        assert (stored.status, stored.outcome) == ("closed", lifecycle.NOT_CONFIRMED)
        await world.wait_text(RES, "закрыто без подтверждения")
        await res.press(t("ru", "btn-followup-yes"))  # too late
        assert "уже отмечено" in res.texts()[-1]
        assert (await reload(services, signal.id)).outcome == lifecycle.NOT_CONFIRMED
        async with services.uow() as uow:
            silent = await uow.session.scalar(select(func.count()).select_from(AuditEvent).where(
                AuditEvent.action == "close_unconfirmed"))
        assert silent == 1
