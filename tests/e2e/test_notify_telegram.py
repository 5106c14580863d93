"""Published answers reach residents through the real TelegramSender, aiogram and the fake Bot API server."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from sqlalchemy import select

from bot.telegram.channel import make_bot
from bot.telegram.sender import TelegramSender
from handlers.cases.review import publish_answer
from handlers.roles import grant
from notifier import outbox
from notifier.ratelimit import ChannelLimits
from notifier.worker import DeliveryWorker
from storage.media import content_key
from storage.models import (
    Answer,
    AnswerPhoto,
    Category,
    Municipality,
    Organization,
    OutboxMessage,
    Photo,
    Signal,
    Subscription,
    User,
)
from tests.e2e.tg_harness import TOKEN, TgResident, telegram_bot
from tests.fakes.telegram_server import FakeTelegram
from tests.images import jpeg_with_gps
from tests.integration.test_delivery import eventually

RESIDENT = 4242


def worker_for(services, bot, **kw) -> DeliveryWorker:
    options = dict(limits=ChannelLimits.telegram(), lease=10.0, backoff_base=0.1, backoff_cap=0.5,
                   max_attempts=4, sweep=30.0, idle_floor=0.05)
    return DeliveryWorker(services, TelegramSender(bot, services), **{**options, **kw})


async def answered_signal(services, resident_id: int, photos: int = 2) -> tuple[int, int]:
    """A signal by the resident whose answer (with photos) a moderator publishes now; (signal id, answer id)."""
    async with services.uow() as uow:
        author = await uow.users.get_or_create("telegram", resident_id)
        moderator = await grant(uow, "telegram:9000", "moderator")
        org = Organization(name=f"Администрация {resident_id}")
        uow.session.add(org)
        mun = await uow.session.scalar(select(Municipality).limit(1))
        cat = await uow.session.scalar(select(Category).limit(1))
        signal = Signal(number=f"2026-{resident_id:06d}", author_id=author.id, municipality_id=mun.id,
                        category_id=cat.id, description="Яма", status="answer_review", source_channel="telegram")
        uow.session.add(signal)
        await uow.session.flush()
        signal.organization_id = org.id
        uow.session.add(Subscription(signal_id=signal.id, user_id=author.id))
        answer = Answer(signal_id=signal.id, version=1, text="Яму заделали 12 января.", organization_id=org.id,
                        review_status="pending")
        for i in range(photos):
            data = jpeg_with_gps(color=(40 * i, 100, resident_id % 250))
            key = await services.media.put(data)
            photo = Photo(sha256=content_key(data), media_key=key, size_bytes=len(data), width=64, height=48)
            uow.session.add(photo)
            await uow.session.flush()
            answer.photos.append(AnswerPhoto(photo_id=photo.id, position=i))
        uow.session.add(answer)
        await uow.session.flush()
        await publish_answer(services, uow, moderator, answer.id)
        await uow.commit()
        return signal.id, answer.id


async def rows(services) -> list[OutboxMessage]:
    async with services.uow() as uow:
        found = list(await uow.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
        await uow.commit()
    return found


async def delivered(services, n: int = 1) -> bool:
    return sum(r.state == "sent" for r in await rows(services)) >= n


async def test_answer_arrives_once_with_photos_and_buttons_and_thumbs_up_closes(services):
    async with telegram_bot(services) as (fake, channel, progress):
        resident = TgResident(fake, SimpleNamespace(progress=progress), RESIDENT)
        await resident.say("/start")
        await resident.press("Согласен")
        worker = worker_for(services, channel.bot)
        await worker.start()
        try:
            resident.new_messages()
            signal_id, _ = await answered_signal(services, RESIDENT)
            await eventually(lambda: delivered(services), what="answer delivered")
            got = resident.new_messages()
            assert sum(1 for m in got if m.get("photo")) == 2 and len({m.get("media_group_id") for m in got
                                                                        if m.get("photo")}) == 1
            texts = [m for m in got if m.get("text")]
            assert len(texts) == 1 and "Яму заделали" in texts[0]["text"]
            labels = [b["text"] for row in texts[0]["reply_markup"]["inline_keyboard"] for b in row]
            assert labels == ["👍 Доволен(на)", "👎 Не доволен(на)"]
            out = await resident.press("👍")
            assert "закрыто" in out[-1]["text"]
        finally:
            await worker.stop()
        assert fake.rejected == []
    async with services.uow() as uow:
        assert (await uow.signals.get(signal_id)).status == "closed"
        await uow.commit()


async def test_thumbs_down_with_a_comment_reopens(services):
    async with telegram_bot(services) as (fake, channel, progress):
        resident = TgResident(fake, SimpleNamespace(progress=progress), RESIDENT)
        await resident.say("/start")
        await resident.press("Согласен")
        fake.add_chat(9000)  # the moderator
        worker = worker_for(services, channel.bot)
        await worker.start()
        try:
            signal_id, _ = await answered_signal(services, RESIDENT, photos=0)
            await eventually(lambda: delivered(services), what="answer delivered")
            await fake.wait_for(lambda: any("Яму заделали" in (m.get("text") or "")
                                            for m in resident.messages), what="answer in chat")
            out = await resident.press("👎")
            assert "Пропустить" in [b["text"] for row in out[-1]["reply_markup"]["inline_keyboard"] for b in row]
            out = await resident.say("Ничего не сделано")
            assert "повторное рассмотрение" in out[-1]["text"]
            await fake.wait_for(lambda: any("не согласен" in (m.get("plain") or "")
                                            for m in fake.sent_messages(9000)), what="moderator told")
        finally:
            await worker.stop()
    async with services.uow() as uow:
        signal = await uow.signals.get(signal_id)
        assert signal.status == "in_progress" and signal.reopen_count == 1
        await uow.commit()


@pytest.fixture
async def fake_tg():
    fake = FakeTelegram(token=TOKEN)
    await fake.start()
    fake.add_chat(RESIDENT)
    bot = make_bot(TOKEN, fake.base_url)
    yield fake, bot
    await bot.session.close()
    await fake.stop()


def text_messages(fake) -> list[dict]:
    return [m for m in fake.sent_messages(RESIDENT) if m.get("text")]


async def test_429_retry_after_is_honoured(services, fake_tg):
    fake, bot = fake_tg
    fake.fail_next("sendMessage", 429, retry_after=1)
    worker = worker_for(services, bot)
    await worker.start()
    try:
        await answered_signal(services, RESIDENT, photos=0)
        await eventually(lambda: delivered(services), what="delivered after 429")
    finally:
        await worker.stop()
    assert fake.count_429 == 1 and len(text_messages(fake)) == 1
    [row] = await rows(services)
    assert row.attempts == 1 and (row.sent_at - row.created_at).total_seconds() >= 1.0


async def test_500_and_a_dropped_connection_are_retried(services, fake_tg):
    fake, bot = fake_tg
    fake.fail_next("sendMessage", 500)
    fake.drop_next("sendMessage")
    worker = worker_for(services, bot)
    await worker.start()
    try:
        await answered_signal(services, RESIDENT, photos=0)
        await eventually(lambda: delivered(services), what="delivered after 500 and a drop")
    finally:
        await worker.stop()
    [row] = await rows(services)
    assert row.attempts == 3 and len(text_messages(fake)) == 1


async def test_blocked_user_is_marked_unreachable_and_not_retried(services, fake_tg):
    fake, bot = fake_tg
    fake.block_user(RESIDENT)
    worker = worker_for(services, bot)
    await worker.start()
    try:
        await answered_signal(services, RESIDENT, photos=0)
        await eventually(lambda: rows_in(services, "undeliverable"), what="undeliverable")
    finally:
        await worker.stop()
    assert [m for m, _ in fake.rejected] == ["sendMessage"]  # one try, no retry storm
    async with services.uow() as uow:
        user = await uow.users.get("telegram", RESIDENT)
        assert isinstance(user, User) and user.unreachable_at is not None
        await uow.commit()


async def rows_in(services, state: str) -> bool:
    return any(r.state == state for r in await rows(services))


async def test_a_worker_dying_between_claim_and_send_leaves_the_row_to_another(services, fake_tg):
    fake, bot = fake_tg
    await answered_signal(services, RESIDENT, photos=1)
    claimed = await outbox.claim(services, "telegram", limit=10, lease=0.5)  # ... and then the process died
    assert len(claimed) == 1 and fake.calls == []
    worker = worker_for(services, bot)
    await worker.start()
    try:
        await eventually(lambda: delivered(services), what="re-claimed and delivered")
    finally:
        await worker.stop()
    [row] = await rows(services)
    assert row.attempts == 2 and len(text_messages(fake)) == 1
    assert sum(1 for m in fake.sent_messages(RESIDENT) if m.get("photo")) == 1
