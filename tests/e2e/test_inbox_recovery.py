"""No resident message lost: stored-but-unhandled updates and committed-but-unsent replies are recovered."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from storage import inbox
from storage.models import InboxUpdate
from tests.e2e.tg_harness import TOKEN, start_telegram
from tests.fakes.telegram_server import FakeTelegram


def start_update(update_id: int, chat_id: int) -> dict:
    return {"update_id": update_id, "message": {
        "message_id": update_id, "date": 0, "text": "/start", "chat": {"id": chat_id, "type": "private"},
        "from": {"id": chat_id, "is_bot": False, "first_name": "Ада"}}}


async def test_update_stored_before_a_crash_is_handled_once_after_restart(services):
    async with FakeTelegram(token=TOKEN) as fake:
        fake.add_chat(7001)
        # the process stored the update, then died before handling it
        async with services.uow() as uow:
            await inbox.put_many(uow.session, uow.dialect, "telegram",
                                 [("900", 7001, start_update(900, 7001))])
            await uow.commit()
        channel, progress = await start_telegram(services, fake)
        try:
            await progress.until(lambda: channel.handled[7001] >= 1, what="recovered update handled")
            assert "Активный регион" in fake.sent_messages(7001)[0]["text"]
            # the platform redelivers it after the restart: stored once, handled once
            await channel.ingest([start_update(900, 7001)])
            async with services.uow() as uow:
                rows = list(await uow.session.scalars(select(InboxUpdate)))
            assert len(rows) == 1 and rows[0].handled_at is not None and rows[0].replied_at is not None
            assert len(fake.sent_messages(7001)) == 2
        finally:
            await channel.stop()


def journaled(row: InboxUpdate, text: str, seconds_ago: float, services) -> None:
    row.handled_at = services.now() - timedelta(seconds=seconds_ago)
    row.replies = [{"text": text, "buttons": [], "photos": [], "ask_location": False}]


async def test_replies_committed_but_never_sent_are_resent_once_and_superseded_ones_never(services):
    async with FakeTelegram(token=TOKEN) as fake:
        fake.add_chat(7002)
        # a dead instance (id 0: not running) handled two updates of this person and journaled their
        # replies, then died before sending either: only the latest may go out, the older one never
        async with services.uow() as uow:
            await inbox.put_many(uow.session, uow.dialect, "telegram",
                                 [("901", 7002, start_update(901, 7002)), ("902", 7002, start_update(902, 7002))])
            older, latest = await inbox.pending_for_peer(uow.session, "telegram", 7002)
            journaled(older, "Старый вопрос", 30, services)
            journaled(latest, "Новый вопрос", 20, services)
            await uow.commit()
        channel, progress = await start_telegram(services, fake)
        try:
            await progress.until(lambda: len(fake.sent_messages(7002)) >= 1, what="orphaned reply resent")
            await channel.inbox.recover()  # a second sweep finds nothing more to send
            await channel.ingest([start_update(903, 7002)])
            await progress.until(lambda: channel.handled[7002] >= 1, what="next update handled")
            texts = [m["text"] for m in fake.sent_messages(7002)]
            assert texts[0] == "Новый вопрос" and "Старый вопрос" not in texts
            assert texts.count("Новый вопрос") == 1 and "Активный регион" in texts[1]
        finally:
            await channel.stop()


async def test_a_live_instances_journaled_reply_is_not_taken_over(services):
    async with FakeTelegram(token=TOKEN) as fake:
        fake.add_chat(7003)
        channel, progress = await start_telegram(services, fake)
        try:
            # this instance (alive) has journaled a reply and is still sending it: nobody else resends it
            async with services.uow() as uow:
                await inbox.put_many(uow.session, uow.dialect, "telegram", [("904", 7003, start_update(904, 7003))],
                                     instance=services.db.instance.id)
                [row] = await inbox.pending_for_peer(uow.session, "telegram", 7003)
                journaled(row, "Ответ в пути", 30, services)
                await uow.commit()
            assert await channel.inbox.recover() == 0
            assert fake.sent_messages(7003) == []
        finally:
            await channel.stop()
