"""Fan-out benchmark: N answer notifications, half Telegram, half VK, through the fake servers with rate limits.

    python -m bench.notify_fanout                 # 10,000 notifications, both limits x2 (about 2.5 min)
    python -m bench.notify_fanout --scale 1       # the real limits (30/s + 1/s per chat, 20/s): ~4 min

Uses the real TelegramSender (aiogram) and VkSender (vk_api) and the delivery workers, on SQLite unless
--db-url names a migrated PostgreSQL database. Prints throughput as a fraction of each limit, 429 / error-6
counts, duplicates, lost rows, and publish-to-push latency on an idle system.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, insert, select

from bot.config import DEFAULT_REGION_FILE
from bot.telegram.channel import make_bot
from bot.telegram.sender import TelegramSender
from bot.vk.client import VkClient
from bot.vk.sender import VkSender
from handlers.context import DialogConfig, Services
from handlers.types import Button, Say
from notifier.ratelimit import ChannelLimits
from notifier.worker import DeliveryWorker
from storage.db import Database
from storage.media import LocalMediaStore
from storage.migrate import upgrade
from storage.models import OutboxMessage
from storage.region import load_region
from storage.types import utcnow
from tests.fakes.telegram_server import FakeTelegram
from tests.fakes.vk_server import FakeVK

TG_TOKEN, VK_TOKEN = "123456:BENCH", "vk-bench-token"
TG_BASE, VK_BASE = 10_000_000, 20_000_000  # peer ids


def answer(i: int) -> list[dict]:
    text = (f"📬 <b>Ответ на ваше обращение №2026-{i:06d}</b>\nАдминистрация МО ГО «Ухта»:\n\n"
            "Яма заделана, покрытие восстановлено.\n\n<a href=\"https://example.org/s\">Обращение на портале</a>")
    rate = ((Button("👍 Доволен(на)", f"rate:up:{i}"), Button("👎 Не доволен(на)", f"rate:down:{i}")),)
    return [Say(text, rate).to_dict()]


def row(key: str, channel: str, peer: int, i: int) -> dict:
    return {"dedupe_key": key, "channel": channel, "peer_id": peer, "user_id": None, "payload": answer(i),
            "state": "pending", "attempts": 0, "available_at": utcnow(), "created_at": utcnow()}


async def publish(services: Services, rows: list[dict]) -> float:
    """Commit the rows (as publish_answer would) and wake the workers; the perf_counter of the commit."""
    async with services.uow() as uow:
        for start in range(0, len(rows), 1000):
            await uow.session.execute(insert(OutboxMessage), rows[start:start + 1000])
        await uow.commit()
        uow.after_commit(services.wake_outbox)
    return time.perf_counter()


async def idle_latency(services, tg: FakeTelegram, vk: FakeVK, samples: int) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {"telegram": [], "vk": []}
    for i in range(samples):
        for channel, fake, peer in (("telegram", tg, TG_BASE - 1 - i), ("vk", vk, VK_BASE - 1 - i)):
            if channel == "telegram":
                tg.add_chat(peer)
            started = await publish(services, [row(f"idle:{channel}:{i}", channel, peer, i)])
            await fake.wait_for(lambda f=fake, p=peer: f.sent_messages(p), timeout=10)
            out[channel].append((time.perf_counter() - started) * 1000)
    return out


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


async def run(args: argparse.Namespace) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="notify-bench-"))
    url = args.db_url or f"sqlite+aiosqlite:///{tmp / 'bench.sqlite3'}"
    await asyncio.to_thread(upgrade, url)
    services = Services(db=Database(url), config=DialogConfig(), region=load_region(DEFAULT_REGION_FILE),
                        media=LocalMediaStore(tmp / "media"), signing_key=b"bench")
    tg_rate, vk_rate = 30.0 * args.scale, 20.0 * args.scale
    tg = FakeTelegram(TG_TOKEN, rate_limit_global=tg_rate, rate_limit_per_chat=1.0, strict_html=False)
    vk = FakeVK(VK_TOKEN, rate_limit=vk_rate)
    await tg.start()
    await vk.start()
    # vk_api's own pacing holds a lock across each request and waits 1/rps after its answer: left at the
    # limit it, not the notifier, would set VK's pace (--vk-client-rps 20 shows that).
    bot, client = make_bot(TG_TOKEN, tg.base_url), VkClient(VK_TOKEN, vk.base_url, rps=args.vk_client_rps)
    workers = [DeliveryWorker(services, TelegramSender(bot, services), limits=ChannelLimits.telegram(rate=tg_rate),
                              batch=max(50, int(tg_rate))),
               DeliveryWorker(services, VkSender(client, services), limits=ChannelLimits.vk(rate=vk_rate),
                              batch=max(50, int(vk_rate)))]
    for w in workers:
        await w.start()
    try:
        latency = await idle_latency(services, tg, vk, args.samples)
        half = args.n // 2
        rows = [row(f"answer_published:{i}:{i}", "telegram", TG_BASE + i, i) for i in range(half)]
        rows += [row(f"answer_published:{i}:{i}", "vk", VK_BASE + i, i) for i in range(half, args.n)]
        for i in range(half):
            tg.add_chat(TG_BASE + i)
        base_429, base_6 = tg.count_429, vk.count_error6
        started = await publish(services, rows)
        committed = utcnow()
        await finished(services, args.n + 2 * args.samples)
        elapsed = time.perf_counter() - started
    finally:
        for w in workers:
            await w.stop()
        await bot.session.close()
        client.close()
    await report(args, services, tg, vk, latency, elapsed, committed, tg.count_429 - base_429,
                 vk.count_error6 - base_6)
    await tg.stop()
    await vk.stop()
    await services.db.dispose()


async def finished(services: Services, total: int) -> None:
    while True:
        async with services.uow() as uow:
            done = await uow.session.scalar(select(func.count(OutboxMessage.id))
                                            .where(OutboxMessage.state.in_(("sent", "failed", "undeliverable"))))
            await uow.commit()
        if done >= total:
            return
        await asyncio.sleep(0.5)


async def report(args, services, tg, vk, latency, elapsed, committed, n429, n6):  # type: ignore[no-untyped-def]
    half = args.n // 2
    async with services.uow() as uow:
        spans = {c: (last - committed).total_seconds() for c, last in (await uow.session.execute(
            select(OutboxMessage.channel, func.max(OutboxMessage.sent_at))
            .where(OutboxMessage.dedupe_key.like("answer_published:%")).group_by(OutboxMessage.channel))).all()}
        states = dict((await uow.session.execute(select(OutboxMessage.state, func.count(OutboxMessage.id))
                                                 .group_by(OutboxMessage.state))).all())
        await uow.commit()
    tg_counts = [len(tg.sent_messages(TG_BASE + i)) for i in range(half)]
    vk_counts = [vk.delivered_count(VK_BASE + i) for i in range(half, args.n)]
    print(f"notify fan-out: {args.n} answer notifications ({half} Telegram, {args.n - half} VK), "
          f"database {'SQLite' if services.db.is_sqlite else 'PostgreSQL'}")
    if args.scale != 1:
        print(f"SCALED: both fakes' limits x{args.scale:g} (Telegram {30 * args.scale:g}/s overall, 1/s per chat; "
              f"VK {20 * args.scale:g}/s) so the run is short; --scale 1 runs at the real limits")
    for name, count, limit in (("telegram", half, 30.0 * args.scale), ("vk", args.n - half, 20.0 * args.scale)):
        seconds = spans[name]
        rate = count / seconds
        print(f"  {name:8} {rate:7.1f} msgs/s = {rate / limit:.3f} of the {limit:g}/s limit "
              f"(publish to last push {seconds:.1f} s)")
    print(f"  429 from Telegram: {n429}; VK error 6: {n6}")
    print(f"  duplicates: {sum(max(0, c - 1) for c in tg_counts + vk_counts)}; "
          f"lost: {sum(1 for c in tg_counts + vk_counts if c == 0)}; row states {states}")
    for name, values in latency.items():
        print(f"  idle publish-to-push latency {name:8}: p50 {pct(values, 50):.0f} ms, "
              f"p95 {pct(values, 95):.0f} ms ({len(values)} samples)")
    print(f"  wall time of the fan-out: {elapsed:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000, help="notifications (half per channel)")
    parser.add_argument("--scale", type=float, default=2.0, help="multiply both fakes' limits (1 = real)")
    parser.add_argument("--samples", type=int, default=20, help="idle latency samples per channel")
    parser.add_argument("--vk-client-rps", type=float, default=1000.0,
                        help="VkClient's own vk_api pacing (default: out of the way)")
    parser.add_argument("--db-url", help="a migrated postgresql+asyncpg:// database (default: temp SQLite)")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
