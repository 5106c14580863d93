"""The main dialogs and use cases on the in-memory unit of work: intake, accept/reject, publish/return, rating."""

from __future__ import annotations

import pytest

from handlers.cases import queue as queue_cases
from handlers.cases import review as review_cases
from handlers.conversation import Conversation
from handlers.dialog import DuplicateKey, Registry, include
from handlers.errors import AlreadyHandled, Forbidden
from handlers.i18n import t
from handlers.types import Command, Location, Peer, Press, Text
from tests.unit.memory_uow import FakeUnitOfWork, World

RESIDENT = Peer("telegram", 10, "Анна")
MODERATOR = Peer("vk", 20, "Мария")
EXECUTOR = Peer("telegram", 30, "Олег")
DESCRIPTION = "Глубокая яма на проезжей части у дома 5"


def buttons(outcome):
    return [b for r in outcome.replies for row in r.buttons for b in row]


def press(outcome, starts: str) -> Press:
    for b in buttons(outcome):
        if b.label.startswith(starts):
            return Press(b.payload)
    raise AssertionError(f"no button {starts!r} in {[b.label for b in buttons(outcome)]}")


@pytest.fixture
def world():
    w = World()
    w.person(RESIDENT.peer_id, name="Анна")
    w.moderator = w.person(MODERATOR.peer_id, "moderator", channel="vk", name="Мария")
    w.executor = w.person(EXECUTOR.peer_id, "executor", organization=w.org, name="Олег")
    w.conv = Conversation(w.services)
    return w


async def file_signal(w: World) -> int:
    conv = w.conv
    out = await conv.handle(RESIDENT, Command("new"))
    out = await conv.handle(RESIDENT, press(out, "Ухта"))
    out = await conv.handle(RESIDENT, press(out, "Дороги"))
    out = await conv.handle(RESIDENT, Text(DESCRIPTION))
    out = await conv.handle(RESIDENT, press(out, "Пропустить"))
    out = await conv.handle(RESIDENT, Location(63.56, 53.70))
    out = await conv.handle(RESIDENT, Press("send"))
    assert "принято" in out.replies[-1].text
    [signal] = w.store.signals.values()
    return signal.id


async def test_intake_steps_file_a_signal_and_tell_the_moderators(world):
    out = await world.conv.handle(RESIDENT, Command("new"))
    assert world.store.states[("telegram", 10)].step == "intake.municipality"
    out = await world.conv.handle(RESIDENT, Location(63.56, 53.70))  # the place suggests the municipality
    assert "<b>Ухта</b>" in out.replies[-1].text
    out = await world.conv.handle(RESIDENT, Press("yes"))
    out = await world.conv.handle(RESIDENT, press(out, "Дороги"))
    out = await world.conv.handle(RESIDENT, Text("яма"))  # too short: asked again, still on the step
    assert world.store.states[("telegram", 10)].step == "intake.description"
    out = await world.conv.handle(RESIDENT, Text(DESCRIPTION))
    out = await world.conv.handle(RESIDENT, press(out, "Пропустить"))
    assert world.store.states[("telegram", 10)].step == "intake.summary"  # the location was given already
    out = await world.conv.handle(RESIDENT, Press("send"))
    [signal] = world.store.signals.values()
    assert signal.number in out.replies[-1].text and signal.status == "new" and signal.municipality.name == "Ухта"
    assert [row["user_id"] for row in world.notes("signal_filed:")] == [world.moderator.id]
    assert world.woken == 1  # the notifier is woken once the turn commits
    again = await world.conv.handle(RESIDENT, Press("send"))
    assert "уже отправлено" in again.replies[-1].text and len(world.store.signals) == 1


async def test_a_resident_cannot_use_the_moderators_queue(world):
    out = await world.conv.handle(RESIDENT, Command("queue"))
    assert out.replies[-1].text == t("ru", "error-forbidden")


