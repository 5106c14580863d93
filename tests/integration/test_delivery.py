"""The delivery worker against an in-test Sender: failures handled as the issue says, order, pace, latency."""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Sequence

import pytest
from sqlalchemy import select

from handlers.types import Say
from notifier import admin, outbox
from notifier.ratelimit import ChannelLimits, Limiter
from notifier.sender import Rejected, RetryAfter, Transient, Unreachable
from notifier.worker import DeliveryWorker
from storage.models import OutboxMessage, User

POLL = 0.01  # seconds between checks of a condition the code under test cannot signal
STALL = 0.1  # how long a test blocks the event loop to simulate a stalled process


class ScriptedSender:
    """Records every call; raises the next scripted error for a peer, else delivers."""

    channel = "telegram"

    def __init__(self, delay: float = 0.0) -> None:
        self.calls: list[tuple[int, str, float]] = []
        self.delivered: list[tuple[int, str, float]] = []
        self.script: dict[int, list[Exception]] = {}
        self.delay = delay

    async def send(self, peer_id: int, replies: Sequence[Say], *, key: str) -> None:
        now = time.monotonic()
        self.calls.append((peer_id, key, now))
        if self.delay:
            await asyncio.sleep(random.uniform(0, self.delay))
        queue = self.script.get(peer_id)
        if queue:
            raise queue.pop(0)
        self.delivered.append((peer_id, key, now))

    def times(self, peer_id: int) -> list[float]:
        return [t for p, _, t in self.calls if p == peer_id]


