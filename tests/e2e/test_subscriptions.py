"""Subscribers across channels, end to end on both databases: the author on Telegram and a «me too»
supporter on VK each get every notice exactly once on their own channel through the outbox; the
supporter leaves with «Отписаться» and hears nothing more; the rating stays the author's."""

from __future__ import annotations

from sqlalchemy import select

from handlers.cases import extensions as extension_cases
from handlers.cases import queue as queue_cases
from handlers.cases import review as review_cases
from handlers.i18n import t
from storage.models import Organization, OutboxMessage, Signal
from tests.e2e.test_full_cycle import EXE, MOD, consent, setup_staff, wait_text, world
from tests.e2e.test_nearby import HERE, NORTH_100_M, file_at
from tests.e2e.tg_harness import TgResident
from tests.e2e.vk_harness import VkResident

AUTHOR, SUPPORTER = 8201, 8202
FIRST_ANSWER = "Фонарь заменён 3 июня бригадой МБУ «Горсвет»."
SECOND_ANSWER = "Опора заменена 10 июня, фонарь горит: проверено МБУ «Горсвет»."


async def staff_do(services, action):
    """One staff use case as the Telegram moderator or executor (their dialogs have their own tests)."""
    async with services.uow() as uow:
        mod, exe = await uow.users.get("telegram", MOD), await uow.users.get("telegram", EXE)
        result = await action(uow, mod, exe)
        await uow.commit()
    return result


async def accept(services, signal_id):
    async def run(uow, mod, exe):
        org = await uow.session.scalar(select(Organization))
        await queue_cases.accept(services, uow, mod, signal_id, org.id)
    await staff_do(services, run)


async def answer_and_publish(services, signal_id, text):
    answer = await staff_do(services, lambda uow, mod, exe: review_cases.submit_answer(
        services, uow, exe, signal_id, text))
    await staff_do(services, lambda uow, mod, exe: review_cases.publish_answer(services, uow, mod, answer.id))


async def extend(services, signal_id):
    request = await staff_do(services, lambda uow, mod, exe: extension_cases.request_extension(
        services, uow, exe, signal_id, "Нужна замена опоры освещения, ждём автовышку", 5))
    await staff_do(services, lambda uow, mod, exe: extension_cases.decide_extension(
        services, uow, mod, request.id, True))


def count(person, needle: str) -> int:
    return sum(needle in text for text in person.texts())


async def test_author_on_telegram_and_supporter_on_vk(services):
    await setup_staff(services)
    async with world(services) as (tg, vk, tg_env, vk_env):
        author, supporter = TgResident(tg, tg_env, AUTHOR, "Анна"), VkResident(vk, vk_env, SUPPORTER, "Борис")
        for person in (author, supporter, TgResident(tg, tg_env, MOD, "Мария"), TgResident(tg, tg_env, EXE, "Олег")):
            await consent(person)
        await file_at(author, HERE)
        await author.press("✅ Отправить")
        async with services.uow() as uow:
            signal = await uow.session.scalar(select(Signal))
        await file_at(supporter, NORTH_100_M)
        await supporter.press("👍 Я тоже")

        # accepted, extended, answered: each told once to each, on their own channel
        await accept(services, signal.id)
        await extend(services, signal.id)
        await answer_and_publish(services, signal.id, FIRST_ANSWER)
        for fake, peer in ((tg, AUTHOR), (vk, SUPPORTER)):
            await wait_text(fake, peer, "МБУ «Горсвет»")
        for person in (author, supporter):
            assert count(person, "принято в работу") == 1, person.texts()
            assert count(person, "продлён") == 1, person.texts()
            assert count(person, "Фонарь заменён 3 июня") == 1, person.texts()
        vk_answer = next(m for m in vk.sent_messages(SUPPORTER) if "Фонарь заменён" in m["message"])
        assert "/subscriptions" in vk_answer["message"] and not vk_answer.get("keyboard")  # no rating for him
        assert "/subscriptions" not in next(text for text in author.texts() if "Фонарь заменён" in text)

        # the author disagrees: the supporter hears of the reopening, once
        await author.press(t("ru", "btn-rate-down"))
        await author.press("Пропустить")
        await wait_text(vk, SUPPORTER, "возвращено на повторное рассмотрение")
        assert count(supporter, "возвращено на повторное рассмотрение") == 1

        # the supporter leaves; the next answer reaches the author only
        await supporter.say("/subscriptions")
        assert f"№{signal.number}" in supporter.last_text() and t("ru", "subs-role-supporter").strip(" ·") in supporter.last_text()
        await supporter.press("🔕 Отписаться")
        assert "Вы отписались" in supporter.last_text()
        await answer_and_publish(services, signal.id, SECOND_ANSWER)
        await wait_text(tg, AUTHOR, "Опора заменена 10 июня")
        async with services.uow() as uow:
            rows = list(await uow.session.scalars(select(OutboxMessage).where(
                OutboxMessage.dedupe_key.like("answer_published:%")).order_by(OutboxMessage.id)))
            supporter_id = (await uow.users.get("vk", SUPPORTER)).id
        assert [row.user_id for row in rows].count(supporter_id) == 1  # the first answer only
        assert count(supporter, "Опора заменена") == 0 and count(author, "Опора заменена 10 июня") == 1
        assert tg.rejected == [] and vk.rejected == []


async def test_a_komi_speaking_supporter_is_told_in_komi(services):
    """Each subscriber's notice is written in their own language: the Russian author reads Russian, the
    supporter who chose Komi reads the notice and the subscriber footer in Komi."""
    await setup_staff(services)
    async with world(services) as (tg, vk, tg_env, vk_env):
        author, supporter = TgResident(tg, tg_env, AUTHOR, "Анна"), VkResident(vk, vk_env, SUPPORTER, "Борис")
        for person in (author, supporter, TgResident(tg, tg_env, MOD, "Мария"), TgResident(tg, tg_env, EXE, "Олег")):
            await consent(person)
        await file_at(author, HERE)
        await author.press("✅ Отправить")
        async with services.uow() as uow:
            signal = await uow.session.scalar(select(Signal))
        await file_at(supporter, NORTH_100_M)
        await supporter.press("👍 Я тоже")
        await supporter.say("/lang")
        await supporter.press(t("kv", "btn-language.kv"))
        assert t("kv", "language-set") in supporter.texts()

        await accept(services, signal.id)
        await wait_text(vk, SUPPORTER, "босьтӧма уджӧ")
        await wait_text(tg, AUTHOR, "принято в работу")
        told = next(text for text in supporter.texts() if f"№{signal.number}" in text and "уджӧ" in text)
        assert "Петны гижсьӧмысь — /subscriptions" in told  # the subscriber footer, in Komi
        assert "принято" not in told and "Вы подписаны" not in told
        said = next(text for text in author.texts() if "принято в работу" in text)
        assert "/subscriptions" not in said and "уджӧ" not in said  # the author: Russian, no footer
        await supporter.say("/subscriptions")
        assert t("kv", "subs-role-supporter").strip(" ·") in supporter.last_text()
