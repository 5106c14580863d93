"""Poison inputs never wedge a conversation: forged non-ASCII buttons, NUL characters, a failing handler."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from handlers.dialog import COMMANDS, Route
from handlers.i18n import t
from storage import inbox
from storage.models import InboxUpdate, Signal
from tests.e2e.test_intake_scenarios import consent, file_signal, signals, to_description

FORGED = "ёж|" + "x" * 12
FORGED_SIGNATURE = "forget:yes|ёжик"  # a non-ASCII "signature": hmac.compare_digest raised TypeError on it


def unanswered_presses(env) -> int:
    """Button presses whose client spinner never stopped (no answerCallbackQuery / event answer)."""
    if env.channel_name == "telegram":
        return len(env.fake._open_callbacks)
    return len(env.fake._event_ids) - len(env.fake.event_answers)


async def press_forged(r, data: str = FORGED) -> list[str]:
    before = len(r.messages)
    await r.press_data(r.messages[-1]["message_id"], data, check=False)
    return r.texts()[before:]


async def test_non_ascii_callback_data_is_an_outdated_button_and_never_wedges(env, services):
    r = env.resident(7001)
    await r.say("/start")
    assert "согласие" in (await press_forged(r))[-1]  # before consent every input gets the consent request
    await consent(r)
    await to_description(r)
    for data in (FORGED, FORGED_SIGNATURE):
        answer = await press_forged(r, data)
        assert any("недействительна" in t for t in answer) and "Опишите" in answer[-1]
    assert await r.say("/start")  # answered, not silent: the step is shown again
    assert "Опишите" in r.last_text()
    await r.say("/cancel")
    await file_signal(r)
    assert len(await signals(services)) == 1
    assert unanswered_presses(env) == 0
    async with services.uow() as uow:
        assert await inbox.failed(uow.session) == []
    assert env.fake.rejected == []


async def test_nul_and_control_characters_are_removed_the_same_on_both_databases(env, services):
    r = env.resident(7002)
    await consent(r)
    await file_signal(r, description="Яма\x00 у дома\x07 5,\r\nглубокая и опасная\x1b", address="ул. Ленина,\x00 5")
    [signal] = await signals(services)
    assert signal.description == "Яма у дома 5,\nглубокая и опасная"
    assert signal.address == "ул. Ленина, 5"
    assert "№" in r.last_text()


async def test_a_name_with_control_characters_is_stored_clean(env, services):
    r = env.resident(7003, "Ив\x00ан\u202e")
    await consent(r)
    from storage.models import User

    async with services.uow() as uow:
        user = await uow.session.scalar(select(User))
        assert user.display_name == "Иван\u202e"  # format characters are text; only C0/C1 controls go


@pytest.fixture
def failing_command():
    """A handler with a bug that shows for one input only (registered like any dialog command)."""
    async def boom(turn, args: str) -> None:
        raise RuntimeError("a bug that only this input triggers")

    COMMANDS["boom"] = Route(boom, needs_consent=False, role=None)
    yield
    del COMMANDS["boom"]


async def test_a_poisoned_update_is_set_aside_and_the_next_one_is_handled(env, services, failing_command):
    r = env.resident(7004)
    await consent(r)
    await r.say("/boom")
    assert r.last_text() == t("ru", "poisoned")
    await r.say("/new")
    assert "Муниципалитет" in r.last_text() or "муниципалитет" in r.last_text()
    async with services.uow() as uow:
        [row] = await inbox.failed(uow.session)
        assert row.error == "builtins.RuntimeError" and row.peer_id == 7004
        assert await inbox.backlog(uow.session) == 0
    assert env.channel.metrics.failed.labels(env.channel_name, "builtins.RuntimeError")._value.get() == 1


def malformed_update(env, user_id: int) -> None:
    """An update the channel adapter itself cannot read (the exception is raised outside the dialog)."""
    if env.channel_name == "telegram":
        env.fake.push_update({"message": {"message_id": 1, "date": "not a date", "text": "hi",
                                          "chat": {"id": user_id, "type": "private"}}})
    else:
        env.fake.push_event({"type": "message_new", "group_id": env.fake.group_id, "event_id": "bad-1",
                             "v": "5.199", "object": {"message": {"peer_id": user_id, "from_id": user_id,
                                                                  "text": 5, "date": 0}}})


async def test_an_update_the_adapter_cannot_read_does_not_block_the_person(env, services):
    r = env.resident(7005)
    await consent(r)
    await r._after(lambda: malformed_update(env, 7005))
    assert r.last_text() == t("ru", "poisoned")
    await r.say("/new")
    assert "униципалитет" in r.last_text()
    async with services.uow() as uow:
        [row] = await inbox.failed(uow.session)
        assert row.peer_id == 7005 and row.handled_at is not None and row.error
    # /forget deletes the set-aside row with the rest of the person's data
    await r.say("/forget")
    await r.press("Да, удалить")
    async with services.uow() as uow:
        assert await inbox.failed(uow.session) == []
        left = await uow.session.scalars(select(InboxUpdate).where(InboxUpdate.handled_at.is_not(None)))
        assert all(row.peer_id != 7005 for row in left)
        assert await uow.session.scalar(select(Signal)) is None
