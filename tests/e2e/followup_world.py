"""A world for «was it fixed?» scenarios: one channel (Telegram or VK) for residents and staff, the notifier,
a controllable clock, a restart on the same fake server, and a signal answered through the dialogs."""

from __future__ import annotations

from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.bootstrap import build_notifier
from bot.config import load_settings
from handlers.cases.answer_rules import fmt
from handlers.i18n import t
from handlers.workdays import add_workdays, is_workday
from storage.models import Signal
from tests.e2e.conftest import FAKES, RESIDENTS, STARTERS
from tests.e2e.test_full_cycle import MOD, setup_staff, wait_text
from tests.images import jpeg_with_gps

MSK = ZoneInfo("Europe/Moscow")
RES, NEIGHBOUR, STRANGER = 8203, 8204, 8205
OTHER = "ООО «Теплосеть Сыктывкара»"


def at_day(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), MSK).astimezone(UTC)


def holiday_ahead(start: date) -> tuple[date, date]:
    """(a working day D, the next working day after it) with a weekday holiday in between, at least a
    month from `start` (New Year, 23 February, 8 March, the May days, 12 June, 4 November)."""
    day = start + timedelta(days=30)
    while True:
        following = add_workdays(day, 1)
        between = [day + timedelta(days=n) for n in range(1, (following - day).days)]
        if is_workday(day) and any(d.weekday() < 5 and not is_workday(d) for d in between):
            return day, following
        day += timedelta(days=1)


class Env:
    def __init__(self) -> None:
        self.progress = None


class World:
    """Bots on one channel; `restart()` replaces the bot process and the notifier, the fake stays."""

    def __init__(self, services, channel: str, start: datetime) -> None:
        self.services, self.channel_name = services, channel
        self.clock = {"now": start}
        services.clock = lambda: self.clock["now"]
        self.fake = FAKES[channel]()
        self.env = Env()
        self.running: list = []

    def person(self, user_id: int, name: str):
        return RESIDENTS[self.channel_name](self.fake, self.env, user_id, name)

    async def start(self) -> None:
        channel, self.env.progress = await STARTERS[self.channel_name](self.services, self.fake)
        settings = load_settings(notify_sweep_seconds=1.0, notify_backoff_base_seconds=0.1)
        notifier = build_notifier(settings, self.services, [channel])
        await notifier.start()
        self.running = [notifier, channel]

    async def stop(self) -> None:
        for part in self.running:
            await part.stop()
        self.running = []

    async def restart(self) -> None:
        await self.stop()
        await self.start()

    async def wait_text(self, peer: int, needle: str) -> None:
        await wait_text(self.fake, peer, needle)

    def set_day(self, day: date, hour: int = 10) -> None:
        self.clock["now"] = at_day(day, hour)


@asynccontextmanager
async def followup_world(services, channel: str, start: datetime):
    world = World(services, channel, start)
    await world.fake.start()
    try:
        await world.start()
        yield world
    finally:
        await world.stop()
        await world.fake.stop()


async def staff_and_routes(services, channel: str) -> None:
    await setup_staff(services, channel, OTHER)


async def consent(person) -> None:
    await person.say("/start")
    await person.press("Согласен")


async def file_and_accept(world: World, res, mod) -> Signal:
    await res.say("/new")
    await res.press("Сыктывкар")
    await res.press("Дороги")
    await res.say("Глубокая яма на Коммунистической у дома 10, машины объезжают по встречке")
    await res.photo(jpeg_with_gps())
    await res.press("Готово")
    await res.say("ул. Коммунистическая, 10")
    await res.press("✅ Отправить")
    async with world.services.uow() as uow:
        signal = await uow.session.scalar(select(Signal).order_by(Signal.id.desc()))
    await mod.say("/queue")
    await mod.press(f"№{signal.number}")
    await mod.press(t("ru", "staff-btn-accept"))
    await mod.press("✅ Администрация")
    return signal


async def answer(world: World, exe, mod, signal: Signal, kind: str, *, promised: date | None = None,
                 text: str = "Яма на Коммунистической у дома 10 заделана литым асфальтом, фото прилагаем.") -> None:
    """The executor answers with `kind` (a photo of the result for «Устранено»), the moderator publishes."""
    await exe.say("/tasks")
    await exe.press(f"№{signal.number}")
    await exe.press(t("ru", "staff-btn-answer-button"))
    await exe.press(t("ru", f"staff-btn-answer-kind-buttons.{kind}"))
    if kind == "planned":
        await exe.say(fmt(promised))
    elif kind == "not_ours":
        await exe.say("ООО «Теплосеть Сыктывкара»")
    await exe.say(text)
    if kind == "fixed":
        await exe.photo(jpeg_with_gps(color=(20, 160, 40)))
        await exe.press("Готово")
    else:
        await exe.press("Пропустить")
    await exe.press(t("ru", "staff-btn-submit"))
    await world.wait_text(MOD, "ждёт проверки")
    await mod.say("/review")
    await mod.press(f"№{signal.number}")
    if kind != "not_ours":
        await mod.press(t("ru", "staff-btn-publish"))
