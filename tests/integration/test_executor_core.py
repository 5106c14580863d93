"""Executors in the channel-neutral dialog: /tasks, answering, extensions, and what they may not do."""

from __future__ import annotations

import asyncio
from datetime import date

from sqlalchemy import select, update

from handlers.conversation import Conversation
from handlers.i18n import t
from handlers.types import Command, Peer, PhotoRef, Photos, Press, Text
from handlers.workdays import add_workdays
from storage.models import Answer, OrganizationMember, Signal, User, UserRole
from tests.integration.test_moderation_core import ADMIN as ADMIN_PEER
from tests.integration.test_moderation_core import (
    EXE,
    EXE_OTHER,
    MOD,
    MOD2,
    NOW,
    RESIDENT,
    accepted,
    audit_actions,
    file_direct,
    outbox,
    press,
    said,
    send,
    snapshot,
    staff_world,
    user_id,
)

EXE2 = Peer("telegram", 2003, "Светлана Коллегова")
ANSWER = "Яма у дома 5 по ул. Ленина будет заасфальтирована до 30.05.2025 подрядчиком ООО «Дорстрой»."


async def in_work(services, count=1) -> tuple[dict[str, int], list[int]]:
    ids = await staff_world(services)
    signals = []
    for i in range(count):
        sid = await file_direct(services, f"Яма на дороге у дома {i + 5} по ул. Ленина, машины бьют колёса")
        await accepted(services, sid, ids["org"])
        signals.append(sid)
    return ids, signals


async def to_preview(conv, sid, peer=EXE, answer=ANSWER):
    out = await send(conv, peer, Press(f"tk:{sid}"))
    out = await send(conv, peer, press(out, t("ru", "staff-btn-answer-button")))
    out = await send(conv, peer, Press("kind:refusal"))
    out = await send(conv, peer, Text(answer))
    out = await send(conv, peer, press(out, t("ru", "btn-skip")))
    assert "Проверьте ответ" in said(out)
    return out


async def test_tasks_nearest_due_first_overdue_marked_other_organizations_hidden(services):
    ids, (late, soon, later) = await in_work(services, 3)
    foreign = await file_direct(services, "Не горит фонарь во дворе дома 3 по ул. Мира")
    await accepted(services, foreign, ids["other_org"])
    async with services.uow() as uow:
        for sid, due in ((late, date(2025, 4, 25)), (soon, date(2025, 4, 30)), (later, date(2025, 5, 20))):
            await uow.session.execute(update(Signal).where(Signal.id == sid).values(due_on=due))
        numbers = {s.id: s.number for s in await uow.session.scalars(select(Signal))}
        await uow.commit()
    out = await send(Conversation(services), EXE, Command("tasks"))
    listing = said(out)
    assert "Задачи в работе: 3" in listing and numbers[foreign] not in listing
    assert listing.index(numbers[late]) < listing.index(numbers[soon]) < listing.index(numbers[later])
    assert f"⚠ №{numbers[late]}" in listing and "просрочено на 1 раб. дн." in listing
    assert "осталось 2 раб. дн." in listing  # 28.04 → 30.04
    out = await send(Conversation(services), EXE_OTHER, Command("tasks"))
    assert numbers[foreign] in said(out) and numbers[late] not in said(out)


async def test_an_executor_of_another_organization_cannot_touch_the_task(services):
    _, (sid,) = await in_work(services)
    conv = Conversation(services)
    before = await snapshot(services)
    for payload in (f"tk:{sid}", f"ans:{sid}", f"ext:{sid}", f"ft:{sid}"):
        out = await send(conv, EXE_OTHER, Press(payload))
        assert said(out) in (t("ru", "staff-other-org"), t("ru", "error-forbidden")), payload
    async with services.uow() as uow:
        state = await uow.dialogs.load(EXE_OTHER.channel, EXE_OTHER.peer_id)
        assert state.step == "idle"
        await uow.commit()
    assert await snapshot(services) == before


