"""Structured answers and brush-off reasons on the in-memory unit of work: each kind's required fields, each
reason found on a fresh database with a concrete twin that is not flagged, and an audited override."""

from __future__ import annotations

from datetime import timedelta

import pytest

from handlers.cases import queue as queue_cases
from handlers.cases import review as review_cases
from handlers.cases.answer_rules import Structure, fmt
from handlers.errors import DomainError
from handlers.i18n import t
from handlers.types import Command, Location, Press, Text
from tests.unit.test_dialogs_in_memory import DESCRIPTION, EXECUTOR, MODERATOR, RESIDENT, file_signal, press
from tests.unit.test_dialogs_in_memory import world as world  # noqa: F401  (the fixture)

CONCRETE = "Яма у дома 5 заделана 12.05.2025 бригадой дорожной службы, асфальт уплотнён."
PHOTO = 900


async def in_work(w) -> int:
    sid = await file_signal(w) if not w.store.signals else await file_another(w)
    async with w.services.uow() as uow:
        await queue_cases.accept(w.services, uow, w.moderator, sid, w.org.id)
        await uow.commit()
    w.store.photos[PHOTO] = "sha"
    return sid


async def file_another(w) -> int:
    out = await w.conv.handle(RESIDENT, Command("new"))
    for step in ("Ухта", "Дороги"):
        out = await w.conv.handle(RESIDENT, press(out, step))
    out = await w.conv.handle(RESIDENT, Text(DESCRIPTION))
    out = await w.conv.handle(RESIDENT, press(out, "Пропустить"))
    # about a kilometre from the earlier ones, so the "already reported nearby?" step stays out of the way
    await w.conv.handle(RESIDENT, Location(63.56 + 0.01 * len(w.store.signals), 53.70))
    await w.conv.handle(RESIDENT, Press("send"))
    return max(w.store.signals)


async def returned(w, answer) -> None:
    async with w.services.uow() as uow:
        await review_cases.return_answer(w.services, uow, w.moderator, answer.id, ["no_date"])
        await uow.commit()


async def submit(w, sid, text, photos=(), structure=Structure()):
    async with w.services.uow() as uow:
        answer = await review_cases.submit_answer(w.services, uow, w.executor, sid, text, photos, structure)
        await uow.commit()
    return answer


def today(w):
    return w.services.now().astimezone(w.services.config.tz).date()


async def test_planned_needs_a_date_not_in_the_past_nor_beyond_the_horizon(world):
    sid = await in_work(world)
    with pytest.raises(DomainError, match="нужна дата"):  # the use case refuses it without the dialog too
        await submit(world, sid, CONCRETE, structure=Structure("planned"))
    out = await world.conv.handle(EXECUTOR, Press(f"ans:{sid}"))
    out = await world.conv.handle(EXECUTOR, press(out, t("ru", "staff-btn-answer-kind-buttons.planned")))
    past = today(world) - timedelta(days=1)
    out = await world.conv.handle(EXECUTOR, Text(fmt(past)))
    assert out.replies[-1].text == t("ru", "staff-answer-date-past", date=fmt(past))
    out = await world.conv.handle(EXECUTOR, Text("завтра"))
    assert "Не понял дату" in out.replies[-1].text
    far = today(world) + timedelta(days=400)
    out = await world.conv.handle(EXECUTOR, Text(fmt(far)))
    assert "слишком далеко" in out.replies[-1].text
    chosen = today(world) + timedelta(days=7)
    out = await world.conv.handle(EXECUTOR, Press(f"day:{chosen.isoformat()}"))
    out = await world.conv.handle(EXECUTOR, Text("Ямочный ремонт у дома 5 выполнит МБУ «Дорожник»."))
    out = await world.conv.handle(EXECUTOR, press(out, "Пропустить"))
    assert fmt(chosen) in out.replies[-1].text and t("ru", "answer-kind.planned") in out.replies[-1].text
    await world.conv.handle(EXECUTOR, press(out, t("ru", "staff-btn-submit")))
    [answer] = world.store.answers.values()
    assert (answer.kind, answer.promised_on) == ("planned", chosen)
    [event] = [e for e in world.store.audit if e.action == "submit_answer"]
    assert event.details["kind"] == "planned" and event.details["promised_on"] == chosen.isoformat()


async def test_fixed_in_a_photo_required_category_refuses_no_photo(world):
    sid = await in_work(world)  # «Дороги»: photo_required in komi.yaml
    out = await world.conv.handle(EXECUTOR, Press(f"ans:{sid}"))
    out = await world.conv.handle(EXECUTOR, press(out, t("ru", "staff-btn-answer-kind-buttons.fixed")))
    out = await world.conv.handle(EXECUTOR, Text(CONCRETE))
    out = await world.conv.handle(EXECUTOR, press(out, "Пропустить"))
    assert out.replies[-1].text == t("ru", "staff-answer-photo-required", category="Дороги")
    assert world.store.states[("telegram", EXECUTOR.peer_id)].step == "ex.photos" and not world.store.answers
    with pytest.raises(DomainError, match="только с фото"):
        await submit(world, sid, CONCRETE, structure=Structure("fixed"))
    assert world.store.signals[sid].status == "in_progress"
    answer = await submit(world, sid, CONCRETE, (PHOTO,), Structure("fixed"))
    assert answer.kind == "fixed" and answer.flags == []


