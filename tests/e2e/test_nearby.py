"""«Already reported nearby?» end to end on every channel and database: a neighbour joins with one tap,
files nothing, is counted on the moderator's card and in /my, and receives the published answer once."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.bootstrap import build_notifier
from bot.config import load_settings
from handlers import roles
from handlers.cases import queue as queue_cases
from handlers.cases import review as review_cases
from storage.models import Organization, OutboxMessage, Signal, SignalSupporter, Subscription
from tests.e2e.test_intake_scenarios import consent, to_description
from tests.images import jpeg_with_gps

ORG = "Администрация МО ГО «Сыктывкар»"
AUTHOR, NEIGHBOUR, MOD, EXE = 3101, 3102, 3103, 3104
HERE = (61.6688, 50.8364)
NORTH_100_M = (61.66970, 50.8364)
NORTH_300_M = (61.67150, 50.8364)
SOUTH_400_M = (61.66520, 50.8364)
ANSWER = "Фонарь заменён 3 июня бригадой МБУ «Горсвет»."


async def file_at(r, place, category="Дороги", description="Не горит фонарь у остановки «Школьная»"):
    await to_description(r, category=category)
    await r.say(description)
    await r.press("Пропустить")
    await r.location(*place)


async def first_signal(env) -> Signal:
    author = env.resident(AUTHOR, "Анна")
    await consent(author)
    await file_at(author, HERE)
    await author.press("✅ Отправить")
    async with env.services.uow() as uow:
        return await uow.session.scalar(select(Signal))


async def signal_count(services) -> int:
    async with services.uow() as uow:
        return await uow.session.scalar(select(func.count()).select_from(Signal))


async def staff(services, channel):
    async with services.uow() as uow:
        org = Organization(name=ORG)
        uow.session.add(org)
        await uow.session.flush()
        await roles.grant(uow, f"{channel}:{MOD}", "moderator")
        await roles.grant(uow, f"{channel}:{EXE}", "executor", ORG)
        await uow.commit()
    return org.id


async def publish(services, channel, signal_id, org_id) -> None:
    """The moderator accepts, the executor answers, the moderator publishes (the staff dialogs have their
    own tests; here only what reaches the residents matters)."""
    async with services.uow() as uow:
        mod, exe = await uow.users.get(channel, MOD), await uow.users.get(channel, EXE)
        await queue_cases.accept(services, uow, mod, signal_id, org_id)
        await uow.commit()
    async with services.uow() as uow:
        answer = await review_cases.submit_answer(services, uow, exe, signal_id, ANSWER)
        await uow.commit()
    async with services.uow() as uow:
        await review_cases.publish_answer(services, uow, mod, answer.id)
        await uow.commit()


async def test_a_neighbour_joins_with_one_tap_and_gets_the_answer(env, services):
    org_id = await staff(services, env.channel_name)
    signal = await first_signal(env)
    neighbour = env.resident(NEIGHBOUR, "Борис")
    await consent(neighbour)
    await file_at(neighbour, NORTH_100_M)
    shown = neighbour.last_text()
    assert f"№{signal.number}" in shown and "100 м" in shown and "на модерации" in shown, shown
    await neighbour.press("👍 Я тоже")
    assert f"№{signal.number}" in neighbour.last_text() and "поддержали" in neighbour.last_text()
    assert await signal_count(services) == 1  # nothing new was filed

    mod = env.resident(MOD, "Мария")
    await consent(mod)
    await consent(env.resident(EXE, "Олег"))  # the executor's chat exists, so their task can reach them
    await mod.say(f"/signal {signal.number}")
    assert "Поддержали: 1 (затронуто жителей: 2)" in mod.last_text(), mod.last_text()
    await neighbour.say("/my")
    assert f"№{signal.number}" in neighbour.last_text() and "👥 1" in neighbour.last_text()

    settings = load_settings(notify_sweep_seconds=1.0, notify_backoff_base_seconds=0.1)
    notifier = build_notifier(settings, services, [env.channel])
    await notifier.start()
    try:
        await publish(services, env.channel_name, signal.id, org_id)
        for person in (neighbour, env.resident(AUTHOR, "Анна")):
            await env.fake.wait_for(lambda p=person: any("МБУ «Горсвет»" in t for t in p.texts()), timeout=10)
    finally:
        await notifier.stop()
    for person in (neighbour, env.resident(AUTHOR, "Анна")):
        assert sum("МБУ «Горсвет»" in t for t in person.texts()) == 1
    assert env.fake.rejected == []


async def test_far_away_or_another_category_shows_nothing(env, services):
    await first_signal(env)
    for n, (place, category) in enumerate(((NORTH_300_M, "Дороги"), (SOUTH_400_M, "Дороги"), (NORTH_100_M, "ЖКХ"))):
        other = env.resident(NEIGHBOUR + 10 + n)
        await consent(other)
        await file_at(other, place, category=category)
        assert "Проверьте обращение" in other.last_text()  # straight to the summary
        assert "Я тоже" not in " ".join(other.texts())
        await other.press("✅ Отправить")
    assert await signal_count(services) == 4


async def test_a_closed_or_rejected_signal_is_not_offered(env, services):
    signal = await first_signal(env)
    for n, status in enumerate(("closed", "rejected")):
        async with services.uow() as uow:
            (await uow.signals.get(signal.id)).status = status
            await uow.commit()
        other = env.resident(NEIGHBOUR + 20 + n)
        await consent(other)
        await file_at(other, NORTH_100_M)
        assert "Проверьте обращение" in other.last_text()
        assert "Я тоже" not in " ".join(other.texts())


async def test_a_join_for_a_signal_moved_away_or_recategorised_is_refused(env, services):
    """The «Я тоже» button was shown, then the signal stopped matching: the press is checked again."""
    signal = await first_signal(env)
    for n, change in enumerate(({"latitude": SOUTH_400_M[0]}, {"category": "ЖКХ"})):
        neighbour = env.resident(NEIGHBOUR + 30 + n)
        await consent(neighbour)
        await file_at(neighbour, NORTH_100_M)
        assert f"№{signal.number}" in neighbour.last_text()
        async with services.uow() as uow:
            row = await uow.signals.get(signal.id)
            if "category" in change:
                row.category_id = (await uow.catalog.category_by_name(change["category"])).id
            else:
                row.latitude = change["latitude"]
            await uow.commit()
        await neighbour.press("👍 Я тоже")
        assert any("больше нельзя поддержать" in t for t in neighbour.texts()), neighbour.texts()
        async with services.uow() as uow:
            assert await uow.supporters.count(signal.id) == 0
            row = await uow.signals.get(signal.id)
            row.latitude, row.category_id = HERE[0], signal.category_id  # back for the next case
            await uow.commit()


async def test_forget_removes_support_and_subscription(env, services):
    signal = await first_signal(env)
    neighbour = env.resident(NEIGHBOUR, "Борис")
    await consent(neighbour)
    await file_at(neighbour, NORTH_100_M)
    await neighbour.press("👍 Я тоже")
    await neighbour.say("/forget")
    await neighbour.press("Да, удалить")
    async with services.uow() as uow:
        supporters = await uow.session.scalar(select(func.count()).select_from(SignalSupporter))
        follows = list(await uow.session.scalars(select(Subscription.user_id).where(
            Subscription.signal_id == signal.id)))
    assert supporters == 0 and follows == [signal.author_id]


async def test_a_moderator_merges_a_duplicate(env, services):
    original = await first_signal(env)
    neighbour = env.resident(NEIGHBOUR, "Борис")
    await consent(neighbour)
    await to_description(neighbour)
    await neighbour.say("Фонарь не горит уже неделю, на остановке темно")
    await neighbour.photo(jpeg_with_gps())
    await neighbour.press("Готово")
    await neighbour.location(*NORTH_100_M)
    await neighbour.press("Это другое")
    await neighbour.press("✅ Отправить")
    async with services.uow() as uow:
        duplicate = await uow.session.scalar(select(Signal).where(Signal.id != original.id))
    await staff(services, env.channel_name)
    mod = env.resident(MOD, "Мария")
    await consent(mod)
    await mod.say(f"/signal {duplicate.number}")
    await mod.press("🔁 Дубликат")
    await mod.press(f"№{original.number}")
    assert f"дубликат №{original.number}" in mod.last_text(), mod.last_text()
    async with services.uow() as uow:
        merged = await uow.signals.get(duplicate.id)
        kept = await uow.signals.get(original.id)
        assert (merged.status, merged.duplicate_of) == ("rejected", original.id)
        assert await uow.supporters.supports(original.id, duplicate.author_id)
        assert len(kept.photos) == 1
        told = list(await uow.session.scalars(select(OutboxMessage).where(
            OutboxMessage.dedupe_key.like(f"signal_rejected:{duplicate.id}:%"))))
    assert [m.user_id for m in told] == [duplicate.author_id]
    assert original.number in str(told[0].payload)
    await mod.press(f"№{original.number}")  # the same choice again: already handled, nothing twice
    assert f"дубликат №{original.number}" not in mod.last_text()
    async with services.uow() as uow:
        assert await uow.supporters.count(original.id) == 1
        assert len(list(await uow.session.scalars(select(OutboxMessage).where(
            OutboxMessage.dedupe_key.like(f"signal_rejected:{duplicate.id}:%"))))) == 1