async def eventually(predicate, timeout: float = 10.0, what: str = "condition"):  # noqa: ASYNC109
    """Re-check an (async) predicate until it holds; fail after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(POLL)  # a poll interval of a condition wait, not a fixed wait


async def add(services, key: str, peer: int, user_id: int | None = None) -> int:
    async with services.uow() as uow:
        await uow.outbox.add(key, channel="telegram", peer_id=peer, user_id=user_id,
                             payload=[Say(f"text {key}").to_dict()])
        await uow.commit()
        uow.after_commit(services.wake_outbox)
        return await uow.session.scalar(select(OutboxMessage.id).where(OutboxMessage.dedupe_key == key))


async def state(services, row_id: int) -> OutboxMessage:
    async with services.uow() as uow:
        found = await uow.session.get(OutboxMessage, row_id)
        await uow.commit()
    return found


def worker(services, sender, **kw) -> DeliveryWorker:
    options = dict(limits=ChannelLimits(1000.0, None), lease=10.0, backoff_base=0.1, backoff_cap=1.0,
                   max_attempts=3, sweep=5.0, idle_floor=0.05, rng=lambda: 1.0)
    return DeliveryWorker(services, sender, **{**options, **kw})


@pytest.fixture
async def running(services):
    started: list[DeliveryWorker] = []

    async def run(sender, **kw) -> DeliveryWorker:
        w = worker(services, sender, **kw)
        await w.start()
        started.append(w)
        return w

    yield run
    for w in started:
        await w.stop()


async def test_delivers_each_row_once_and_marks_it_sent(services, running):
    sender = ScriptedSender()
    await running(sender)
    ids = [await add(services, f"ok{i}", 100 + i) for i in range(5)]
    await eventually(lambda: len(sender.delivered) == 5, what="5 deliveries")
    assert sorted(key for _, key, _ in sender.delivered) == sorted(str(i) for i in ids)
    await eventually(lambda: all_sent(services, ids), what="rows marked sent")


async def all_sent(services, ids) -> bool:
    return all([(await state(services, i)).state == "sent" for i in ids])


async def test_retry_after_is_honoured_and_not_counted_as_an_attempt(services, running):
    sender = ScriptedSender()
    sender.script[7] = [RetryAfter(0.4), RetryAfter(0.4), RetryAfter(0.4)]
    w = await running(sender, max_attempts=2)
    row_id = await add(services, "slow", 7)
    await eventually(lambda: len(sender.delivered) == 1, what="delivery after three 429s")
    times = sender.times(7)
    assert len(times) == 4 and all(b - a >= 0.39 for a, b in zip(times, times[1:], strict=False))
    await eventually(lambda: all_sent(services, [row_id]))
    assert (await state(services, row_id)).attempts == 1 and w.stats["retry_after"] == 3


async def test_transient_errors_back_off_then_fail(services, running):
    sender = ScriptedSender()
    sender.script[8] = [Transient("500"), Transient("timeout"), Transient("reset")]
    await running(sender, max_attempts=3, backoff_base=0.2)
    row_id = await add(services, "flaky", 8)
    await eventually(lambda: state_is(services, row_id, "failed"), what="row failed")
    times = sender.times(8)
    assert len(times) == 3
    first_gap, second_gap = times[1] - times[0], times[2] - times[1]
    assert first_gap >= 0.19 and second_gap >= 0.39  # 0.2 s, then 0.4 s (rng pinned to the top)
    assert (await state(services, row_id)).last_error == "Transient: reset"
    assert [r.id for r in await admin.list_rows(services, "failed")] == [row_id]


async def state_is(services, row_id: int, expected: str) -> bool:
    return (await state(services, row_id)).state == expected


async def test_transient_error_then_success(services, running):
    sender = ScriptedSender()
    sender.script[9] = [Transient("502")]
    await running(sender)
    row_id = await add(services, "once", 9)
    await eventually(lambda: state_is(services, row_id, "sent"))
    assert len(sender.times(9)) == 2 and (await state(services, row_id)).attempts == 2


async def test_unreachable_marks_user_and_is_never_retried(services, running):
    async with services.uow() as uow:
        user_id = (await uow.users.get_or_create("telegram", 10)).id
        await uow.commit()
    sender = ScriptedSender()
    sender.script[10] = [Unreachable("403"), Unreachable("403 again")]
    await running(sender)
    first = await add(services, "blocked", 10, user_id)
    await eventually(lambda: state_is(services, first, "undeliverable"))
    later = await add(services, "blocked-later", 10, user_id)
    await eventually(lambda: len(sender.times(10)) == 2, what="the later row tried once")
    async with services.uow() as uow:
        assert (await uow.session.get(User, user_id)).unreachable_at is not None
        await uow.commit()
    await eventually(lambda: state_is(services, later, "undeliverable"))
    assert len(sender.times(10)) == 2 and sender.delivered == []


async def test_rejected_is_logged_with_row_id_and_not_retried(services, running, caplog):
    sender = ScriptedSender()
    sender.script[11] = [Rejected("telegram 400: can't parse entities")]
    await running(sender)
    with caplog.at_level(logging.ERROR, logger="notifier.worker"):
        row_id = await add(services, "bug", 11)
        await eventually(lambda: state_is(services, row_id, "failed"))
    assert len(sender.times(11)) == 1
    assert any(f"outbox row {row_id} rejected" in r.getMessage() for r in caplog.records)


async def test_messages_to_one_chat_keep_their_order(services, running):
    sender = ScriptedSender(delay=0.01)
    sender.script[1] = [Transient("blip")]  # the first row to chat 1 needs a retry: later ones must wait
    await running(sender, batch=20)
    ids = []
    for i in range(30):
        ids.append(await add(services, f"o{i}", peer=1 + i % 3))
    await eventually(lambda: len(sender.delivered) == 30, what="30 deliveries")
    for peer in (1, 2, 3):
        keys = [int(k) for p, k, _ in sender.delivered if p == peer]
        assert keys == sorted(keys) and len(keys) == 10


async def test_a_commit_wakes_an_idle_worker_at_once(services, running):
    sender = ScriptedSender()
    await running(sender, sweep=60.0)
    await add(services, "warm-up", 1)
    await eventually(lambda: len(sender.delivered) == 1)
    latencies = []
    for i in range(5):
        started = time.monotonic()
        await add(services, f"fast{i}", 2 + i)
        await eventually(lambda i=i: len(sender.delivered) == 2 + i)
        latencies.append(time.monotonic() - started)
    assert max(latencies) < 0.5, latencies


async def test_crashed_claim_is_delivered_after_its_lease(services, running):
    row_id = await add(services, "orphan", 12)
    crashed = await outbox.claim(services, "telegram", limit=1, lease=0.5)  # claimed, then "killed"
    assert [c.id for c in crashed] == [row_id]
    sender = ScriptedSender()
    await running(sender, sweep=60.0)
    await eventually(lambda: state_is(services, row_id, "sent"), what="re-claimed after the lease")
    assert len(sender.delivered) == 1 and (await state(services, row_id)).attempts == 2


async def test_pace_stays_under_the_limit(services, running):
    sender = ScriptedSender()
    await running(sender, limits=ChannelLimits(20.0, None, burst=1, headroom=0.97))
    for i in range(12):
        await add(services, f"p{i}", 500 + i)
    await eventually(lambda: len(sender.delivered) == 12)
    stamps = sorted(t for _, _, t in sender.calls)
    interval, slack = 1 / (20 * 0.97), min(0.5 / (20 * 0.97), 0.02)
    for i in range(len(stamps)):  # k sends never closer than k slots, less the catch-up slack
        for j in range(i + 1, len(stamps)):
            assert stamps[j] - stamps[i] >= (j - i) * interval - slack - 0.002
    assert (stamps[-1] - stamps[0]) / 11 < interval * 1.2


async def test_per_chat_pace_and_penalty():
    clock = [0.0]
    limiter = Limiter(ChannelLimits(30.0, 1.0, burst=5, headroom=1.0, chat_headroom=1.0), clock=lambda: clock[0])
    await limiter.acquire(5)
    chat = limiter._chat(5)
    clock[0] = 0.5
    assert chat.delay(0.5) == pytest.approx(0.5) and limiter.total.delay(0.5) == 0.0
    limiter.penalize(5, 3.0)
    assert chat.delay(0.5) == pytest.approx(3.0)
    limiter.penalize(None, 2.0)  # no chat given: the whole channel waits
    assert limiter.total.delay(0.5) == pytest.approx(2.0)
    vk = Limiter(ChannelLimits(20.0, None), clock=lambda: clock[0])
    vk.penalize(5, 2.0)
    assert vk.total.delay(0.5) == pytest.approx(2.0)


async def test_a_stalled_loop_does_not_release_a_bunch_of_sends():
    limiter = Limiter(ChannelLimits(50.0, None, burst=1, headroom=1.0))
    stamps: list[float] = []

    async def one() -> None:
        await limiter.acquire(1)
        stamps.append(time.monotonic())

    tasks = [asyncio.create_task(one()) for _ in range(4)]
    await asyncio.sleep(0)
    time.sleep(STALL)  # noqa: ASYNC251  the loop is blocked past every slot the waiters had in mind
    await asyncio.gather(*tasks)
    gaps = [b - a for a, b in zip(stamps, stamps[1:], strict=False)]
    assert min(gaps) >= 0.009, gaps  # 20 ms slots, less at most the 10 ms catch-up slack


async def test_stop_hands_back_rows_waiting_for_a_slot(services):
    sender = ScriptedSender()
    w = worker(services, sender, limits=ChannelLimits(2.0, None, burst=1, headroom=1.0), batch=10)
    ids = [await add(services, f"s{i}", 700 + i) for i in range(6)]
    await w.start()
    await eventually(lambda: len(sender.delivered) >= 1)
    await w.stop()
    rows = [await state(services, i) for i in ids]
    assert all(r.state in ("sent", "pending") for r in rows)
    assert sum(r.state == "sent" for r in rows) == len(sender.delivered) < 6
    assert all(r.attempts == 0 for r in rows if r.state == "pending")
