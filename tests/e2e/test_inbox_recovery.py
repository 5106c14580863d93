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


async def test_replies_committed_but_never_sent_are_resent_once(services):
    async with FakeTelegram(token=TOKEN) as fake:
        fake.add_chat(7002)
        channel, progress = await start_telegram(services, fake)
        try:
            channel.inbox.resend_after = 0.0
            # a turn committed its replies (journaled) and the instance died before sending them
            async with services.uow() as uow:
                await inbox.put_many(uow.session, uow.dialect, "telegram", [("901", 7002, start_update(901, 7002))])
                row = await uow.session.scalar(select(InboxUpdate))
                row.handled_at = services.now() - timedelta(seconds=30)
                row.replies = [{"text": "Ответ, который не успели отправить", "buttons": [], "photos": [],
                                "ask_location": False}]
                await uow.commit()
            assert await channel.inbox.resend_lost_replies() == 1
            assert await channel.inbox.resend_lost_replies() == 0
            assert [m["text"] for m in fake.sent_messages(7002)] == ["Ответ, который не успели отправить"]
        finally:
            await channel.stop()
