"""Several instances on one PostgreSQL: exactly-once delivery, per-chat order, NOTIFY wake-ups, leadership."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import replace

import pytest
from sqlalchemy import func, select

from handlers.types import Say
from notifier.pgwake import Leadership, PgWakeup
from notifier.ratelimit import ChannelLimits
from notifier.worker import DeliveryWorker
from storage.db import Database
from storage.models import OutboxMessage
from tests.integration.test_delivery import ScriptedSender, eventually

pytestmark = pytest.mark.parametrize("backend", ["postgresql"])  # several instances need PostgreSQL


@pytest.fixture
def pg_only(backend):
    assert backend == "postgresql"


@pytest.fixture
async def other_instance(pg_only, services, db_url):
    """A second 'instance': its own engine and Services on the same database."""
    db = Database(db_url)
    yield replace(services, db=db, outbox_listeners=[])
    await db.dispose()


def fast_worker(services, sender) -> DeliveryWorker:
    return DeliveryWorker(services, sender, limits=ChannelLimits(5000.0, None), batch=40, lease=30.0,
                          sweep=1.0, idle_floor=0.02)


async def test_two_workers_deliver_1000_rows_exactly_once_in_chat_order(services, other_instance):
    async with services.uow() as uow:
        for i in range(1000):
            await uow.outbox.add(f"n{i}", channel="telegram", peer_id=1 + i % 250, user_id=None,
                                 payload=[Say(f"n{i}").to_dict()])
        await uow.commit()
    a, b = ScriptedSender(delay=0.002), ScriptedSender(delay=0.002)
    workers = [fast_worker(services, a), fast_worker(other_instance, b)]
    for w in workers:
        await w.start()
    try:
        await eventually(lambda: len(a.delivered) + len(b.delivered) >= 1000, timeout=60, what="1000 sends")
        await eventually(lambda: unsent(services), timeout=10, what="all rows marked sent")
    finally:
        for w in workers:
            await w.stop()
    keys = Counter(k for _, k, _ in a.delivered + b.delivered)
    assert len(keys) == 1000 and max(keys.values()) == 1, keys.most_common(3)
    assert len(a.delivered) > 100 and len(b.delivered) > 100  # both really worked
    for peer in (1, 2, 250):
        sends = sorted((t, int(k)) for p, k, t in a.delivered + b.delivered if p == peer)
        assert [row for _, row in sends] == sorted(row for _, row in sends)


async def unsent(services) -> bool:
    async with services.uow() as uow:
        left = await uow.session.scalar(select(func.count(OutboxMessage.id)).where(OutboxMessage.state != "sent"))
        await uow.commit()
    return left == 0


async def test_a_commit_on_one_instance_wakes_the_worker_of_another(services, other_instance):
    wake_a, wake_b = PgWakeup(services), PgWakeup(other_instance)
    sender = ScriptedSender()
    worker = DeliveryWorker(other_instance, sender, limits=ChannelLimits(1000.0, None), sweep=60.0)
    await worker.start()
    await wake_a.start()
    await wake_b.start()
    try:
        await eventually(lambda: wake_a.conn is not None and wake_b.conn is not None, what="listeners")
        latencies = []
        for i in range(5):
            started = time.monotonic()
            async with services.uow() as uow:  # instance A has no telegram worker at all
                await uow.outbox.add(f"x{i}", channel="telegram", peer_id=40 + i, user_id=None,
                                     payload=[Say("x").to_dict()])
                await uow.commit()
                uow.after_commit(services.wake_outbox)
            await eventually(lambda i=i: len(sender.delivered) == i + 1, timeout=5, what="cross-instance wake")
            latencies.append(time.monotonic() - started)
        assert max(latencies) < 2.0, latencies  # the sweep alone would take 60 s: the NOTIFY woke it
    finally:
        await worker.stop()
        await wake_a.stop()
        await wake_b.stop()


async def test_leadership_moves_when_the_leader_dies(services, other_instance):
    changes: list[tuple[str, bool]] = []
    first = Leadership(services, retry=0.1, on_change=lambda v: changes.append(("first", v)))
    second = Leadership(other_instance, retry=0.1, on_change=lambda v: changes.append(("second", v)))
    await first.start()
    await eventually(lambda: first.is_leader, what="first leads")
    await second.start()
    try:
        await eventually(lambda: second.tries >= 3, what="the follower tried several times")
        assert not second.is_leader
        await first.stop()  # the leader's session ends (as when its process is killed)
        await eventually(lambda: second.is_leader, timeout=5, what="takeover")
        assert changes == [("first", True), ("second", True)]
    finally:
        await second.stop()
        await first.stop()