async def test_accept_routes_the_signal_and_tells_executor_and_resident(world):
    sid = await file_signal(world)
    out = await world.conv.handle(MODERATOR, Command("queue"))
    out = await world.conv.handle(MODERATOR, press(out, "№"))
    out = await world.conv.handle(MODERATOR, press(out, t("ru", "staff-btn-accept")))
    out = await world.conv.handle(MODERATOR, press(out, "✅ Администрация"))
    assert "принято в работу" in out.replies[-1].text
    signal = world.store.signals[sid]
    assert signal.status == "in_progress" and signal.organization_id == world.org.id and signal.due_on
    assert [r["user_id"] for r in world.notes("task_assigned:")] == [world.executor.id]
    assert len(world.notes("signal_accepted:")) == 1
    second = await world.conv.handle(MODERATOR, Press(f"aco:{sid}:{world.org.id}"))
    assert second.replies[-1].text == t("ru", "error-already-handled-by", by="Мария")


async def test_reject_with_a_template_reason(world):
    sid = await file_signal(world)
    out = await world.conv.handle(MODERATOR, Press(f"rej:{sid}"))
    out = await world.conv.handle(MODERATOR, press(out, t("ru", "staff-btn-reject-labels.vague")))
    assert "отклонено" in out.replies[-1].text
    assert world.store.signals[sid].status == "rejected"
    [note] = world.notes("signal_rejected:")
    assert "не может быть передано в работу" in note["payload"][0]["text"]


async def test_use_cases_refuse_without_the_role(world):
    sid = await file_signal(world)
    async with world.services.uow() as uow:
        with pytest.raises(Forbidden):
            await queue_cases.accept(world.services, uow, world.executor, sid, world.org.id)
    assert world.store.signals[sid].status == "new" and world.notes("signal_accepted:") == []


async def answered_for_review(world) -> int:
    sid = await file_signal(world)
    async with world.services.uow() as uow:
        await queue_cases.accept(world.services, uow, world.moderator, sid, world.org.id)
        answer = await review_cases.submit_answer(world.services, uow, world.executor, sid,
                                                  "Яма заделана 12 мая бригадой дорожной службы.")
        await uow.commit()
    return answer.id


async def test_publish_sends_the_answer_with_rating_buttons(world):
    aid = await answered_for_review(world)
    out = await world.conv.handle(MODERATOR, Press(f"rv:{aid}"))
    out = await world.conv.handle(MODERATOR, press(out, t("ru", "staff-btn-publish")))
    assert "опубликован" in out.replies[-1].text
    assert world.store.answers[aid].review_status == "published"
    [note] = world.notes("answer_published:")
    assert note["peer_id"] == RESIDENT.peer_id
    assert {b["payload"] for row in note["payload"][0]["buttons"] for b in row} == {f"rate:up:{aid}", f"rate:down:{aid}"}
    async with world.services.uow() as uow:
        with pytest.raises(AlreadyHandled):
            await review_cases.publish_answer(world.services, uow, world.moderator, aid)


async def test_return_needs_a_reason_then_goes_back_to_the_executor(world):
    aid = await answered_for_review(world)
    out = await world.conv.handle(MODERATOR, Press(f"ret:{aid}"))
    out = await world.conv.handle(MODERATOR, press(out, t("ru", "staff-btn-return-send")))  # nothing chosen yet
    assert out.replies[0].text == t("ru", "staff-return-need")
    out = await world.conv.handle(MODERATOR, press(out, t("ru", "staff-btn-return-labels.no_date")))
    out = await world.conv.handle(MODERATOR, press(out, t("ru", "staff-btn-return-send")))
    assert "возвращён" in out.replies[0].text
    answer = world.store.answers[aid]
    assert answer.review_status == "returned" and world.store.signals[answer.signal_id].status == "in_progress"
    assert [r["user_id"] for r in world.notes("answer_returned:")] == [world.executor.id]


