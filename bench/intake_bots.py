"""Timed residents for the intake benchmark, and the bare echo bots that set its ceiling."""

from __future__ import annotations

import asyncio
import io
import itertools
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

import jconfig
import vk_api
from aiogram import Bot, Dispatcher
from aiogram.types import CallbackQuery, Message
from PIL import Image
from vk_api.bot_longpoll import VkBotLongPoll

from handlers.i18n import t
from tests.e2e.tg_harness import TgResident
from tests.e2e.vk_harness import VkResident
from tests.fakes.telegram_server import FakeTelegram, bad
from tests.fakes.vk_server import FakeVK
from tests.fakes.vk_transport import redirect_vk_api

STEP_TIMEOUT = 120.0
LOCATION = (61.67, 50.84)  # Syktyvkar: inside the region


def location(n: int) -> tuple[float, float]:
    """A place of its own for resident n, at least 300 m from every other resident's (same category), so
    the «already reported nearby?» step never turns a benchmark filing into a «me too»."""
    return LOCATION[0] + (n % 1_000_000) * 0.003, LOCATION[1] + (n // 1_000_000) * 0.05


class BenchTelegram(FakeTelegram):
    """FakeTelegram whose photos are one size (read from the header, no thumbnails): the fake's own
    Pillow work would otherwise run on the event loop the measured bot shares."""

    def _photo_sizes(self, data: bytes, check: bool) -> list[dict]:
        try:
            with Image.open(io.BytesIO(data)) as img:
                width, height = img.size
        except Exception:  # noqa: BLE001 - not an image
            if check:
                raise bad("IMAGE_PROCESS_FAILED") from None
            width, height = 1280, 960
        rec = self._store_file("photo", data)
        sizes = [{"file_id": rec["file_id"], "file_unique_id": rec["file_unique_id"], "file_size": len(data),
                  "width": width, "height": height}]
        rec["sizes"] = sizes
        return sizes


class Tracker(Counter):
    """Stands in for a channel's `handled` counter: each increment resolves whoever waits for it, timed."""

    def __init__(self) -> None:
        super().__init__()
        self._waiters: dict[int, tuple[int, asyncio.Future[float]]] = {}

    def __setitem__(self, key: int, value: int) -> None:
        super().__setitem__(key, value)
        waiter = self._waiters.get(key)
        if waiter is not None and value >= waiter[0] and not waiter[1].done():
            waiter[1].set_result(time.perf_counter())

    def expect(self, key: int, count: int = 1) -> asyncio.Future[float]:
        future = asyncio.get_running_loop().create_future()
        self._waiters[key] = (self[key] + count, future)
        return future

    def bump(self, key: int) -> None:
        self[key] += 1


@dataclass
class Sample:
    kind: str  # text, press, photo, location
    latency: float  # seconds from the update entering the fake to the bot finishing it
    key: str | None  # the inbox update key, for the received_at / handled_at breakdown
    pushed: float  # wall clock


@dataclass
class Run:
    tracker: Tracker
    samples: list[Sample] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    sends: list[float] = field(default_factory=list)  #: seconds per reply send on the platform (VK intake)


class Timed:
    """Replaces the harness's wait on the shared progress event (which wakes every resident on every
    update) with a per-resident future; records the latency of each step."""

    run: Run
    user_id: int
    kind = "text"

    async def _after(self, push, count: int = 1) -> list[dict]:  # type: ignore[no-untyped-def]
        future = self.run.tracker.expect(self.user_id, count)
        raw = push()
        wall, start = time.time(), time.perf_counter()
        done = await asyncio.wait_for(future, STEP_TIMEOUT)
        key = None
        if isinstance(raw, dict):  # the inbox's update key: Telegram's update_id, VK's event_id
            key = str(raw["update_id"]) if "update_id" in raw else raw.get("event_id")
        self.run.samples.append(Sample(self.kind, done - start, key, wall))
        return []


class TgIntakeResident(Timed, TgResident):
    def __init__(self, fake: FakeTelegram, run: Run, user_id: int) -> None:
        TgResident.__init__(self, fake, None, user_id, "Житель")
        self.run = run


class VkIntakeResident(Timed, VkResident):
    def __init__(self, fake: FakeVK, run: Run, user_id: int) -> None:
        VkResident.__init__(self, fake, None, user_id, "Житель")
        self.run = run

    def _message(self, text: str = "", **kw) -> dict:  # type: ignore[no-untyped-def, override]
        return self.fake.user_message(self.user_id, text, **kw)  # the event, for its inbox key


class TgEchoResident(Timed):
    """The same update kinds, sent to an echo bot (buttons: any callback on the bot's last message)."""

    def __init__(self, fake: FakeTelegram, run: Run, user_id: int) -> None:
        self.fake, self.run, self.user_id = fake, run, user_id

    async def say(self, text: str) -> list[dict]:
        return await self._after(lambda: self.fake.user_text(self.user_id, text, "Житель"))

    async def press(self, _label: str) -> list[dict]:
        last = self.fake.last_message(self.user_id)["message_id"]
        return await self._after(lambda: self.fake.user_callback(self.user_id, last, "echo", check=False))

    async def photo(self, data: bytes) -> list[dict]:
        return await self._after(lambda: self.fake.user_photo(self.user_id, data))

    async def location(self, lat: float, lon: float) -> list[dict]:
        return await self._after(lambda: self.fake.user_location(self.user_id, lat, lon))


class VkEchoResident(Timed):
    def __init__(self, fake: FakeVK, run: Run, user_id: int) -> None:
        self.fake, self.run, self.user_id = fake, run, user_id

    async def say(self, text: str) -> list[dict]:
        return await self._after(lambda: self.fake.user_message(self.user_id, text))

    async def press(self, _label: str) -> list[dict]:
        cmid = self.fake.sent_messages(self.user_id)[-1]["conversation_message_id"]
        return await self._after(lambda: self.fake.user_presses(self.user_id, {"b": "echo"}, cmid))

    async def photo(self, data: bytes) -> list[dict]:
        return await self._after(lambda: self.fake.user_message(
            self.user_id, attachments=[self.fake.photo_attachment(data)]))

    async def location(self, lat: float, lon: float) -> list[dict]:
        return await self._after(lambda: self.fake.user_message(self.user_id, geo=(lat, lon)))


def intake_steps(r, n: int, photo: bytes) -> list:  # type: ignore[no-untyped-def]
    """The whole intake dialog: 10 updates, one of them a photo."""
    return [
        ("text", r.say, ("/start",)),
        ("press", r.press, (t("ru", "btn-consent"),)),
        ("text", r.say, ("/new",)),
        ("press", r.press, ("Сыктывкар",)),
        ("press", r.press, ("Дороги",)),
        ("text", r.say, (f"Житель {n}: яма во дворе дома {n % 97 + 1} на улице Ленина, уже месяц",)),
        ("photo", r.photo, (photo,)),
        ("press", r.press, (t("ru", "btn-done"),)),
        ("location", r.location, location(n)),
        ("press", r.press, (t("ru", "btn-send"),)),
    ]


async def walk(r, steps: list, think: float, rng) -> bool:  # type: ignore[no-untyped-def]
    """Take the steps in order; `think` > 0 pauses a random 0.5-1.5 x think before each."""
    for kind, fn, args in steps:
        if think:
            await asyncio.sleep(rng.uniform(0.5, 1.5) * think)
        r.kind = kind
        try:
            await fn(*args)
        except (TimeoutError, AssertionError, LookupError, IndexError) as exc:
            r.run.failures.append(f"user {r.user_id} at {kind}: {type(exc).__name__}: {str(exc)[:200]}")
            return False
    return True


def tg_echo(run: Run) -> Dispatcher:
    """A plain aiogram echo bot: a message gets its text back, a button press an answer and a message."""
    dp = Dispatcher()

    @dp.message()
    async def on_message(message: Message) -> None:
        await message.answer(message.text or "echo")
        run.tracker.bump(message.chat.id)

    @dp.callback_query()
    async def on_callback(query: CallbackQuery, bot: Bot) -> None:
        await query.answer()
        await bot.send_message(query.from_user.id, query.data or "echo")
        run.tracker.bump(query.from_user.id)

    return dp


class VkEcho:
    """A bare, synchronous vk_api long-poll echo bot in its own thread (how vk_api bots are usually written)."""

    def __init__(self, fake: FakeVK, run: Run, rps: float) -> None:
        self.fake, self.run = fake, run
        self.vk = vk_api.VkApi(token=fake.token, api_version="5.199", config=jconfig.MemoryConfig)
        self.vk.RPS_DELAY = 1.0 / rps
        redirect_vk_api(self.vk, fake.base_url)
        self.stopping = threading.Event()
        self.loop = asyncio.get_running_loop()
        self.thread = threading.Thread(target=self._run, name="vk-echo", daemon=True)
        self.random_ids = itertools.count(1)

    def start(self) -> None:
        self.thread.start()

    def _send(self, peer: int, text: str) -> None:
        self.vk.method("messages.send", {"peer_id": peer, "message": text, "random_id": next(self.random_ids)})

    def _run(self) -> None:
        poll = VkBotLongPoll(self.vk, self.fake.group_id, wait=2)
        while not self.stopping.is_set():
            try:
                events = poll.check()
            except Exception:  # the fake stopped, or a hiccup: stop or try again
                self.stopping.wait(0.05)
                continue
            for event in events:
                obj = event.raw["object"]
                if event.raw["type"] == "message_new":
                    peer = obj["message"]["peer_id"]
                    self._send(peer, obj["message"].get("text") or "echo")
                elif event.raw["type"] == "message_event":
                    peer = obj["peer_id"]
                    self.vk.method("messages.sendMessageEventAnswer",
                                   {"event_id": obj["event_id"], "user_id": obj["user_id"], "peer_id": peer})
                    self._send(peer, "echo")
                else:
                    continue
                self.loop.call_soon_threadsafe(self.run.tracker.bump, peer)

    async def stop(self) -> None:
        self.stopping.set()
        await asyncio.to_thread(self.thread.join, 15)
