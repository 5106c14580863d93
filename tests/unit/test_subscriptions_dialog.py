"""Subscriptions on the in-memory unit of work: /subscriptions, «Отписаться», forged ids, who is told
what, the per-category search rules, the executors' «most affected first» order, the box at 67° N."""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path

import pytest

from handlers.cases import queue as queue_cases
from handlers.i18n import t
from handlers.types import Command, Press, Text
from storage.region import RegionFileError, distance_km, load_region
from storage.repos.nearby import EARTH_M_PER_DEGREE, box
from tests.unit.test_nearby_dialog import (
    FAR,
    FIRST,
    HERE,
    NEAR,
    SECOND,
    draft,
    file_first,
    press,
    two_residents,
)

EXECUTOR = 12


@pytest.fixture
def world():
    return two_residents()


def user(w, peer):
    return next(u for u in w.store.users.values() if u.external_id == peer.peer_id and u.channel == peer.channel)


async def joined(w):
    """FIRST files a signal, SECOND joins it with «Я тоже»."""
    signal = await file_first(w)
    out = await draft(w, SECOND, NEAR)
    await w.conv.handle(SECOND, press(out, "👍 Я тоже"))
    return signal


async def test_subscriptions_lists_authored_and_supported_with_unsubscribe_buttons(world):
    signal = await joined(world)
    for peer, role in ((FIRST, t("ru", "subs-role-author")), (SECOND, t("ru", "subs-role-supporter"))):
        out = await world.conv.handle(peer, Command("subscriptions"))
        assert f"№{signal.number}" in out.replies[-1].text and role in out.replies[-1].text
        assert [[b.payload for b in row] for row in out.replies[-1].buttons] == [[f"unsub:{signal.id}"]]


async def test_the_main_menu_leads_to_subscriptions(world):
    await joined(world)
    out = await world.conv.handle(SECOND, Command("menu"))
    out = await world.conv.handle(SECOND, press(out, t("ru", "btn-subscriptions")))
    assert t("ru", "subs-title", count=1) in out.replies[-1].text


async def test_unsubscribing_stops_notifications_and_keeps_the_support(world):
    signal = await joined(world)
    out = await world.conv.handle(SECOND, Press(f"unsub:{signal.id}"))
    assert out.replies[-1].text == t("ru", "subs-left", number=signal.number)
    second = user(world, SECOND)
    assert (signal.id, second.id) not in world.store.subscriptions and (signal.id, second.id) in world.store.supporters
    out = await world.conv.handle(SECOND, Press(f"unsub:{signal.id}"))  # pressed twice: said, nothing else
    assert out.replies[-1].text == t("ru", "subs-not-following", number=signal.number)
    out = await world.conv.handle(SECOND, Command("subscriptions"))
    assert out.replies[-1].text == t("ru", "subs-empty")

    moderator = world.person(99, "moderator")
    async with world.services.uow() as uow:
        await queue_cases.accept(world.services, uow, moderator, signal.id, world.org.id)
    told = world.notes(f"signal_accepted:{signal.id}:")
    assert [row["user_id"] for row in told] == [user(world, FIRST).id]


async def test_following_again_brings_the_notices_back(world):
    signal = await joined(world)
    await world.conv.handle(SECOND, Press(f"unsub:{signal.id}"))
    out = await world.conv.handle(SECOND, Press(f"resub:{signal.id}"))
    assert out.replies[-1].text == t("ru", "subs-following", number=signal.number)
    moderator = world.person(99, "moderator")
    async with world.services.uow() as uow:
        await queue_cases.accept(world.services, uow, moderator, signal.id, world.org.id)
    told = {row["user_id"]: row for row in world.notes(f"signal_accepted:{signal.id}:")}
    assert set(told) == {user(world, FIRST).id, user(world, SECOND).id}
    # the supporter is told how to leave; the author's notice is the author's text alone
    assert t("ru", "notify-subscriber-footer") in told[user(world, SECOND).id]["payload"][0]["text"]
    assert t("ru", "notify-subscriber-footer") not in told[user(world, FIRST).id]["payload"][0]["text"]


async def test_the_author_may_unsubscribe_too(world):
    signal = await joined(world)
    out = await world.conv.handle(FIRST, Press(f"unsub:{signal.id}"))
    assert out.replies[-1].text == t("ru", "subs-left-author", number=signal.number)
    assert (signal.id, user(world, FIRST).id) not in world.store.subscriptions


async def test_a_forged_unsubscribe_for_someone_elses_signal_is_refused(world):
    signal = await file_first(world)
    for payload in (f"unsub:{signal.id}", f"resub:{signal.id}", "unsub:999", "unsub:x"):
        out = await world.conv.handle(SECOND, Press(payload))
        assert out.replies[-1].text in (t("ru", "error-not-found"), t("ru", "unsupported.forged")), payload
    assert (signal.id, user(world, SECOND).id) not in world.store.subscriptions


async def test_a_forged_join_for_a_signal_outside_the_radius_is_refused(world):
    far = await file_first(world)
    out = await draft(world, SECOND, NEAR)
    assert f"join:{far.id}" in [b.payload for row in out.replies[-1].buttons for b in row]
    world.store.signals[far.id].latitude = 2 * HERE[0] - FAR[0]  # now 400 m south of HERE, 500 m from NEAR
    out = await world.conv.handle(SECOND, Press(f"join:{far.id}"))
    assert t("ru", "nearby-gone") in [r.text for r in out.replies]
    assert not world.store.supporters


