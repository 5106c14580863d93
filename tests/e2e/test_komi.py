"""The bot in Komi on every channel: intake, /my, /forget and the answer notification, with no Russian leaking;
switching language mid-dialog; notifications keep the language of the moment they were queued."""

from __future__ import annotations

import json
import re
from contextlib import asynccontextmanager

from sqlalchemy import func, select

from bot.bootstrap import build_notifier
from bot.config import load_settings
from handlers import roles
from handlers.cases import queue as queue_cases
from handlers.cases import review as review_cases
from handlers.i18n import catalog, t
from storage.models import Organization, OutboxMessage, Signal, User
from tests.e2e.tg_harness import TgResident, telegram_bot

ORG = "Администрация МО ГО «Сыктывкар»"
MOD, EXE = 7101, 7102
DESCRIPTION = "Туй вылын джуджыд гуран, машинаяс мунӧны мӧд ладорӧд"  # typed by the resident, in Komi
ADDRESS = "Коммунистическӧй улича, 10"
ANSWER = "Гуран тыртӧма 3 лунӧ, асфальт лоас 20 лунӧ."
WORD = re.compile(r"[А-Яа-яЁёІіӦӧ]+")


def komi_vocabulary(services) -> set[str]:
    """Every Cyrillic word of the Komi catalog and of the region file's Komi names."""
    words = set()
    for text in [*catalog("kv").values(), *services.region.names["kv"].values()]:
        words |= {w.casefold() for w in WORD.findall(text)}
    return words


def leaks(services, texts: list[str], allowed: tuple[str, ...] = ()) -> set[str]:
    """Cyrillic words outside the Komi vocabulary (after removing what people typed: content, not bot text)."""
    known = komi_vocabulary(services)
    found = set()
    for text in texts:
        for content in allowed:
            text = text.replace(content, " ")
        found |= {w for w in WORD.findall(text) if w.casefold() not in known}
    return found


def seen(r, since: int) -> list[str]:
    """Every text and button label the resident was shown from their `since`-th message on."""
    later = {m["message_id"] for m in r.messages[since:]}
    return r.texts()[since:] + [label for message_id, label, _ in r._buttons() if message_id in later]


async def komi_consent(r) -> int:
    """/start (in Russian), choose Komi, consent; the index of the first message in Komi."""
    await r.say("/start")
    since = len(r.messages)
    await r.press("Коми кыв")
    assert "сӧгласитчӧм" in r.last_text()
    await r.press(t("kv", "btn-consent"))
    return since


async def file_in_komi(r) -> None:
    await r.say("/new")
    assert "Восьлас 1" in r.last_text()
    await r.press("Сыктывкар")
    await r.press("Туйяс")  # «Дороги» in Komi (storage/regions/komi.yaml)
    await r.say(DESCRIPTION)
    await r.press(t("kv", "btn-skip"))
    await r.say(ADDRESS)
    assert "Муниципалитет: Сыктывкар" in r.last_text() and "Категория: Туйяс" in r.last_text()
    await r.press(t("kv", "btn-send"))
    assert "примитӧма" in r.last_text()


async def staff(env, services) -> int:
    """A moderator and an executor on the same channel (they wrote to the bot, so it may write to them)."""
    for peer_id in (MOD, EXE):
        await env.resident(peer_id, "Сотрудник").say("/start")
    async with services.uow() as uow:
        org = Organization(name=ORG)
        uow.session.add(org)
        await uow.session.flush()
        await roles.grant(uow, f"{env.channel_name}:{MOD}", "moderator")
        await roles.grant(uow, f"{env.channel_name}:{EXE}", "executor", ORG)
        await uow.commit()
        return org.id


async def staff_user(uow, peer_id: int) -> User:
    return await uow.session.scalar(select(User).where(User.external_id == peer_id))


async def accept_and_publish(services, org_id: int) -> Signal:
    async with services.uow() as uow:
        signal = await uow.session.scalar(select(Signal))
        await queue_cases.accept(services, uow, await staff_user(uow, MOD), signal.id, org_id)
        await uow.commit()
    async with services.uow() as uow:
        answer = await review_cases.submit_answer(services, uow, await staff_user(uow, EXE), signal.id, ANSWER)
        await uow.commit()
    async with services.uow() as uow:
        await review_cases.publish_answer(services, uow, await staff_user(uow, MOD), answer.id)
        await uow.commit()
    return signal


@asynccontextmanager
async def notifier(env):
    settings = load_settings(notify_sweep_seconds=0.2, notify_backoff_base_seconds=0.1)
    running = build_notifier(settings, env.services, [env.channel])
    await running.start()
    try:
        yield
    finally:
        await running.stop()


