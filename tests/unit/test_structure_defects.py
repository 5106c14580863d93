"""Defects found while restructuring: the Telegram 429 wait within the outbox lease, a flood gate that
forgets, the layer direction the README states, and a configuration table that lists every setting."""

from __future__ import annotations

import ast
import asyncio
import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from aiogram.exceptions import TelegramRetryAfter
from aiogram.methods import SendMessage

from bot.config import Settings
from bot.telegram.sender import TelegramSender
from handlers.peers import FloodGate
from handlers.types import Say
from notifier.sender import RetryAfter

ROOT = Path(__file__).resolve().parents[2]


class SlowDownBot:
    """A Bot API stand-in (bot.telegram.api.BotApi's one method) answering 429 (retry_after 20 s) to the
    first `refusals` sendMessage calls."""

    def __init__(self, refusals: int) -> None:
        self.refusals, self.sent = refusals, []

    async def call(self, method, params):  # type: ignore[no-untyped-def]
        assert method == "sendMessage"
        if self.refusals:
            self.refusals -= 1
            raise TelegramRetryAfter(SendMessage(chat_id=params["chat_id"], text=params["text"]),
                                     "Too Many Requests", 20)
        self.sent.append(params["text"])
        return {"message_id": len(self.sent)}


async def test_inline_429_waits_stay_within_the_budget_and_reach_the_limiter(monkeypatch):
    slept: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        slept.append(seconds)

    monkeypatch.setattr(asyncio, "sleep", fake_sleep)
    bot = SlowDownBot(refusals=3)
    sender = TelegramSender(bot, SimpleNamespace(signing_key=b"k"), max_inline_wait=15.0, api=bot)  # type: ignore[arg-type]
    penalties: list[tuple[int, float]] = []
    sender.penalize_with(lambda peer, seconds: penalties.append((peer, seconds)))
    replies = [Say("первое"), Say("второе")]
    bot.refusals = 0
    await sender.send(7, replies[:1], key="r1")  # a free chat: delivered at once
    bot.refusals = 3
    with pytest.raises(RetryAfter) as caught:
        await sender.send(7, replies, key="r2")  # 3 × 20 s would exceed the lease: handed back at once
    assert caught.value.seconds == 20 and slept == [] and penalties == [(7, 20.0)]
    assert bot.sent == ["первое"]
    bot.refusals = 0
    await sender.send(7, replies, key="r2")  # the worker's retry of the same row
    assert bot.sent == ["первое", "первое", "второе"]


async def test_a_retry_continues_after_the_messages_already_delivered(monkeypatch):
    async def fake_sleep(seconds: float) -> None:
        return None

    monkeypatch.setattr(asyncio, "sleep", fake_sleep)
    bot = SlowDownBot(refusals=0)
    sender = TelegramSender(bot, SimpleNamespace(signing_key=b"k"), max_inline_wait=15.0, api=bot)  # type: ignore[arg-type]
    original = bot.call
    calls = {"n": 0}

    async def second_call_refused(method, params):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 2:
            raise TelegramRetryAfter(SendMessage(chat_id=params["chat_id"], text=params["text"]),
                                     "Too Many Requests", 40)
        return await original(method, params)

    bot.call = second_call_refused  # type: ignore[method-assign]
    with pytest.raises(RetryAfter):
        await sender.send(8, [Say("раз"), Say("два"), Say("три")], key="row-9")
    await sender.send(8, [Say("раз"), Say("два"), Say("три")], key="row-9")
    assert bot.sent == ["раз", "два", "три"]  # «раз» went out once


def test_flood_gate_forgets_people_who_went_quiet():
    now = [0.0]
    gate = FloodGate(limit=2, window=60.0, clock=lambda: now[0])
    for person in range(1000):
        assert gate.allow(("vk", person))
    assert len(gate) == 1000
    assert gate.allow(("vk", 1)) and not gate.allow(("vk", 1))  # still limited within the window
    now[0] = 200.0
    assert gate.allow(("vk", 5000))
    assert len(gate) == 1  # everyone quiet for a whole window is forgotten


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def _layer_imports(layer: str) -> dict[str, set[str]]:
    return {str(p.relative_to(ROOT)): _imports(p) for p in (ROOT / layer).rglob("*.py")
            if "migrations" not in p.parts}


def test_imports_go_the_way_the_readme_says():
    """bot → handlers → storage, bot → notifier → storage; notifier uses at most handlers.types."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "Imports go `bot → handlers → storage` and `bot → notifier → storage`" in readme

    def offenders(layer: str, allowed) -> list[str]:  # type: ignore[no-untyped-def]
        return sorted(f"{path}: {name}" for path, names in _layer_imports(layer).items()
                      for name in names if not allowed(name))

    def top(name: str) -> str:
        return name.split(".")[0]

    assert offenders("storage", lambda n: top(n) not in ("bot", "handlers", "notifier")) == []
    assert offenders("handlers", lambda n: top(n) not in ("bot", "notifier")) == []
    assert offenders("notifier", lambda n: top(n) != "bot" and (
        top(n) != "handlers" or n in ("handlers", "handlers.types") or n.startswith("handlers.types."))) == []
    platform = ("aiogram", "vk_api")
    for layer in ("handlers", "storage", "notifier"):
        assert offenders(layer, lambda n: top(n) not in platform) == []


def test_notifier_holds_no_product_rules_and_no_texts():
    for path in (ROOT / "notifier").rglob("*.py"):
        source = path.read_text(encoding="utf-8")
        assert "lifecycle" not in source and "status" not in source, path
        assert not re.search(r"[А-Яа-яЁё]", source), f"{path}: Russian text belongs to handlers/"


def test_dialogs_and_use_cases_contain_no_sql():
    """(The conversation hands its session to storage/inbox.py, the hot path's own compiled statements.)"""
    for path in (ROOT / "handlers").rglob("*.py"):
        lines = path.read_text(encoding="utf-8").splitlines()
        code = [line for line in lines if not (path.name == "conversation.py" and "await inbox." in line)]
        assert not [line for line in code if "select(" in line or "uow.session" in line], path
        assert not [line for line in code if line.startswith(("from sqlalchemy import", "from sqlalchemy.orm import"))], path


def test_readme_configuration_table_lists_every_setting():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    first_cells = [line.split("|")[1] for line in section.splitlines() if line.startswith("| `")]
    listed = {name for cell in first_cells for name in re.findall(r"`([A-Z][A-Z0-9_]+)`", cell)}
    settings = {name.upper() for name in Settings.model_fields}
    assert settings - listed == set(), "settings missing from the README's configuration table"
    assert listed - settings == set(), "the README lists settings the code does not have"