async def test_an_executor_removed_from_the_organization_mid_answer_is_refused(services):
    _, (sid,) = await in_work(services)
    conv = Conversation(services)
    await to_preview(conv, sid)
    out = await send(conv, ADMIN_PEER, Command("revoke", "executor vk:2001 Администрация МО ГО «Ухта»"))
    assert "больше не исполнитель" in said(out)
    before = await snapshot(services)
    out = await send(conv, EXE, Press("submit"))
    assert said(out) == t("ru", "staff-other-org")
    assert await snapshot(services) == before
    out = await send(conv, EXE, Press("submit"))  # the step is gone: a stale button, nothing happens
    assert await snapshot(services) == before


async def test_answer_length_limits_and_up_to_five_photos(services):
    _, (sid,) = await in_work(services)
    conv = Conversation(services)
    out = await send(conv, EXE, Press(f"ans:{sid}"))
    out = await send(conv, EXE, Press("kind:refusal"))
    out = await send(conv, EXE, Text("А" * 4001))
    assert said(out) == t("ru", "staff-answer-too-long", max=4000, length=4001)
    out = await send(conv, EXE, Text(ANSWER))
    out = await send(conv, EXE, Photos(tuple(PhotoRef("test", str(i)) for i in range(1, 4))))
    assert "3 из 5" in said(out)
    out = await send(conv, EXE, Photos(tuple(PhotoRef("test", str(i)) for i in range(4, 9))))
    assert "Проверьте ответ" in said(out) and len(out.replies[-1].photos) == 5
    out = await send(conv, EXE, press(out, t("ru", "staff-btn-edit-text")))
    out = await send(conv, EXE, Text("Исправленный ответ: яма будет заасфальтирована до 30.05.2025."))
    assert "Исправленный" in said(out) and len(out.replies[-1].photos) == 5
    out = await send(conv, EXE, press(out, t("ru", "btn-edit-photos")))
    out = await send(conv, EXE, press(out, t("ru", "btn-skip")))
    out = await send(conv, EXE, press(out, t("ru", "staff-btn-submit")))
    async with services.uow() as uow:
        answer = await uow.session.scalar(select(Answer).where(Answer.signal_id == sid))
        assert answer.text.startswith("Исправленный") and len(answer.photos) == 0


async def test_two_executors_of_one_organization_submit_at_once(services):
    ids, (sid,) = await in_work(services)
    async with services.uow() as uow:
        uow.session.add(User(channel=EXE2.channel, external_id=EXE2.peer_id, display_name=EXE2.display_name,
                             consent_at=NOW, roles=[UserRole(role="executor")],
                             memberships=[OrganizationMember(organization_id=ids["org"])]))
        await uow.commit()
    a, b = Conversation(services), Conversation(services)
    await to_preview(a, sid, EXE)
    await to_preview(b, sid, EXE2, "Другой ответ: яму заасфальтируем до 15.06.2025 собственными силами.")
    outs = await asyncio.gather(send(a, EXE, Press("submit")), send(b, EXE2, Press("submit")))
    winners = [i for i, o in enumerate(outs) if "отправлен на проверку" in said(o)]
    assert len(winners) == 1
    assert said(outs[1 - winners[0]]) == t("ru", "error-already-handled-by", by=(EXE, EXE2)[winners[0]].display_name)
    async with services.uow() as uow:
        assert len(list(await uow.session.scalars(select(Answer)))) == 1
    assert (await audit_actions(services, sid)).count("submit_answer") == 1