async def test_whole_resident_path_in_komi_without_russian(env, services):
    org_id = await staff(env, services)
    r = env.resident(3101, "Ольга")
    since = await komi_consent(r)
    await file_in_komi(r)
    await r.say("/my")
    assert "модерация вылын" in r.last_text()
    async with services.uow() as uow:
        signal = await uow.session.scalar(select(Signal))
    await r.press(f"№{signal.number}")
    assert "История" in r.last_text() and "ыстӧма" in r.last_text()

    async with notifier(env):
        await accept_and_publish(services, org_id)
        await env.fake.wait_for(lambda: any("Вочакыв Тіян шыӧдчӧм вылӧ" in text for text in r.texts()), timeout=10)
    answer = next(text for text in r.texts() if "Вочакыв Тіян шыӧдчӧм вылӧ" in text)
    assert ANSWER in answer and t("kv", "answer-line-kind", kind="")[:10] not in answer  # a plain answer
    labels = [label for _, label, _ in r._buttons()]
    assert t("kv", "btn-rate-up") in labels and t("kv", "btn-rate-down") in labels
    await r.press(t("kv", "btn-rate-up"))
    assert "Аттьӧ донъялӧмысь" in r.last_text()

    await r.say("/forget")
    await r.press(t("kv", "btn-forget-yes"))
    assert "бырӧдӧма" in r.last_text()
    assert leaks(services, seen(r, since), allowed=(DESCRIPTION, ADDRESS, ANSWER, ORG, "Ольга")) == set()
    assert env.fake.rejected == []


async def test_switching_language_mid_dialog_keeps_the_draft(env, services):
    r = env.resident(3102)
    await r.say("/start")
    await r.press(t("ru", "btn-consent"))
    await r.say("/new")
    await r.press("Сыктывкар")
    await r.press("Дороги")
    await r.say("Большая яма у дома 5 на улице Ленина, уже месяц")
    assert "Шаг 4 из 5" in r.last_text()
    await r.say("/lang")
    await r.press("Коми кыв")
    assert "Восьлас 4" in r.last_text()  # the same step, asked again in Komi
    await r.press(t("kv", "btn-skip"))
    await r.say("Ленина улича, 5")
    summary = r.last_text()
    assert "Туйяс" in summary and "Большая яма у дома 5" in summary  # the draft survived the switch
    await r.say("/lang")
    await r.press("Русский")
    assert "Проверьте обращение" in r.last_text() and "Дороги" in r.last_text()
    async with services.uow() as uow:
        user = await uow.session.scalar(select(User).where(User.external_id == 3102))
        assert user.language == "ru"
    assert env.fake.rejected == []


async def test_notification_keeps_the_language_it_was_queued_in(env, services):
    org_id = await staff(env, services)
    r = env.resident(3103)
    await komi_consent(r)
    await file_in_komi(r)
    async with services.uow() as uow:  # accepted while the resident reads Komi: the row is written in Komi
        signal = await uow.session.scalar(select(Signal))
        await queue_cases.accept(services, uow, await staff_user(uow, MOD), signal.id, org_id)
        await uow.commit()
    await r.say("/lang")
    await r.press("Русский")  # switched before the notifier delivered it
    async with notifier(env):
        await env.fake.wait_for(lambda: any("босьтӧма уджӧ" in text for text in r.texts()), timeout=10)
    async with services.uow() as uow:
        rows = (await uow.session.scalars(select(OutboxMessage))).all()
        assert await uow.session.scalar(select(func.count(OutboxMessage.id))) >= 1
    told = [row for row in rows if row.peer_id == 3103]
    assert len(told) == 1 and "босьтӧма уджӧ" in told[0].payload[0]["text"]
    assert not any("принято в работу и направлено" in text for text in r.texts())
    assert env.fake.rejected == []


async def test_telegram_komi_user_starts_in_komi_and_gets_komi_commands(services):
    async with telegram_bot(services) as (fake, channel, progress):
        default = fake.commands[(json.dumps({"type": "default"}), "")]
        komi = fake.commands[(json.dumps({"type": "default"}), "kv")]  # setMyCommands with language_code=kv
        assert {c["command"]: c["description"] for c in default}["new"] == t("ru", "command.new")
        assert {c["command"]: c["description"] for c in komi}["new"] == t("kv", "command.new")
        fake.users[3104] = {"id": 3104, "is_bot": False, "first_name": "Ольга", "language_code": "kv"}
        r = TgResident(fake, Env(progress), 3104, "Ольга")
        await r.say("/start")
        assert r.texts()[0].startswith("Видза оланныд!")
        await r.press(t("kv", "btn-consent"))
        await r.say("/lang")
        await r.press("Русский")
        chat = fake.commands[(json.dumps({"chat_id": 3104, "type": "chat"}, sort_keys=True), "")]
        assert {c["command"]: c["description"] for c in chat}["new"] == t("ru", "command.new")
        assert fake.rejected == []


class Env:
    def __init__(self, progress):
        self.progress = progress
