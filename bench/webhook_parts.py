"""Webhook benchmark parts: the dialog's steps, a fake that clocks replies, and the inbox's in-process cost."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import Counter
from pathlib import Path

from sqlalchemy import event

import storage.inbox as storage_inbox
from bench.common import Databases, make_services
from bench.intake_bots import Tracker
from bot.telegram.channel import TelegramChannel, make_bot
from handlers.conversation import Conversation
from tests.fakes.telegram_server import FakeTelegram

TOKEN = "123456:BENCH-WEBHOOK"
STEPS = [("say", "/start", "согласие"), ("press", "Согласен", "Спасибо"), ("say", "/new", "Шаг 1"),
         ("press", "Сыктывкар", "Шаг 2"), ("press", "Дороги", "Шаг 3"),
         ("say", "Житель {n}: яма во дворе дома {n} по улице Ленина", "Шаг 4"),
         ("press", "Пропустить", "Шаг 5"), ("say", "ул. Тестовая, {n}", "Проверьте"),
         ("press", "✅ Отправить", "принято")]


class ReplyClock(FakeTelegram):
    """FakeTelegram that resolves a per-chat future when a bot message containing a marker is sent."""

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.waiters: dict[int, tuple[str, asyncio.Future[float]]] = {}

    def _new_message(self, method: str, params: dict, content: dict, text_param: str = "text") -> dict:
        msg = super()._new_message(method, params, content, text_param)
        waiter = self.waiters.get(params["chat_id"])
        if waiter and waiter[0] in (msg.get("text") or msg.get("caption") or "") and not waiter[1].done():
            waiter[1].set_result(time.perf_counter())
        return msg

    def update_for(self, uid: int, kind: str, arg: str) -> dict:
        """The update a person's step sends: text, or a press of the newest inline button so labelled."""
        if kind == "press":
            for rec in reversed(self.sent_messages(uid)):
                for row in (rec.get("reply_markup") or {}).get("inline_keyboard", []):
                    for button in row:
                        if button["text"].startswith(arg):
                            return self.user_callback(uid, rec["message_id"], button["callback_data"])
        return self.user_text(uid, arg, "Житель")


INBOX_QUERIES = {"pending_for_peer": "pending read (inbox.pending_for_peer)",
                 "mark_handled": "mark handled (in the turn)", "journal_replies": "journal replies (in the turn)"}


async def inbox_cost(dbs: Databases, tmp: Path, residents: int) -> dict:
    """Time the inbox's own work per update in a TelegramChannel (no polling, no HTTP), one resident at a time."""
    services = make_services(await dbs.postgresql(), tmp / "inbox-media")
    sql = Counter()
    engine = services.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", lambda *_: sql.update(["statements"]))
    event.listen(engine, "begin", lambda *_: sql.update(["tx"]))
    spent: Counter[str] = Counter()
    calls: Counter[str] = Counter()

    def timed(name: str, fn):  # type: ignore[no-untyped-def]
        async def wrapper(*args, **kwargs):  # type: ignore[no-untyped-def]
            started = time.perf_counter()
            try:
                return await fn(*args, **kwargs)
            finally:
                spent[name] += time.perf_counter() - started
                calls[name] += 1
        return wrapper

    originals = {name: getattr(storage_inbox, name) for name in INBOX_QUERIES}
    async with ReplyClock(token=TOKEN) as fake:
        channel = TelegramChannel(make_bot(TOKEN, fake.base_url), services, Conversation(services), poll=False)
        channel.handled = tracker = Tracker()
        await channel.start()
        channel.inbox.store = timed("store (InboxProcessor.store)", channel.inbox.store)
        channel.inbox.replied = timed("replied (InboxProcessor.replied)", channel.inbox.replied)
        for name, label in INBOX_QUERIES.items():
            setattr(storage_inbox, name, timed(label, originals[name]))
        handling, updates = 0.0, 0
        try:
            for n in range(-1, residents):  # -1: a warm-up resident, not counted
                if n == 0:
                    for counter in (spent, calls, sql):
                        counter.clear()
                    handling, updates = 0.0, 0
                uid = 40_000_000 + n + 1
                for kind, arg, _marker in STEPS:
                    update = fake.update_for(uid, kind, arg.format(n=n + 1))
                    done = tracker.expect(uid)
                    started = time.perf_counter()
                    await channel.ingest([update])
                    handling += await asyncio.wait_for(done, 60) - started
                    updates += 1
        finally:
            for name, fn in originals.items():
                setattr(storage_inbox, name, fn)
            await channel.stop()
            await services.db.dispose()
    ops = {name: (spent[name] * 1000 / updates, calls[name] / updates) for name in spent}
    own_tx = sum(calls[k] for k in calls if not k.startswith(("mark", "journal")))
    return {"updates": updates, "ops": ops, "inbox_ms": sum(spent.values()) * 1000 / updates,
            "handling_ms": handling * 1000 / updates, "tx": sql["tx"] / updates, "inbox_tx": own_tx / updates,
            "statements": sql["statements"] / updates}


async def race_check(dbs: Databases, tmp: Path, residents: int) -> dict:
    """Two channels (each its own pool, as two instances) on one database, updates dealt to them in turn
    like nginx's round robin: how often the other instance's drain also takes an update (a turn that ends
    as a duplicate after waiting for the first one's row lock)."""
    url = await dbs.postgresql()
    outcomes: Counter[str] = Counter()
    channels = []
    async with ReplyClock(token=TOKEN) as fake:
        for i in range(2):
            services = make_services(url, tmp / f"race-media-{i}")
            conversation = Conversation(services)

            async def counted(peer, inp, inbox_ids=(), _handle=conversation.handle):  # type: ignore[no-untyped-def]
                outcome = await _handle(peer, inp, inbox_ids)
                outcomes["duplicate" if outcome.duplicate else "turn"] += 1
                return outcome

            conversation.handle = counted  # type: ignore[method-assign]
            channel = TelegramChannel(make_bot(TOKEN, fake.base_url), services, conversation, poll=False)
            await channel.start()
            channels.append(channel)
        dealt = itertools.count()

        async def resident(n: int) -> None:
            uid = 50_000_000 + n
            for kind, arg, marker in STEPS:
                update = fake.update_for(uid, kind, arg.format(n=n))
                future = asyncio.get_running_loop().create_future()
                fake.waiters[uid] = (marker, future)
                await channels[next(dealt) % 2].ingest([update])
                await asyncio.wait_for(future, 60)

        try:
            await asyncio.gather(*(resident(n) for n in range(residents)))
        finally:
            for channel in channels:
                await channel.stop()
                await channel.services.db.dispose()
    return {"updates": residents * len(STEPS), **outcomes}