async def test_extension_requested_and_approved_moves_the_due_date_by_working_days(services):
    _, (sid,) = await in_work(services)
    conv = Conversation(services)
    exe, resident = await user_id(services, EXE), await user_id(services, RESIDENT)
    out = await send(conv, EXE, Press(f"tk:{sid}"))
    out = await send(conv, EXE, press(out, t("ru", "staff-btn-extend-button")))
    assert "16.05.2025" in said(out)
    out = await send(conv, EXE, Text("Коротко"))
    assert "от 10 до 1000" in said(out)
    out = await send(conv, EXE, Text("Асфальтовый завод <открывается> после 20 мая"))
    out = await send(conv, EXE, Text("45"))
    assert t("ru", "staff-ext-days-bad", max=30) in said(out)
    out = await send(conv, EXE, press(out, "5"))
    assert "на 5 раб. дн. отправлен" in said(out)
    out = await send(conv, EXE, Press(f"ext:{sid}"))
    assert "уже есть запрос" in said(out)

    requests = await outbox(services, "extension_requested:")
    assert len(requests) == 2  # both moderators
    note = next(iter(requests.values())).payload[0]
    request_id = int(note["buttons"][0][0]["payload"].split(":")[1])
    assert "&lt;открывается&gt;" in note["text"]
    out = await send(conv, MOD, Command("extensions"))
    out = await send(conv, MOD, press(out, "№"))
    assert "+5 раб. дн. → до 23.05.2025" in said(out)
    out = await send(conv, MOD, press(out, t("ru", "staff-btn-ext-approve")))
    assert "продлён до 23.05.2025" in said(out)
    async with services.uow() as uow:
        due = (await uow.signals.get(sid)).due_on
    assert due == add_workdays(date(2025, 5, 16), 5) == date(2025, 5, 23)
    decided = await outbox(services, f"extension_decided:{request_id}:")
    assert set(decided) == {f"extension_decided:{request_id}:{exe}"}
    extended = await outbox(services, f"signal_extended:{request_id}:")  # the subscribers' own key
    assert set(extended) == {f"signal_extended:{request_id}:{resident}"}
    told = extended[f"signal_extended:{request_id}:{resident}"].payload[0]["text"]
    assert "23.05.2025" in told and "&lt;открывается&gt;" in told
    assert (await audit_actions(services, sid))[-2:] == ["extension_requested", "extend"]

    before = await snapshot(services)
    out = await send(Conversation(services), MOD2, Press(f"exa:{request_id}"))
    assert said(out) == t("ru", "error-already-handled-by", by=MOD.display_name)
    assert await snapshot(services) == before
    out = await send(conv, EXE, Press(f"tk:{sid}"))
    assert "до 23.05.2025" in said(out)


async def test_extension_declined_keeps_the_due_date_and_tells_only_the_executor(services):
    _, (sid,) = await in_work(services)
    conv = Conversation(services)
    out = await send(conv, EXE, Press(f"ext:{sid}"))
    out = await send(conv, EXE, Text("Нужно согласовать работы с владельцем сетей"))
    out = await send(conv, EXE, Text("10"))
    request_id = int(next(iter((await outbox(services, "extension_requested:")).values()))
                     .payload[0]["buttons"][0][1]["payload"].split(":")[1])
    out = await send(conv, MOD, Press(f"exd:{request_id}"))
    assert "отказано" in said(out)
    async with services.uow() as uow:
        assert (await uow.signals.get(sid)).due_on == date(2025, 5, 16)
    decided = await outbox(services, f"extension_decided:{request_id}:")
    assert list(decided) == [f"extension_decided:{request_id}:{await user_id(services, EXE)}"]
    assert (await audit_actions(services, sid))[-1] == "extension_declined"


async def test_a_resident_and_a_moderator_cannot_answer(services):
    _, (sid,) = await in_work(services)
    conv = Conversation(services)
    await send(conv, RESIDENT, Command("start"))
    before = await snapshot(services)
    for peer in (RESIDENT, MOD):
        for inp in (Command("tasks"), Press(f"ans:{sid}"), Press(f"ext:{sid}"), Press(f"tk:{sid}")):
            out = await send(conv, peer, inp)
            assert said(out) == t("ru", "error-forbidden"), (peer, inp)
    assert await snapshot(services) == before
