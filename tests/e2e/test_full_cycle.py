"""From filing to a rated answer across channels: a resident on VK, a moderator and an executor on
Telegram, with notifications delivered by the notifier through both fake platforms."""

from __future__ import annotations

from contextlib import AsyncExitStack, asynccontextmanager

from sqlalchemy import select

from bot.bootstrap import build_notifier
from bot.config import load_settings
from handlers import roles
from handlers.i18n import t
from storage.models import Answer, Organization, Signal
from tests.e2e.tg_harness import TOKEN as TG_TOKEN
from tests.e2e.tg_harness import TgResident, start_telegram
from tests.e2e.vk_harness import GROUP_ID, VkResident, start_vk
from tests.e2e.vk_harness import TOKEN as VK_TOKEN
from tests.fakes.telegram_server import FakeTelegram
from tests.fakes.vk_server import FakeVK

ORG = "Администрация МО ГО «Сыктывкар»"
MOD, EXE, RES = 8101, 8102, 8103


class Env:
    def __init__(self, progress):
        self.progress = progress


@asynccontextmanager
async def world(services):
    async with AsyncExitStack() as stack:
        tg = await stack.enter_async_context(FakeTelegram(token=TG_TOKEN))
        vk = await stack.enter_async_context(FakeVK(token=VK_TOKEN, group_id=GROUP_ID))
        tg_channel, tg_progress = await start_telegram(services, tg)
        stack.push_async_callback(tg_channel.stop)
        vk_channel, vk_progress = await start_vk(services, vk)
        stack.push_async_callback(vk_channel.stop)
        settings = load_settings(notify_sweep_seconds=1.0, notify_backoff_base_seconds=0.1)
        notifier = build_notifier(settings, services, [tg_channel, vk_channel])
        await notifier.start()
        stack.push_async_callback(notifier.stop)
        yield tg, vk, Env(tg_progress), Env(vk_progress)


async def setup_staff(services, channel: str = "telegram", *other_orgs: str):
    """ORG answers everything in Сыктывкар; MOD moderates, EXE answers for ORG on `channel`."""
    async with services.uow() as uow:
        org = Organization(name=ORG)
        uow.session.add_all([org, *(Organization(name=name) for name in other_orgs)])
        await uow.session.flush()
        for m in await uow.catalog.municipalities():
            if m.name == "Сыктывкар":
                for c in await uow.catalog.categories():
                    await uow.catalog.set_route(m.id, c.id, org.id)
        await roles.grant(uow, f"{channel}:{MOD}", "moderator")
        await roles.grant(uow, f"{channel}:{EXE}", "executor", ORG)
        await uow.commit()


async def consent(person):
    await person.say("/start")
    await person.press("Согласен")


async def wait_text(fake, peer, needle, timeout=10.0):
    def found():
        for m in fake.sent_messages(peer):
            if needle in (m.get("plain") or m.get("message") or m.get("text") or ""):
                return True
        return False

    await fake.wait_for(found, timeout=timeout)


async def test_vk_resident_telegram_staff_full_cycle(services):
    await setup_staff(services)
    async with world(services) as (tg, vk, tg_env, vk_env):
        mod, exe = TgResident(tg, tg_env, MOD, "Мария"), TgResident(tg, tg_env, EXE, "Иван")
        res = VkResident(vk, vk_env, RES, "Ольга")
        for person in (mod, exe, res):
            await consent(person)

        await res.say("/new")
        await res.press("Сыктывкар")
        await res.press("Дороги")
        await res.say("Глубокая яма на Коммунистической у дома 10, машины объезжают по встречке")
        await res.press("Пропустить")
        await res.say("ул. Коммунистическая, 10")
        await res.press("✅ Отправить")
        async with services.uow() as uow:
            signal = await uow.session.scalar(select(Signal))
        await wait_text(tg, MOD, f"Новое обращение №{signal.number}")  # the notifier told the moderator

        await mod.say("/queue")
        await mod.press(f"№{signal.number}")
        await mod.press(t("ru", "staff-btn-accept"))
        await mod.press("✅ Администрация")
        assert "принято в работу" in mod.last_text()
        await wait_text(tg, EXE, signal.number)  # the task reached the executor
        await wait_text(vk, RES, "принято в работу")  # and the resident heard it was accepted

        await exe.say("/tasks")
        await exe.press(f"№{signal.number}")
        await exe.press(t("ru", "staff-btn-answer-button"))
        await exe.press(t("ru", "staff-btn-answer-kind-buttons.refusal"))
        await exe.say("Яма будет засыпана щебнем.")
        await exe.press("Пропустить")
        await exe.press(t("ru", "staff-btn-submit"))
        await wait_text(tg, MOD, "ждёт проверки")

        await mod.say("/review")
        await mod.press(f"№{signal.number}")
        await mod.press(t("ru", "staff-btn-return"))
        await mod.press(t("ru", "staff-btn-return-labels.no_date"))
        await mod.say("Укажите дату ремонта.")
        await mod.press(t("ru", "staff-btn-return-send"))
        await wait_text(tg, EXE, "Укажите дату ремонта.")

        await exe.say("/tasks")
        await exe.press(f"№{signal.number}")
        await exe.press(t("ru", "staff-btn-answer-button"))
        await exe.press(t("ru", "staff-btn-answer-kind-buttons.refusal"))
        await exe.say("Яма засыпана щебнем 3 июня, асфальтирование участка — до 20 июня силами МБУ «Дорожник».")
        await exe.press("Пропустить")
        await exe.press(t("ru", "staff-btn-submit"))

        await mod.say("/review")
        await mod.press(f"№{signal.number}")
        await mod.press(t("ru", "staff-btn-publish"))
        await wait_text(vk, RES, "до 20 июня")  # the published answer reached the resident on VK
        answer_messages = [m for m in vk.sent_messages(RES) if "до 20 июня" in m["message"]]
        assert len(answer_messages) == 1, answer_messages
        keyboard = answer_messages[0]["keyboard"]
        labels = [b["action"].get("label") for row in keyboard["buttons"] for b in row]
        assert t("ru", "btn-rate-up") in labels and t("ru", "btn-rate-down") in labels

        await res.press(t("ru", "btn-rate-up"))
        async with services.uow() as uow:
            signal = await uow.signals.get(signal.id)
            versions = list(await uow.session.scalars(select(Answer.version).where(Answer.signal_id == signal.id)))
        assert signal.status == "closed" and sorted(versions) == [1, 2]
        assert tg.rejected == [] and vk.rejected == []