async def test_rating_up_closes_and_a_second_rating_is_refused(world):
    aid = await answered_for_review(world)
    await world.conv.handle(MODERATOR, Press(f"pub:{aid}"))
    out = await world.conv.handle(RESIDENT, Press(f"rate:up:{aid}"))
    sid = world.store.answers[aid].signal_id
    assert out.replies[-1].text == t("ru", "rating-thanks-up", number=world.store.signals[sid].number)
    assert world.store.signals[sid].status == "closed"
    again = await world.conv.handle(RESIDENT, Press(f"rate:up:{aid}"))
    assert again.replies[-1].text == t("ru", "rating-already-rated")


async def test_rating_down_with_a_comment_reopens_and_tells_moderators(world):
    aid = await answered_for_review(world)
    await world.conv.handle(MODERATOR, Press(f"pub:{aid}"))
    await world.conv.handle(RESIDENT, Press(f"rate:down:{aid}"))
    await world.conv.handle(RESIDENT, Text("Яма на месте"))
    sid = world.store.answers[aid].signal_id
    assert world.store.signals[sid].status == "in_progress" and world.store.signals[sid].reopen_count == 1
    [note] = world.notes("rated_down:")
    assert "Яма на месте" in note["payload"][0]["text"]


async def test_someone_else_cannot_rate_an_answer(world):
    aid = await answered_for_review(world)
    await world.conv.handle(MODERATOR, Press(f"pub:{aid}"))
    stranger = Peer("telegram", 99)
    world.person(99)
    out = await world.conv.handle(stranger, Press(f"rate:up:{aid}"))
    assert out.replies[-1].text == t("ru", "error-forbidden")
    assert world.store.ratings == []


def test_a_key_claimed_by_two_dialog_modules_stops_the_start_up():
    clash = Registry("clash")

    @clash.command("new")
    async def another_new(turn, args):  # pragma: no cover - never runs
        raise AssertionError

    with pytest.raises(DuplicateKey, match="'new'"):
        include(clash)
    # the dialog is unchanged: /new is still the intake's
    from handlers import intake
    from handlers.dialog import COMMANDS

    assert COMMANDS["new"] is intake.registry.commands["new"]


def test_a_module_registering_a_key_twice_is_refused():
    twice = Registry("twice")

    @twice.action("x")
    async def first(turn, args):  # pragma: no cover - never runs
        raise AssertionError

    with pytest.raises(DuplicateKey):
        @twice.action("x")
        async def second(turn, args):  # pragma: no cover - never runs
            raise AssertionError


def test_the_fake_has_every_repository_the_real_unit_of_work_has():
    import inspect
    from functools import cached_property

    from storage.uow import UnitOfWork

    eager = inspect.getsource(UnitOfWork.__aenter__)
    lazy = {name for name, value in vars(UnitOfWork).items() if isinstance(value, cached_property)} - {"session"}
    fake = FakeUnitOfWork(World().store)
    for name in ("users", "catalog", "signals", "answers", "extensions", "photos", "outbox", "dialogs", "people"):
        assert (f"self.{name} =" in eager or name in lazy) and hasattr(fake, name), name


async def test_each_notification_is_written_in_its_recipients_language(world):
    sid = await file_signal(world)
    resident = next(u for u in world.store.users.values() if u.external_id == RESIDENT.peer_id)
    resident.language = "kv"  # chosen after filing: what is queued from now on is in Komi
    out = await world.conv.handle(MODERATOR, Press(f"rej:{sid}"))
    out = await world.conv.handle(MODERATOR, press(out, t("ru", "staff-btn-reject-labels.vague")))
    assert "отклонено" in out.replies[-1].text  # the moderator reads Russian
    [note] = world.notes("signal_rejected:")
    expected = t("kv", "notify-rejected", number=world.store.signals[sid].number,
                 reason=t("kv", "reject-reason.vague"))
    assert note["payload"][0]["text"] == expected
    assert world.store.signals[sid].reject_reason == t("ru", "reject-reason.vague")  # stored as the staff saw it