async def test_tasks_most_affected_first_by_a_button(world):
    executor = world.person(EXECUTOR, "executor", organization=world.org)
    first = await joined(world)
    second = await file_first_again(world)
    for s, due in ((first, date(2026, 12, 20)), (second, date(2026, 12, 10))):
        s.status, s.organization_id, s.due_on = "in_progress", world.org.id, due
    peer = type(FIRST)("telegram", executor.external_id)
    out = await world.conv.handle(peer, Command("tasks"))
    text = out.replies[-1].text
    assert text.index(second.number) < text.index(first.number) and "👥 1" in text
    out = await world.conv.handle(peer, press(out, t("ru", "staff-btn-tasks-by-affected")))
    text = out.replies[-1].text
    assert t("ru", "staff-tasks-title-affected", count=2) in text and text.index(first.number) < text.index(second.number)
    assert t("ru", "staff-btn-tasks-by-due") in [b.label for row in out.replies[-1].buttons for b in row]
    out = await world.conv.handle(peer, Press(f"tk:{first.id}"))
    assert t("ru", "staff-supporters", count=1, people=2) in out.replies[-1].text


async def file_first_again(world):
    """A second signal of FIRST's, far from the first (no offer to join)."""
    before = set(world.store.signals)
    world.store.states.pop(("telegram", FIRST.peer_id), None)
    await draft(world, FIRST, (HERE[0] + 0.05, HERE[1]))
    out = await world.conv.handle(FIRST, Text("Сломана скамейка в сквере у фонтана"))
    out = await world.conv.handle(FIRST, press(out, "Пропустить"))
    await world.conv.handle(FIRST, Press("send"))
    [new] = set(world.store.signals) - before
    return world.store.signals[new]


def test_the_region_file_sets_the_radius_and_period_per_category(tmp_path):
    region = load_region(Path("storage/regions/komi.yaml"))
    rules = region.nearby
    assert (rules.radius_m, rules.days, rules.staff_radius_m, rules.limit) == (250, 183, 1000, 5)
    assert rules.radius_for("housing") == 100 and rules.days_for("housing") == 183
    assert (rules.radius_for("ecology"), rules.days_for("ecology")) == (500, 90)
    assert rules.radius_for("roads") == 250
    bad = Path("storage/regions/komi.yaml").read_text(encoding="utf-8").replace(
        "nearby: {radius_m: 250", "nearby: {radius_m: 0")
    (tmp_path / "bad.yaml").write_text(bad, encoding="utf-8")
    with pytest.raises(RegionFileError, match="radii"):
        load_region(tmp_path / "bad.yaml")


@pytest.mark.parametrize("east_m, inside", [(240, True), (260, False)])
def test_the_box_accounts_for_longitude_shrinking_at_67_north(east_m, inside):
    """What the search does — the box on the index, then the great-circle distance — at 67° N."""
    lat, lon = 67.0, 55.0
    east = lon + east_m / (EARTH_M_PER_DEGREE * math.cos(math.radians(lat)))
    min_lat, max_lat, min_lon, max_lon = box(lat, lon, 250)
    found = min_lat <= lat <= max_lat and min_lon <= east <= max_lon and distance_km(lat, lon, lat, east) <= 0.25
    assert found is inside
    assert round(distance_km(lat, lon, lat, east) * 1000) == east_m
    # a box that forgot the cosine (as wide in degrees as it is tall) would miss the 240 m point
    assert lon + (max_lat - lat) < lon + 240 / (EARTH_M_PER_DEGREE * math.cos(math.radians(lat))) <= max_lon


async def test_a_merge_moves_the_duplicates_supporters_to_the_original(world):
    from handlers.cases import duplicates

    original = await file_first(world)
    out = await draft(world, FIRST, NEAR)  # the same author files again, on purpose
    out = await world.conv.handle(FIRST, press(out, t("ru", "btn-nearby-other")))
    out = await world.conv.handle(FIRST, Text("Фонарь у остановки не горит, темно вечером"))
    out = await world.conv.handle(FIRST, press(out, "Пропустить"))
    await world.conv.handle(FIRST, Press("send"))
    [duplicate] = [s for s in world.store.signals.values() if s.id != original.id]
    await draft(world, SECOND, NEAR)
    await world.conv.handle(SECOND, Press(f"join:{duplicate.id}"))
    second = user(world, SECOND)
    assert (duplicate.id, second.id) in world.store.supporters

    moderator = world.person(99, "moderator")
    async with world.services.uow() as uow:
        number = await duplicates.merge_duplicate(world.services, uow, moderator, duplicate.id, original.id)
    assert number == original.number
    assert (original.id, second.id) in world.store.supporters and (original.id, second.id) in world.store.subscriptions
    told = sorted(row["user_id"] for row in world.notes(f"signal_rejected:{duplicate.id}:"))
    assert told == sorted([user(world, FIRST).id, second.id])  # each once
    assert all(original.number in row["payload"][0]["text"] for row in world.notes(f"signal_rejected:{duplicate.id}:"))
