"""A dead instance's journaled reply found by a sweep that read it before a newer turn of the same person
committed is dropped at the claim, never sent after the newer reply."""

from __future__ import annotations

from sqlalchemy import select

from storage import inbox
from storage.models import InboxUpdate
from tests.e2e.test_inbox_recovery import journaled, start_update
from tests.e2e.tg_harness import TOKEN, start_telegram
from tests.fakes.telegram_server import FakeTelegram


async def test_orphan_read_before_a_newer_turn_is_not_sent_after_it(services):
    async with FakeTelegram(token=TOKEN) as fake:
        fake.add_chat(7101)
        channel, progress = await start_telegram(services, fake)
        try:
            # a dead instance (id 0) journaled a reply it never sent; this instance's sweep reads it ...
            async with services.uow() as uow:
                await inbox.put_many(uow.session, uow.dialect, "telegram", [("950", 7101, start_update(950, 7101))])
                [row] = await inbox.pending_for_peer(uow.session, "telegram", 7101)
                journaled(row, "Старый вопрос", 30, services)
                await uow.commit()
            async with services.uow() as uow:
                alive = await inbox.alive_instances(uow.session, uow.dialect, services.db.instance.id)
                [stale] = await inbox.orphaned_replies(uow.session, "telegram", alive)
            # ... while the person's newer update is being handled here; it commits and is answered first
            await channel.ingest([start_update(951, 7101)])
            await progress.until(lambda: channel.handled[7101] >= 1, what="newer update handled")
            newer = [m["text"] for m in fake.sent_messages(7101)]
            assert newer and "Старый вопрос" not in newer
            # the sweep now queues what it read: the superseded reply must not go out after the newer one
            channel.inbox.submit(7101, [stale])
            await channel.inbox.recover()  # and a fresh sweep does not find it either
            await channel.ingest([start_update(952, 7101)])  # a later turn drains the queue past it
            await progress.until(lambda: channel.handled[7101] >= 2, what="later update handled")
            texts = [m["text"] for m in fake.sent_messages(7101)]
            assert "Старый вопрос" not in texts, texts
            async with services.uow() as uow:
                old = await uow.session.scalar(select(InboxUpdate).where(InboxUpdate.update_key == "950"))
            assert old.replied_at is None  # never claimed: superseded
        finally:
            await channel.stop()
