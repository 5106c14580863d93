"""Crash harness: a real `python -m bot run` on one channel (Telegram long polling or VK long poll) against
its fake server, people who act through the fake and see what it recorded, SIGKILL and restart.
Shared by tests/e2e/test_crash_recovery.py and bench/crash.py."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.vk.render import plain as vk_plain
from tests.e2e.multi import ROOT, BotProcess, free_port
from tests.e2e.tg_harness import TOKEN as TG_TOKEN
from tests.e2e.tg_harness import displayed
from tests.e2e.vk_harness import GROUP_ID as VK_GROUP_ID
from tests.e2e.vk_harness import TOKEN as VK_TOKEN
from tests.fakes.telegram_server import FakeTelegram
from tests.fakes.vk_server import FakeVK

CHANNELS = ("telegram", "vk")
POLL_METHODS = {"telegram": "getUpdates", "vk": "groups.getLongPollServer"}
# What a resident sees, in dialog order: a message counts as the step of the first marker it contains.
STEPS = ("согласие", "Спасибо! Теперь", "Шаг 1 из 5", "Шаг 2 из 5", "Шаг 3 из 5", "Шаг 4 из 5", "Шаг 5 из 5",
         "Проверьте обращение", "принято")


def step_of(text: str) -> int | None:
    return next((i for i, marker in enumerate(STEPS) if marker in text), None)


def shown(channel: str, markup: str) -> str:
    """What a resident sees of a reply's HTML text on a channel (VK writes a link as «text (url)»)."""
    return vk_plain(markup) if channel == "vk" else displayed(markup)


def bot_env(channel: str, fake: Any, db_url: str, workdir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "VK_", "WEB_"))}
    env.update({"DATABASE_URL": db_url, "MEDIA_DIR": str(workdir / "media"), "PYTHONPATH": str(ROOT),
                "WEB_ENABLED": "0", "LOG_FORMAT": "json", "LOG_LEVEL": "WARNING",
                "MAX_MESSAGES_PER_MINUTE": "1000", "MAX_SIGNALS_PER_DAY": "100", "LEADER_RETRY_SECONDS": "0.5"})
    if channel == "telegram":
        env.update({"TELEGRAM_BOT_TOKEN": TG_TOKEN, "TELEGRAM_API_URL": fake.base_url})
    else:
        env.update({"VK_GROUP_TOKEN": VK_TOKEN, "VK_GROUP_ID": str(VK_GROUP_ID), "VK_API_URL": fake.base_url})
    return {**env, **extra}


def make_fake(channel: str) -> FakeTelegram | FakeVK:
    return FakeTelegram(token=TG_TOKEN) if channel == "telegram" else FakeVK(token=VK_TOKEN, group_id=VK_GROUP_ID)


@dataclass
class CrashBot:
    """One bot process on one channel; `restart()` is what a supervisor does after the process died."""

    channel: str
    fake: Any
    db_url: str
    workdir: Path
    extra: dict[str, str] = field(default_factory=dict)
    proc: BotProcess | None = None
    started_at: list[float] = field(default_factory=list)  # fake-clock time of each start

    def start(self, now: float) -> None:
        if self.proc is None:
            port = free_port()
            env = bot_env(self.channel, self.fake, self.db_url, self.workdir, HTTP_LISTEN=f"127.0.0.1:{port}",
                          **self.extra)
            self.proc = BotProcess(f"bot-{self.channel}", port, env, self.workdir)
        self.started_at.append(now)
        self.proc.start()

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.kill()

    def first_poll_since(self, since: float) -> float | None:
        """When the fake first saw this channel's polling call at or after `since` (fake-clock time)."""
        method = POLL_METHODS[self.channel]
        return next((t for t, m in self.fake.arrivals if m == method and t >= since), None)

    async def stop(self) -> int | None:
        return await self.proc.sigterm() if self.proc is not None else None

    def tail(self) -> str:
        return self.proc.tail() if self.proc is not None else ""


