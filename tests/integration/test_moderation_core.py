"""Moderators in the channel-neutral dialog: queue, accept/reject, review, races, authorization, /grant."""

from __future__ import annotations

import asyncio
import html
import re
from dataclasses import replace
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select, text

from handlers.callbacks import MAX_PAYLOAD_BYTES
from handlers.cases import extensions as extension_cases
from handlers.cases import queue as queue_cases
from handlers.cases import review as review_cases
from handlers.cases import staff_rules
from handlers.cases.filing import Draft, submit_signal
from handlers.commands_menu import commands_for
from handlers.conversation import Conversation
from handlers.i18n import t
from handlers.types import Command, Peer, PhotoRef, Photos, Press, Text
from handlers.workdays import add_workdays
from storage.models import (
    Answer,
    AuditEvent,
    Organization,
    OrganizationMember,
    OutboxMessage,
    Signal,
    User,
    UserRole,
)
from tests.images import jpeg_with_gps

NOW = datetime(2025, 4, 28, 7, 0, tzinfo=UTC)  # Monday, 10:00 in Syktyvkar
ORG = "Администрация МО ГО «Ухта»"
OTHER_ORG = "Администрация МО ГО «Сыктывкар»"
MOD = Peer("telegram", 1001, "Мария Модераторова")
MOD2 = Peer("telegram", 1002, "Олег Проверяев")
EXE = Peer("vk", 2001, "Иван Исполнителев")
EXE_OTHER = Peer("telegram", 2002, "Пётр Чужой")
ADMIN = Peer("telegram", 3001, "Алла Админова")
RESIDENT = Peer("vk", 5001, "Анна")
STAFF = ((MOD, ("moderator",), None), (MOD2, ("moderator",), None), (EXE, ("executor",), ORG),
         (EXE_OTHER, ("executor",), OTHER_ORG), (ADMIN, ("admin",), None))

LOCK_POLL = 0.005  # seconds between looks at pg_stat_activity while waiting for a lock waiter


class BytesFetcher:
    async def fetch(self, ref):
        n = int(ref.ref)  # clearly different images (identical ones stored concurrently race in the media store)
        return jpeg_with_gps(color=(n * 37 % 256, 255 - n * 23 % 256, 10))


async def named(rows, name):
    """By exact name (SQLite's lower() leaves Cyrillic alone, so the *_by_name lookups miss there)."""
    return next(r for r in await rows if r.name == name)


async def staff_world(services) -> dict[str, int]:
    """Two organizations (Ухта × Дороги routed to the first), moderators, executors, an admin; fixed clock."""
    services.clock = lambda: NOW
    services.config = replace(services.config, max_messages_per_minute=10_000, max_signals_per_day=100)
    services.fetchers["test"] = BytesFetcher()
    async with services.uow() as uow:
        orgs = {name: Organization(name=name) for name in (ORG, OTHER_ORG)}
        uow.session.add_all(orgs.values())
        await uow.session.flush()
        ukhta = await named(uow.catalog.municipalities(), "Ухта")
        roads = await named(uow.catalog.categories(), "Дороги")
        await uow.catalog.set_route(ukhta.id, roads.id, orgs[ORG].id)
        for peer, roles, org in STAFF:
            uow.session.add(User(
                channel=peer.channel, external_id=peer.peer_id, display_name=peer.display_name, consent_at=NOW,
                roles=[UserRole(role=r) for r in roles],
                memberships=[OrganizationMember(organization_id=orgs[org].id)] if org else []))
        await uow.commit()
        return {"org": orgs[ORG].id, "other_org": orgs[OTHER_ORG].id, "ukhta": ukhta.id, "roads": roads.id}