async def test_not_ours_names_who_is_and_the_resident_reads_it(world):
    sid = await in_work(world)
    out = await world.conv.handle(EXECUTOR, Press(f"ans:{sid}"))
    out = await world.conv.handle(EXECUTOR, press(out, t("ru", "staff-btn-answer-kind-buttons.not_ours")))
    out = await world.conv.handle(EXECUTOR, Text("ГУ"))
    assert "от 3 до 300" in out.replies[-1].text
    await world.conv.handle(EXECUTOR, Text("ПАО «Россети Северо-Запад»"))
    out = await world.conv.handle(EXECUTOR, Text("Опора и сети у дома 5 принадлежат сетевой компании, "
                                                 "заявка передана ей 12.05.2025."))
    out = await world.conv.handle(EXECUTOR, press(out, "Пропустить"))
    await world.conv.handle(EXECUTOR, press(out, t("ru", "staff-btn-submit")))
    [answer] = world.store.answers.values()
    assert answer.competent == "ПАО «Россети Северо-Запад»"
    out = await world.conv.handle(MODERATOR, Press(f"rv:{answer.id}"))
    assert "Не в нашей компетенции" in out.replies[-1].text and "Россети" in out.replies[-1].text
    await world.conv.handle(MODERATOR, Press(f"pub:{answer.id}"))
    [note] = world.notes("answer_published:")
    assert "ПАО «Россети Северо-Запад»" in note["payload"][0]["text"]


REASON_CASES = {
    "phrase": "Ваше обращение по яме у дома 5 рассмотрено, информация принята к сведению 12.05.2025.",
    "no_date": "Яма на проезжей части у дома 5 будет заделана подрядчиком.",
    "no_evidence": "Яма на проезжей части у дома 5 заделана.",
    "norm": "Ремонт проезжей части у дома 5 выполняется согласно ст. 13 закона № 257-ФЗ, акт от 12.05.2025.",
    "off_topic": "Светильник на опоре № 27 заменён 20.03.2025, акт подписан.",
}


@pytest.mark.parametrize("reason", sorted(REASON_CASES))
async def test_each_reason_is_found_on_a_fresh_database_and_its_twin_is_not(world, reason):
    sid = await in_work(world)
    flagged = await submit(world, sid, REASON_CASES[reason])
    assert reason in flagged.flags
    out = await world.conv.handle(MODERATOR, Press(f"rv:{flagged.id}"))
    assert "Похоже на отписку" in out.replies[-1].text
    assert t("ru", f"staff-answer-reasons.{reason}").split("(")[0].strip() in out.replies[-1].text
    await returned(world, flagged)
    twin = await submit(world, sid, CONCRETE, (PHOTO,), Structure("fixed"))
    assert twin.flags == []
    out = await world.conv.handle(MODERATOR, Press(f"rv:{twin.id}"))
    assert "Похоже на отписку" not in out.replies[-1].text


async def test_similarity_to_earlier_answers_is_a_reason(world):
    text = "Ремонт дороги у дома 5 будет рассмотрен при формировании плана работ на 2026 год."
    first = await submit(world, await in_work(world), text)
    assert "similar" not in first.flags  # nothing earlier yet
    second_signal = await in_work(world)
    second = await submit(world, second_signal, text.replace("2026", "2027"))
    assert "similar" in second.flags


async def test_publishing_over_the_warning_is_audited_with_the_reasons(world):
    sid = await in_work(world)
    answer = await submit(world, sid, REASON_CASES["no_date"])
    await world.conv.handle(MODERATOR, Press(f"pub:{answer.id}"))
    [override] = [e for e in world.store.audit if e.action == "publish_override"]
    assert override.details["reasons"] == answer.flags and "no_date" in answer.flags
    assert override.actor_id == world.moderator.id


async def test_publishing_a_clean_answer_records_no_override(world):
    sid = await in_work(world)
    answer = await submit(world, sid, CONCRETE, (PHOTO,), Structure("fixed"))
    await world.conv.handle(MODERATOR, Press(f"pub:{answer.id}"))
    assert [e for e in world.store.audit if e.action == "publish_override"] == []
    [note] = world.notes("answer_published:")
    assert "Устранено" in note["payload"][0]["text"]


async def test_similarity_twin_a_concrete_answer_after_a_template_is_not_similar(world):
    text = "Ремонт дороги у дома 5 будет рассмотрен при формировании плана работ на 2026 год."
    await submit(world, await in_work(world), text)
    twin = await submit(world, await in_work(world), CONCRETE, (PHOTO,), Structure("fixed"))
    assert twin.flags == []