class Person:
    """A resident acting through the fake server; what they saw is what the fake recorded, in order."""

    def __init__(self, channel: str, fake: Any, user_id: int, name: str = "Иван") -> None:
        self.channel, self.fake, self.user_id, self.name = channel, fake, user_id, name
        if channel == "vk":
            fake.users[user_id] = {"first_name": name, "last_name": ""}

    @property
    def messages(self) -> list[dict]:
        return self.fake.sent_messages(self.user_id)

    def texts(self) -> list[str]:
        if self.channel == "vk":
            return [m["message"] for m in self.messages]
        return [m.get("plain") or displayed(m.get("text") or m.get("caption") or "") for m in self.messages]

    def times(self) -> list[float]:
        return [m["at"] for m in self.messages]

    def steps(self) -> list[int]:
        return [s for s in map(step_of, self.texts()) if s is not None]

    def push_text(self, text: str) -> None:
        if self.channel == "vk":
            self.fake.user_message(self.user_id, text)
        else:
            self.fake.user_text(self.user_id, text, self.name)

    def button(self, label: str) -> tuple[dict, str, str, bool]:
        """(message, label, payload, inline) of the newest button whose label starts with `label`."""
        for msg in reversed(self.messages):
            if self.channel == "vk":
                keyboard = msg.get("keyboard") or {}
                for row in keyboard.get("buttons", []):
                    for b in row:
                        action = b["action"]
                        if action["type"] in ("callback", "text") and action["label"].startswith(label):
                            return msg, action["label"], json.loads(action["payload"])["b"], keyboard["inline"]
            else:
                markup = msg.get("reply_markup") or {}
                for row in markup.get("inline_keyboard", []):
                    for b in row:
                        if b["text"].startswith(label):
                            return msg, b["text"], b["callback_data"], True
                for row in markup.get("keyboard", []):
                    for b in row:
                        text = b["text"] if isinstance(b, dict) else b
                        if text.startswith(label):
                            return msg, text, "", False
        raise AssertionError(f"user {self.user_id}: no button {label!r}; last: {self.texts()[-1:]}")

    def push_press(self, button: tuple[dict, str, str, bool]) -> None:
        """Press a button found earlier (pressing it again later is a stale press, as a real client allows)."""
        msg, label, data, inline = button
        if not inline:
            if self.channel == "vk":
                self.fake.user_message(self.user_id, label, payload={"b": data})
            else:
                self.push_text(label)
        elif self.channel == "vk":
            self.fake.user_presses(self.user_id, {"b": data}, msg["conversation_message_id"])
        else:
            self.fake.user_callback(self.user_id, msg["message_id"], data, check=False)

    async def _step(self, push, expect: str, timeout: float) -> None:  # noqa: ASYNC109
        seen = len(self.messages)
        push()
        await self.fake.wait_for(lambda: any(expect in t for t in self.texts()[seen:]), timeout=timeout)

    async def say(self, text: str, expect: str, timeout: float = 60.0) -> None:  # noqa: ASYNC109
        await self._step(lambda: self.push_text(text), expect, timeout)

    async def press(self, label: str, expect: str, timeout: float = 60.0) -> None:  # noqa: ASYNC109
        button = self.button(label)
        await self._step(lambda: self.push_press(button), expect, timeout)

    def filing_steps(self, n: int) -> list[tuple[str, str, str]]:
        """The whole filing as (kind, what, expected marker) steps."""
        return [("say", "/start", "согласие"), ("press", "Согласен", "Спасибо"), ("say", "/new", "Шаг 1"),
                ("press", "Сыктывкар", "Шаг 2"), ("press", "Дороги", "Шаг 3"),
                ("say", f"Обращение жителя номер {n}: яма во дворе", "Шаг 4"), ("press", "Пропустить", "Шаг 5"),
                ("say", f"ул. Тестовая, {n}", "Проверьте"), ("press", "✅ Отправить", "принято")]

    async def do(self, kind: str, what: str, expect: str, timeout: float = 60.0) -> None:  # noqa: ASYNC109
        await (self.say if kind == "say" else self.press)(what, expect, timeout)
