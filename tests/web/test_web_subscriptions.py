"""/subscriptions in the web chat over real HTTP on both databases: the same dialog as Telegram and VK —
listed from the main menu, «Отписаться» leaves, following again comes back."""

from __future__ import annotations

from sqlalchemy import select

from handlers.i18n import t
from storage.models import Signal, Subscription
from tests.web.harness import WebVisitor, web_instance
from tests.web.test_web_http import SYKTYVKAR, consent


async def following(services) -> list[int]:
    async with services.uow() as uow:
        return list(await uow.session.scalars(select(Subscription.user_id)))


async def test_a_web_resident_lists_and_leaves_their_subscription(services, db_url, tmp_path):
    async with web_instance(services, db_url, tmp_path) as instance, WebVisitor(instance) as v:
        await consent(v)
        await v.say("/new")
        await v.press("Сыктывкар")
        await v.press("Дороги")
        await v.say("Не горит фонарь у остановки «Школьная» уже неделю")
        await v.press("Пропустить")
        await v.location(*SYKTYVKAR)
        await v.press("✅ Отправить")
        async with services.uow() as uow:
            signal = await uow.session.scalar(select(Signal))
        assert len(await following(services)) == 1  # the author follows what they filed

        await v.say("/menu")
        listed = await v.press(t("ru", "btn-subscriptions"))
        assert any(f"№{signal.number}" in x and "подали вы" in x for x in listed), listed
        left = await v.press("🔕 Отписаться")
        assert any("Вы отписались" in x and signal.number in x for x in left), left
        assert await following(services) == []
        assert any(t("ru", "subs-empty")[:40] in x for x in await v.say("/subscriptions"))
        again = await v.press("🔔 Подписаться снова")  # the button under «Вы отписались»
        assert any(t("ru", "subs-following", number=signal.number).replace("<b>", "").replace("</b>", "") in x
                   for x in again), again
        assert len(await following(services)) == 1
