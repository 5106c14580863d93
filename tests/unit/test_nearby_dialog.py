"""«Already reported nearby?» on the in-memory unit of work: shown, joined, declined, forged, typed address."""

from __future__ import annotations

import pytest

from handlers.conversation import Conversation
from handlers.i18n import t
from handlers.types import Command, Location, Peer, Press, Text
from tests.unit.memory_uow import World

FIRST, SECOND = Peer("telegram", 10, "Анна"), Peer("vk", 11, "Борис")
HERE = (63.56, 53.70)
NEAR = (63.5609, 53.70)  # about 100 m north
FAR = (63.5636, 53.70)  # about 400 m north


def press(outcome, starts: str) -> Press:
    for r in outcome.replies:
        for row in r.buttons:
            for b in row:
                if b.label.startswith(starts):
                    return Press(b.payload)
    raise AssertionError(f"no button {starts!r}")


def two_residents() -> World:
    """An in-memory world with FIRST (Telegram) and SECOND (VK) and a conversation over it."""
    w = World()
    w.person(FIRST.peer_id, name="Анна")
    w.person(SECOND.peer_id, channel="vk", name="Борис")
    w.conv = Conversation(w.services)  # type: ignore[attr-defined]
    return w


@pytest.fixture
def world():
    return two_residents()


async def draft(w, peer, place, category="Дороги"):
    """/new, a shared location (the municipality guessed from it), a category: what the bot says next."""
    await w.conv.handle(peer, Command("new"))
    await w.conv.handle(peer, Location(*place))
    out = await w.conv.handle(peer, Press("yes"))
    return await w.conv.handle(peer, press(out, category))


async def file_first(w):
    await draft(w, FIRST, HERE)
    out = await w.conv.handle(FIRST, Text("Глубокая яма на проезжей части у дома 5"))
    out = await w.conv.handle(FIRST, press(out, "Пропустить"))
    out = await w.conv.handle(FIRST, Press("send"))
    [signal] = w.store.signals.values()
    return signal


async def test_a_neighbour_sees_the_signal_and_joins_it(world):
    signal = await file_first(world)
    out = await draft(world, SECOND, NEAR)
    shown = out.replies[-1].text
    assert f"№{signal.number}" in shown and "100 м" in shown and "на модерации" in shown
    out = await world.conv.handle(SECOND, press(out, "👍 Я тоже"))
    assert f"№{signal.number}" in out.replies[-1].text and "поддержали" in out.replies[-1].text
    second = next(u for u in world.store.users.values() if u.external_id == SECOND.peer_id)
    assert len(world.store.signals) == 1
    assert (signal.id, second.id) in world.store.supporters and (signal.id, second.id) in world.store.subscriptions
    assert world.store.states[("vk", 11)].step == "idle"


async def test_this_is_different_goes_on_with_the_draft(world):
    await file_first(world)
    out = await draft(world, SECOND, NEAR)
    out = await world.conv.handle(SECOND, press(out, t("ru", "btn-nearby-other")))
    assert world.store.states[("vk", 11)].step == "intake.description"


@pytest.mark.parametrize("place, category", [(FAR, "Дороги"), (NEAR, "Освещение")])
async def test_nothing_far_away_or_of_another_category(world, place, category):
    await file_first(world)
    await draft(world, SECOND, place, category)
    assert world.store.states[("vk", 11)].step == "intake.description"


async def test_a_forged_join_for_a_signal_elsewhere_is_refused(world):
    signal = await file_first(world)
    out = await draft(world, SECOND, NEAR)
    world.store.signals[signal.id].category_id = 2  # no longer what the resident is reporting
    out = await world.conv.handle(SECOND, Press(f"join:{signal.id}"))
    assert t("ru", "nearby-gone") in [r.text for r in out.replies]
    assert not world.store.supporters


async def test_the_author_is_told_it_is_their_own(world):
    signal = await file_first(world)
    out = await draft(world, FIRST, NEAR)
    out = await world.conv.handle(FIRST, press(out, "👍 Я тоже"))
    assert out.replies[-1].text == t("ru", "nearby-yours", number=signal.number)
    assert not world.store.supporters


async def test_a_typed_address_searches_nothing(world):
    await file_first(world)
    out = await world.conv.handle(SECOND, Command("new"))
    out = await world.conv.handle(SECOND, press(out, "Ухта"))
    out = await world.conv.handle(SECOND, press(out, "Дороги"))
    out = await world.conv.handle(SECOND, Text("Глубокая яма на проезжей части у дома 5"))
    out = await world.conv.handle(SECOND, press(out, "Пропустить"))
    out = await world.conv.handle(SECOND, Text("Ухта, ул. Ленина, 5"))
    assert world.store.states[("vk", 11)].step == "intake.summary"
