"""Outbox queue semantics on both databases: claims, leases, dedupe keys, terminal states, admin retry."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from handlers.types import Say
from notifier import admin, outbox
from storage.models import OutboxMessage, User
from storage.types import utcnow


async def add(services, key: str, peer: int, channel: str = "telegram", user_id: int | None = None) -> int:
    async with services.uow() as uow:
        assert await uow.outbox.add(key, channel=channel, peer_id=peer, user_id=user_id,
                                    payload=[Say(f"text {key}").to_dict()])
        row_id = await uow.session.scalar(select(OutboxMessage.id).where(OutboxMessage.dedupe_key == key))
        await uow.commit()
    return row_id


async def row(services, row_id: int) -> OutboxMessage:
    async with services.uow() as uow:
        found = await uow.session.get(OutboxMessage, row_id)
        await uow.commit()
    return found


async def test_claim_takes_due_rows_once_and_counts_attempts(services):
    ids = [await add(services, f"k{i}", peer=100 + i) for i in range(3)]
    await add(services, "other-channel", peer=1, channel="vk")
    now = utcnow()
    first = await outbox.claim(services, "telegram", limit=2, lease=30, now=now)
    assert [c.id for c in first] == ids[:2]
    assert all(c.attempts == 1 and c.claimed_until == now + timedelta(seconds=30) for c in first)
    assert first[0].replies() == [Say("text k0")]
    second = await outbox.claim(services, "telegram", limit=10, lease=30, now=now)
    assert [c.id for c in second] == ids[2:]
    assert await outbox.claim(services, "telegram", limit=10, lease=30, now=now) == []
    stored = await row(services, ids[0])
    assert stored.state == "sending" and stored.attempts == 1


async def test_one_row_per_chat_at_a_time_in_id_order(services):
    a1, b1, a2 = await add(services, "a1", 7), await add(services, "b1", 8), await add(services, "a2", 7)
    claimed = await outbox.claim(services, "telegram", limit=10, lease=30)
    assert [c.id for c in claimed] == [a1, b1]
    assert await outbox.claim(services, "telegram", limit=10, lease=30) == []
    assert await outbox.mark_sent(services, claimed[0])
    assert [c.id for c in await outbox.claim(services, "telegram", limit=10, lease=30)] == [a2]


async def test_expired_lease_is_claimable_again_and_the_old_claim_is_void(services):
    row_id = await add(services, "crash", 5)
    t0 = utcnow()
    crashed = (await outbox.claim(services, "telegram", limit=1, lease=10, now=t0))[0]
    assert await outbox.claim(services, "telegram", limit=1, lease=10, now=t0 + timedelta(seconds=9)) == []
    again = await outbox.claim(services, "telegram", limit=1, lease=10, now=t0 + timedelta(seconds=11))
    assert [c.id for c in again] == [row_id] and again[0].attempts == 2
    assert not await outbox.mark_sent(services, crashed)  # the dead worker's claim no longer counts
    assert await outbox.mark_sent(services, again[0])
    assert (await row(services, row_id)).state == "sent"


async def test_dedupe_key_is_unique(services):
    await add(services, "answer_published:1:2", 9)
    async with services.uow() as uow:
        assert not await uow.outbox.add("answer_published:1:2", channel="telegram", peer_id=9, user_id=None,
                                        payload=[])
        await uow.commit()
    with pytest.raises(IntegrityError):
        async with services.uow() as uow:
            uow.session.add(OutboxMessage(dedupe_key="answer_published:1:2", channel="telegram", peer_id=9,
                                          payload=[], state="pending", available_at=utcnow()))
            await uow.commit()


async def test_retry_later_waits_and_slow_down_is_free(services):
    row_id = await add(services, "later", 11)
    now = utcnow()
    claimed = (await outbox.claim(services, "telegram", limit=1, lease=30, now=now))[0]
    assert await outbox.retry_later(services, claimed, delay=60, error="RetryAfter", count_attempt=False, now=now)
    assert await outbox.claim(services, "telegram", limit=1, lease=30, now=now + timedelta(seconds=59)) == []
    assert await outbox.next_due(services, "telegram") == now + timedelta(seconds=60)
    again = await outbox.claim(services, "telegram", limit=1, lease=30, now=now + timedelta(seconds=61))
    assert again[0].id == row_id and again[0].attempts == 1
    assert await outbox.retry_later(services, again[0], delay=0, error="Transient: 502")
    stored = await row(services, row_id)
    assert stored.state == "pending" and stored.attempts == 1 and stored.last_error == "Transient: 502"


async def test_failed_rows_are_listed_and_retried_by_admin(services):
    ids = [await add(services, f"f{i}", 20 + i) for i in range(3)]
    claimed = await outbox.claim(services, "telegram", limit=3, lease=30)
    assert await outbox.mark_failed(services, claimed[0], "Transient: 500")
    assert await outbox.mark_failed(services, claimed[1], "rejected: 400")
    assert await outbox.mark_undeliverable(services, claimed[2], "telegram 403")
    assert [r.id for r in await admin.list_rows(services, "failed")] == [ids[1], ids[0]]
    assert await admin.counts(services) == {"failed": 2, "undeliverable": 1}
    assert await admin.retry(services, [ids[0]]) == 1
    assert await admin.retry(services) == 1  # all failed: only ids[1] is left
    assert await admin.retry(services, [ids[2]]) == 1  # an undeliverable row, explicitly
    assert (await row(services, ids[0])).attempts == 0
    again = await outbox.claim(services, "telegram", limit=10, lease=30)
    assert sorted(c.id for c in again) == ids


async def test_undeliverable_marks_the_user_and_stops_their_queue(services):
    async with services.uow() as uow:
        user = await uow.users.get_or_create("telegram", 31)
        user_id = user.id
        await uow.commit()
    first, second = await add(services, "u1", 31, user_id=user_id), await add(services, "u2", 31, user_id=user_id)
    other = await add(services, "u3", 32)
    claimed = await outbox.claim(services, "telegram", limit=10, lease=30)
    assert [c.id for c in claimed] == [first, other]
    assert await outbox.mark_undeliverable(services, claimed[0], "telegram 403")
    assert (await row(services, first)).state == "undeliverable"
    assert (await row(services, second)).state == "undeliverable"
    assert (await row(services, other)).state == "sending"
    async with services.uow() as uow:
        assert (await uow.session.get(User, user_id)).unreachable_at is not None
        await uow.commit()


async def test_concurrent_claims_never_overlap(services):
    for i in range(120):
        await add(services, f"c{i}", peer=1000 + i % 40)
    seen: list[int] = []

    async def drain() -> None:
        while True:
            rows = await outbox.claim(services, "telegram", limit=7, lease=30)
            if not rows:
                return
            seen.extend(r.id for r in rows)
            for r in rows:
                assert await outbox.mark_sent(services, r)

    await asyncio.gather(*(drain() for _ in range(4)))
    assert len(seen) == len(set(seen)) == 120