async def file_direct(services, description="Огромная яма на дороге у дома 5 по ул. Ленина, машины объезжают",
                      peer=RESIDENT, municipality="Ухта") -> int:
    async with services.uow() as uow:
        user = await uow.users.get_or_create(peer.channel, peer.peer_id)
        user.consent_at = NOW
        m = await named(uow.catalog.municipalities(), municipality)
        c = await named(uow.catalog.categories(), "Дороги")
        filed = await submit_signal(services, uow, user, Draft(m.id, c.id, description, (), None, None,
                                                                "ул. Ленина, 5"))
        await uow.commit()
        return filed.signal_id


def buttons(out):
    return [b for r in out.replies for row in r.buttons for b in row]


def press(out, starts):
    for b in buttons(out):
        if b.label.startswith(starts):
            return Press(b.payload)
    raise AssertionError(f"no button {starts!r} in {[b.label for b in buttons(out)]}")


def said(out) -> str:
    return "\n".join(r.text for r in out.replies)


def visible(markup: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", markup))


async def send(conv, peer, inp):
    """Handle one input and check every reply fits every channel."""
    out = await conv.handle(peer, inp)
    for reply in out.replies:
        assert reply.text != t("ru", "internal-error")
        assert len(visible(reply.text)) < 4000, len(reply.text)
        assert len(reply.buttons) <= 6 and sum(len(row) for row in reply.buttons) <= 10
        for row in reply.buttons:
            assert len(row) <= 5
            for b in row:
                assert len(b.label) <= 40 and len(b.payload.encode()) <= MAX_PAYLOAD_BYTES and "|" not in b.payload
    return out


async def user_id(services, peer) -> int:
    async with services.uow() as uow:
        return (await uow.users.get(peer.channel, peer.peer_id)).id


async def outbox(services, prefix: str) -> dict[str, OutboxMessage]:
    async with services.uow() as uow:
        rows = await uow.session.scalars(select(OutboxMessage).where(OutboxMessage.dedupe_key.like(f"{prefix}%")))
        return {r.dedupe_key: r for r in rows}


async def snapshot(services):
    """Everything a refused action must leave untouched."""
    async with services.uow() as uow:
        s = uow.session
        return (list(await s.execute(select(Signal.id, Signal.status, Signal.version, Signal.organization_id,
                                            Signal.due_on).order_by(Signal.id))),
                list(await s.execute(select(Answer.id, Answer.review_status).order_by(Answer.id))),
                await s.scalar(select(func.count(AuditEvent.id))), await s.scalar(select(func.count(OutboxMessage.id))))


async def audit_actions(services, signal_id) -> list[str]:
    async with services.uow() as uow:
        return [e.action for e in await uow.signals.history(signal_id)]


async def accepted(services, signal_id, org_id, by=MOD):
    async with services.uow() as uow:
        moderator = await uow.users.get(by.channel, by.peer_id)
        await queue_cases.accept(services, uow, moderator, signal_id, org_id)
        await uow.commit()


async def submitted(services, signal_id, text, by=EXE) -> int:
    async with services.uow() as uow:
        executor = await uow.users.get(by.channel, by.peer_id)
        answer = await review_cases.submit_answer(services, uow, executor, signal_id, text)
        await uow.commit()
        return answer.id


# ----- the whole way, through the bot -----
async def file_through_dialog(conv):
    await send(conv, RESIDENT, Command("start"))
    await send(conv, RESIDENT, Press("consent"))
    out = await send(conv, RESIDENT, Command("new"))
    out = await send(conv, RESIDENT, press(out, "Ухта"))
    out = await send(conv, RESIDENT, press(out, "Дороги"))
    out = await send(conv, RESIDENT, Text("Яма <глубиной> 20 см & лужа у дома 5 по ул. Ленина"))
    out = await send(conv, RESIDENT, Press("skip"))
    out = await send(conv, RESIDENT, Text("ул. Ленина, 5"))
    out = await send(conv, RESIDENT, Press("send"))
    assert "принято" in said(out)


async def test_full_cycle_file_accept_answer_return_resubmit_publish(services):
    ids = await staff_world(services)
    conv = Conversation(services)
    await file_through_dialog(conv)
    async with services.uow() as uow:
        signal = await uow.session.scalar(select(Signal))
    sid, resident = signal.id, await user_id(services, RESIDENT)
    exe, mod, mod2 = [await user_id(services, p) for p in (EXE, MOD, MOD2)]

    out = await send(conv, MOD, Command("queue"))
    assert "На модерации: 1" in said(out) and signal.number in said(out)
    out = await send(conv, MOD, Press(f"mc:{sid}"))
    card = said(out)
    assert signal.number in card and "Ухта" in card and "Дороги" in card and "первое обращение" in card
    assert "&lt;глубиной&gt;" in card and "ул. Ленина, 5" in card
    out = await send(conv, MOD, press(out, t("ru", "staff-btn-accept")))
    assert ORG in said(out) and "16.05.2025" in said(out)  # the route's suggestion and the due date
    out = await send(conv, MOD, press(out, "✅ Администрация"))
    assert "принято в работу" in said(out) and "16.05.2025" in said(out) and "уведомлено: 1" in said(out)
    async with services.uow() as uow:
        signal = await uow.signals.get(sid)
    assert (signal.status, signal.organization_id) == ("in_progress", ids["org"])
    assert signal.due_on == add_workdays(date(2025, 4, 28), 10) == date(2025, 5, 16)  # May holidays skipped
    assert {f"task_assigned:{sid}:{exe}", f"signal_accepted:{sid}:{resident}"} <= set(
        (await outbox(services, "task_assigned")) | (await outbox(services, "signal_accepted")))

    # the executor answers with a photo
    out = await send(conv, EXE, Command("tasks"))
    assert signal.number in said(out)
    out = await send(conv, EXE, press(out, f"№{signal.number}"))
    out = await send(conv, EXE, press(out, t("ru", "staff-btn-answer-button")))
    out = await send(conv, EXE, Press("kind:refusal"))
    out = await send(conv, EXE, Text("Сделаем."))
    assert said(out) == t("ru", "staff-answer-too-short")
    out = await send(conv, EXE, Text("Отсыпка ямы щебнем выполнена, асфальтирование — в плане."))
    out = await send(conv, EXE, Photos((PhotoRef("test", "1"),)))
    assert "1 из 5" in said(out)
    out = await send(conv, EXE, press(out, "Готово"))
    assert len(out.replies[-1].photos) == 1
    out = await send(conv, EXE, press(out, t("ru", "staff-btn-submit")))
    assert "отправлен на проверку" in said(out)
    async with services.uow() as uow:
        first = await uow.session.scalar(select(Answer).where(Answer.signal_id == sid))
    assert (first.version, first.review_status, len(first.photos)) == (1, "pending", 1)
    assert set(await outbox(services, f"answer_for_review:{first.id}:")) == {
        f"answer_for_review:{first.id}:{mod}", f"answer_for_review:{first.id}:{mod2}"}

    # the moderator returns it with a template reason and a comment
    out = await send(conv, MOD, Command("review"))
    assert "Ответов на проверке: 1" in said(out)
    out = await send(conv, MOD, press(out, f"№{signal.number}"))
    assert "Иван Исполнителев" in said(out) and "осталось 10 раб. дн." in said(out)
    assert "Похоже на отписку" not in said(out) and len(out.replies[-1].photos) == 1
    out = await send(conv, MOD, press(out, t("ru", "staff-btn-return")))
    out = await send(conv, MOD, press(out, t("ru", "staff-btn-return-labels.no_date")))
    assert "✓ " + t("ru", "staff-btn-return-labels.no_date") in [b.label for b in buttons(out)]
    out = await send(conv, MOD, Text("Когда асфальт? Укажите дату."))
    out = await send(conv, MOD, press(out, t("ru", "staff-btn-return-send")))
    assert "возвращён на доработку" in said(out)
    returned = (await outbox(services, f"answer_returned:{first.id}:"))[f"answer_returned:{first.id}:{exe}"]
    note = returned.payload[0]["text"]
    assert t("ru", "staff-return-reasons.no_date") in note and "Когда асфальт? Укажите дату." in note

    # the executor sees the comment, rewrites and resubmits keeping the photo
    out = await send(conv, EXE, Press(f"tk:{sid}"))
    assert "Когда асфальт?" in said(out)
    out = await send(conv, EXE, press(out, t("ru", "staff-btn-answer-button")))
    out = await send(conv, EXE, Press("kind:refusal"))
    assert "Отсыпка ямы щебнем" in said(out)
    final = "Яма <у дома 5> заасфальтирована 12.05.2025 силами МУП «Ухтаспецавтодор» & принята по акту."
    out = await send(conv, EXE, Text(final))
    out = await send(conv, EXE, press(out, "Оставить прежние фото"))
    out = await send(conv, EXE, press(out, t("ru", "staff-btn-submit")))
    async with services.uow() as uow:
        versions = list(await uow.session.scalars(select(Answer).where(Answer.signal_id == sid)
                                                  .order_by(Answer.version)))
    assert [(a.version, a.review_status, len(a.photos)) for a in versions] == [(1, "superseded", 1),
                                                                              (2, "pending", 1)]
    second = versions[1]

    out = await send(conv, MOD, Press(f"pub:{second.id}"))
    assert "опубликован" in said(out) and "заявителей: 1" in said(out)
    published = (await outbox(services, "answer_published:"))[f"answer_published:{second.id}:{resident}"]
    (message,) = published.payload
    assert "&lt;у дома 5&gt;" in message["text"] and "&amp; принята" in message["text"]
    assert signal.number in message["text"] and f"https://example.org/signals/{signal.number}" in message["text"]
    assert message["photos"] == [versions[0].photos[0].photo_id]
    assert [b["payload"] for row in message["buttons"] for b in row] == [f"rate:up:{second.id}",
                                                                        f"rate:down:{second.id}"]
    async with services.uow() as uow:
        assert (await uow.signals.get(sid)).status == "answered"
    assert await audit_actions(services, sid) == ["filed", "accept", "submit_answer", "return_answer",
                                                  "submit_answer", "publish_answer"]
    out = await send(conv, MOD, Command("signal", signal.number))
    assert "ответ опубликован (Мария Модераторова)" in said(out) and "Когда асфальт?" in said(out)


# ----- reject with each template -----
@pytest.mark.parametrize("code, expected", [
    ("vague", "не хватает подробностей"), ("competence", "не решают органы власти региона"),
    ("abuse", "нецензурные или оскорбительные"), ("duplicate", "уже сообщали"),
    ("own", "Яму уже засыпали 20 апреля"),
])
async def test_reject_with_each_template_tells_the_resident_in_plain_words(services, code, expected):
    await staff_world(services)
    original = await file_direct(services, "Яма на дороге у дома 5 по ул. Ленина, уже месяц")
    sid = await file_direct(services, "Яма у дома 5 по Ленина, глубокая, опасно для машин")
    resident, conv = await user_id(services, RESIDENT), Conversation(services)
    out = await send(conv, MOD, Press(f"rej:{sid}"))
    out = await send(conv, MOD, press(out, t("ru", f"staff-btn-reject-labels.{code}")))
    if code == "duplicate":
        out = await send(conv, MOD, Text("999"))
        assert "Не нашёл" in said(out)
        out = await send(conv, MOD, Text(str(sid)))
        assert said(out) == t("ru", "staff-duplicate-self")
        async with services.uow() as uow:
            number = (await uow.signals.get(original)).number
        out = await send(conv, MOD, Text(f"№ {number}"))
    elif code == "own":
        out = await send(conv, MOD, Text("Яму уже засыпали 20 апреля, проверьте, пожалуйста."))
    assert "отклонено" in said(out)
    message = (await outbox(services, f"signal_rejected:{sid}:"))[f"signal_rejected:{sid}:{resident}"]
    assert expected in message.payload[0]["text"] and "не может быть передано в работу" in message.payload[0]["text"]
    async with services.uow() as uow:
        signal = await uow.signals.get(sid)
        event = (await uow.signals.history(sid))[-1]
    assert signal.status == "rejected" and expected in signal.reject_reason
    assert (event.action, event.details["code"]) == ("reject", code)
    out = await send(conv, RESIDENT, Press(f"my:{sid}"))
    assert expected in said(out)


async def test_change_category_and_municipality_before_accepting(services):
    ids = await staff_world(services)
    sid = await file_direct(services, municipality="Сыктывкар")
    conv = Conversation(services)
    out = await send(conv, MOD, Press(f"mc:{sid}"))
    out = await send(conv, MOD, press(out, t("ru", "btn-edit-municipality")))
    out = await send(conv, MOD, press(out, "Ухта"))
    assert "изменён на «Ухта»" in said(out) and "Ухта · Дороги" in said(out)
    out = await send(conv, MOD, press(out, t("ru", "btn-edit-category")))
    out = await send(conv, MOD, press(out, "Благоустройство"))
    assert "изменена на «Благоустройство»" in said(out)
    out = await send(conv, MOD, press(out, t("ru", "btn-edit-category")))
    out = await send(conv, MOD, press(out, "Дороги"))
    out = await send(conv, MOD, press(out, t("ru", "staff-btn-accept")))
    assert "маршрутизации" in said(out) and "Ухта" in said(out)
    out = await send(conv, MOD, press(out, t("ru", "staff-btn-other-organization")))
    out = await send(conv, MOD, press(out, OTHER_ORG[:20]))
    assert "принято в работу" in said(out)
    async with services.uow() as uow:
        signal = await uow.signals.get(sid)
    assert (signal.municipality_id, signal.organization_id) == (ids["ukhta"], ids["other_org"])
    assert await audit_actions(services, sid) == ["filed", "edit", "edit", "edit", "accept"]


# ----- authorization -----
async def busy_world(services) -> dict[str, int]:
    """A new signal, a signal with an answer awaiting review and a pending extension request."""
    ids = await staff_world(services)
    new = await file_direct(services)
    work = await file_direct(services, "Не горит фонарь у дома 7 по ул. Мира уже неделю")
    await accepted(services, work, ids["org"])
    answer = await submitted(services, work, "Фонарь заменим до 30.05.2025 силами МУП «Горсвет».")
    async with services.uow() as uow:
        executor = await uow.users.get(EXE.channel, EXE.peer_id)
        request = await extension_cases.request_extension(services, uow, executor, work, "Ждём поставку ламп", 5)
        await uow.commit()
    return {"new": new, "work": work, "answer": answer, "request": request.id, "org": ids["org"]}


ATTACKS = ["/queue", "/review", "/tasks", "/extensions", "/signal 2025-000001", "/grant moderator vk:5001",
           "/revoke moderator telegram:1001", "acc:{new}", "aco:{new}:{org}", "rjt:{new}:vague", "rjo:{new}",
           "ecs:{new}:3", "mc:{new}", "sg:{work}", "pub:{answer}", "ret:{answer}", "rv:{answer}", "exa:{request}",
           "exd:{request}", "tk:{work}", "ans:{work}", "ext:{work}", "ft:{new}", "fa:{answer}"]


@pytest.mark.parametrize("attack", ATTACKS)
async def test_a_resident_gets_a_polite_refusal_and_nothing_changes(services, attack):
    world = await busy_world(services)
    conv = Conversation(services)
    await send(conv, RESIDENT, Command("start"))
    await send(conv, RESIDENT, Press("consent"))
    before = await snapshot(services)
    name, _, args = attack[1:].partition(" ")
    inp = Command(name, args) if attack.startswith("/") else Press(attack.format(**world))
    out = await send(conv, RESIDENT, inp)
    assert said(out) == t("ru", "error-forbidden")
    assert await snapshot(services) == before


async def test_an_executor_cannot_use_moderator_buttons(services):
    ids = await staff_world(services)
    sid = await file_direct(services)
    before = await snapshot(services)
    out = await send(Conversation(services), EXE, Press(f"aco:{sid}:{ids['org']}"))
    assert said(out) == t("ru", "error-forbidden") and await snapshot(services) == before


async def test_a_moderator_acting_on_a_changed_signal_is_told_who_did_it(services):
    ids = await staff_world(services)
    sid = await file_direct(services)
    conv = Conversation(services)
    out = await send(conv, MOD, Press(f"rej:{sid}"))
    await accepted(services, sid, ids["org"], by=MOD2)
    before = await snapshot(services)
    out = await send(conv, MOD, press(out, t("ru", "staff-btn-reject-labels.vague")))
    assert said(out) == t("ru", "error-already-handled-by", by="Олег Проверяев")
    out = await send(conv, MOD, Press(f"ecs:{sid}:1"))
    assert "Олег Проверяев" in said(out)
    assert await snapshot(services) == before


async def test_a_revoked_moderator_mid_dialog_is_refused(services):
    ids = await staff_world(services)
    sid = await file_direct(services)
    await accepted(services, sid, ids["org"])
    aid = await submitted(services, sid, "Асфальтирование участка выполним до 30.05.2025.")
    conv = Conversation(services)
    out = await send(conv, MOD, Press(f"ret:{aid}"))
    out = await send(conv, MOD, Text("Нужны подробности"))
    out = await send(conv, ADMIN, Command("revoke", "moderator telegram:1001"))
    assert "больше не модератор" in said(out)
    before = await snapshot(services)
    out = await send(conv, MOD, Press("rrsend"))
    assert said(out).startswith(t("ru", "error-forbidden"))
    assert await snapshot(services) == before


# ----- races -----
async def _wait_for_lock_waiter(services) -> None:
    """Until another PostgreSQL backend is blocked waiting for a row lock (bounded, no fixed sleep)."""
    async with asyncio.timeout(15):
        while True:
            async with services.db.engine.connect() as conn:
                waiting = await conn.scalar(text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock'"))
            if waiting:
                return
            await asyncio.sleep(LOCK_POLL)


def hold_first_lock(monkeypatch, services) -> dict[str, bool]:
    """On PostgreSQL the first transaction to lock the signal keeps it until the other one is blocked on it,
    so the two really overlap; on SQLite transactions are serialised by the process lock anyway."""
    seen = {"held": False, "contended": False}
    if services.db.is_sqlite:
        return seen
    real = staff_rules.locked

    async def locked(uow, signal_id):
        signal = await real(uow, signal_id)
        if not seen["held"]:
            seen["held"] = True
            await _wait_for_lock_waiter(services)
            seen["contended"] = True
        return signal

    monkeypatch.setattr(staff_rules, "locked", locked)
    return seen


async def test_two_moderators_publish_at_once_exactly_one_wins(services, monkeypatch):
    ids = await staff_world(services)
    sid = await file_direct(services)
    await accepted(services, sid, ids["org"])
    aid = await submitted(services, sid, "Яма заасфальтирована 12.05.2025, акт приёмки прилагается.")
    seen = hold_first_lock(monkeypatch, services)
    a, b = Conversation(services), Conversation(services)
    outs = await asyncio.gather(send(a, MOD, Press(f"pub:{aid}")), send(b, MOD2, Press(f"pub:{aid}")))
    assert seen["contended"] == (not services.db.is_sqlite)
    texts_ = [said(o) for o in outs]
    winners = [i for i, t in enumerate(texts_) if "опубликован" in t]
    assert len(winners) == 1
    winner = (MOD, MOD2)[winners[0]].display_name
    assert texts_[1 - winners[0]] == t("ru", "error-already-handled-by", by=winner)
    assert len(await outbox(services, "answer_published:")) == 1
    assert (await audit_actions(services, sid)).count("publish_answer") == 1
    async with services.uow() as uow:
        assert (await uow.signals.get(sid)).status == "answered"


async def test_two_moderators_accept_at_once_exactly_one_wins(services, monkeypatch):
    ids = await staff_world(services)
    sid = await file_direct(services)
    seen = hold_first_lock(monkeypatch, services)
    a, b = Conversation(services), Conversation(services)
    outs = await asyncio.gather(send(a, MOD, Press(f"aco:{sid}:{ids['org']}")),
                                send(b, MOD2, Press(f"aco:{sid}:{ids['other_org']}")))
    assert seen["contended"] == (not services.db.is_sqlite)
    winners = [i for i, o in enumerate(outs) if "принято в работу" in said(o)]
    assert len(winners) == 1
    loser_text = said(outs[1 - winners[0]])
    assert loser_text == t("ru", "error-already-handled-by", by=(MOD, MOD2)[winners[0]].display_name)
    assert len(await outbox(services, "signal_accepted:")) == 1
    assert len(await outbox(services, "task_assigned:")) == 1
    assert (await audit_actions(services, sid)).count("accept") == 1


async def test_a_stale_version_becomes_already_handled_not_an_error(services, monkeypatch):
    """If a writer ever bypasses the row lock, the optimistic version check still refuses the second change."""
    ids = await staff_world(services)
    sid = await file_direct(services)
    real = staff_rules.locked

    async def locked_then_changed_behind_our_back(uow, signal_id):
        signal = await real(uow, signal_id)
        await uow.session.execute(text("UPDATE signals SET version = version + 1 WHERE id = :id"), {"id": signal_id})
        return signal

    monkeypatch.setattr(staff_rules, "locked", locked_then_changed_behind_our_back)
    before = await snapshot(services)
    out = await send(Conversation(services), MOD, Press(f"aco:{sid}:{ids['org']}"))
    assert said(out) == t("ru", "error-already-handled")
    assert await snapshot(services) == before


# ----- review card, boilerplate, limits -----
BRUSH_OFF = ("Уважаемый заявитель! Ваше обращение рассмотрено. Сообщаем, что ремонт автомобильной дороги по ул. {street} "
             "будет рассмотрен при формировании плана дорожных работ на {year} год при наличии финансирования. "
             "Информация принята к сведению.")


async def test_review_card_warns_about_boilerplate(services):
    ids = await staff_world(services)
    conv = Conversation(services)
    for street, year in (("Мира", 2024), ("Чернова", 2025)):
        sid = await file_direct(services, f"Яма на ул. {street}, машины бьют колёса")
        await accepted(services, sid, ids["org"])
        aid = await submitted(services, sid, BRUSH_OFF.format(street=street, year=year))
        await send(conv, MOD2, Press(f"pub:{aid}"))
    sid = await file_direct(services, "Яма на ул. Куратова, опасно")
    await accepted(services, sid, ids["org"])
    aid = await submitted(services, sid, BRUSH_OFF.format(street="Куратова", year=2026))
    out = await send(conv, MOD, Press(f"rv:{aid}"))
    assert "Похоже на отписку" in said(out) and t("ru", "staff-answer-reasons.similar") in said(out)


async def test_long_texts_are_trimmed_on_cards_with_a_way_to_read_all(services):
    ids = await staff_world(services)
    long = "Проблема с дорогой <и> тротуаром. " * 60  # ~2000 characters
    sid = await file_direct(services, long.strip())
    conv = Conversation(services)
    out = await send(conv, MOD, Press(f"mc:{sid}"))
    assert "…" in said(out)
    out = await send(conv, MOD, press(out, t("ru", "staff-btn-full-text")))
    assert said(out).count("&lt;и&gt;") == 60
    await accepted(services, sid, ids["org"])
    aid = await submitted(services, sid, ("Работы выполнены & приняты. " * 140)[:3990])
    out = await send(conv, MOD, Press(f"rv:{aid}"))
    out = await send(conv, MOD, press(out, t("ru", "staff-btn-full-answer")))
    assert said(out).count("&amp;") > 100
    out = await send(conv, MOD, Command("signal", str(sid)))
    assert "№2025-000001" in said(out)


async def test_queue_lists_oldest_first_with_counts_and_pages(services):
    await staff_world(services)
    numbers = []
    for i in range(8):
        services.clock = lambda i=i: NOW.replace(hour=7 + i)
        sid = await file_direct(services, f"Яма номер {i} на дороге у дома {i}")
        async with services.uow() as uow:
            numbers.append((await uow.signals.get(sid)).number)
    conv = Conversation(services)
    out = await send(conv, MOD, Command("queue"))
    listing = said(out)
    assert "На модерации: 8" in listing
    assert listing.index(numbers[0]) < listing.index(numbers[5]) and numbers[6] not in listing
    out = await send(conv, MOD, press(out, "2/2"))
    assert numbers[7] in said(out) and numbers[0] not in said(out)


# ----- admins -----
async def test_admin_grants_and_revokes_roles(services):
    await staff_world(services)
    conv = Conversation(services)
    out = await send(conv, ADMIN, Command("grant", "executor vk:777 администрация мо го «сыктывкар»"))
    assert "исполнитель" in said(out) and OTHER_ORG in said(out)  # the organization's own spelling
    out = await send(conv, ADMIN, Command("grant", "moderator telegram:888"))
    async with services.uow() as uow:
        exe = await uow.users.get("vk", 777)
        assert exe.role_names == {"resident", "executor"} and len(exe.memberships) == 1
        assert "moderator" in (await uow.users.get("telegram", 888)).role_names
    out = await send(conv, ADMIN, Command("grant", "executor vk:777"))
    assert said(out) == t("ru", "staff-need-org")
    out = await send(conv, ADMIN, Command("grant", "boss vk:777"))
    assert "Неизвестная роль" in said(out)
    out = await send(conv, ADMIN, Command("grant", "moderator max:1"))
    assert said(out) == t("ru", "staff-bad-identity")
    out = await send(conv, ADMIN, Command("grant", "executor vk:1 Нет такой"))
    assert "Не нашёл организацию" in said(out) and ORG in said(out)
    out = await send(conv, ADMIN, Command("revoke", "admin telegram:3001"))
    assert said(out) == t("ru", "staff-self-revoke")
    out = await send(conv, ADMIN, Command("revoke", "moderator telegram:888"))
    assert "больше не модератор" in said(out)
    out = await send(conv, ADMIN, Command("grant"))
    assert said(out) == t("ru", "staff-grant-usage")
    async with services.uow() as uow:
        assert "moderator" not in (await uow.users.get("telegram", 888)).role_names
        events = list(await uow.session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("role_%"))))
    assert events == ["role_granted", "role_granted", "role_revoked"]


def test_command_menus_depend_on_roles():
    resident = [c for c, _ in commands_for(set())]
    assert resident == ["start", "new", "my", "subscriptions", "stats", "lang", "help", "cancel", "forget"]
    both = [c for c, _ in commands_for({"moderator", "executor", "admin"})]
    assert both[:len(resident)] == resident and {"tasks", "queue", "review", "signal", "grant", "revoke", "export",
                                                  "opendata"} <= set(both)
    assert "queue" not in [c for c, _ in commands_for({"executor"})]
    assert all(1 <= len(d) <= 256 and c.islower() for c, d in commands_for({"moderator", "admin", "executor"}))
