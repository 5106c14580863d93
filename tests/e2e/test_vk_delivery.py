"""VkSender against FakeVK: random_id dedup, error mapping, unreachable users, splitting, keyboards, photos."""

from __future__ import annotations

import asyncio
import time

import pytest
from sqlalchemy import select

from bot.vk.client import VkClient
from bot.vk.sender import VkSender
from handlers.photos import store_photo
from handlers.types import Button, Say
from notifier.ratelimit import ChannelLimits
from notifier.sender import Rejected, RetryAfter, Transient, Unreachable
from notifier.worker import DeliveryWorker
from storage.models import OutboxMessage, Photo
from tests.e2e.vk_harness import GROUP_ID, TOKEN
from tests.fakes.vk_server import FakeVK
from tests.images import jpeg_with_gps
from tests.integration.test_delivery import eventually

PEER = 6001


@pytest.fixture
async def vk(services):
    async with FakeVK(token=TOKEN, group_id=GROUP_ID) as fake:
        client = VkClient(fake.token, fake.base_url, rps=20, backoff=0.05)
        yield fake, VkSender(client, services)
        client.close()


async def test_a_retried_send_with_the_same_key_is_delivered_once(vk):
    fake, sender = vk
    replies = [Say("Первое"), Say("Второе " * 700)]  # three messages in all
    await sender.send(PEER, replies, key="17")
    await sender.send(PEER, replies, key="17")  # e.g. the answer was lost and the row claimed again
    assert fake.delivered_count(PEER) == 3
    await sender.send(PEER, [Say("Первое")], key="18")
    assert fake.delivered_count(PEER) == 4 and fake.rejected == []


@pytest.mark.parametrize(("inject", "expected"), [
    (lambda f: f.fail_next("messages.send", 9), RetryAfter),
    (lambda f: f.fail_next("messages.send", 6, count=4), RetryAfter),
    (lambda f: f.fail_next("messages.send", 10, count=4), Transient),
    (lambda f: f.http_error_next("messages.send", 500, count=4), Transient),
    (lambda f: f.disallow_messages(PEER), Unreachable),
    (lambda f: f.fail_next("messages.send", 902), Unreachable),
    (lambda f: f.fail_next("messages.send", 911), Rejected),
])
async def test_errors_map_to_delivery_errors(vk, inject, expected):
    fake, sender = vk
    inject(fake)
    with pytest.raises(expected):
        await sender.send(PEER, [Say("Ответ")], key="1")


async def test_disallowed_resident_is_marked_unreachable_by_the_worker(services, vk):
    fake, sender = vk
    fake.disallow_messages(PEER)
    async with services.uow() as uow:
        user = await uow.users.get_or_create("vk", PEER)
        await uow.outbox.add("answer-1", channel="vk", peer_id=PEER, user_id=user.id,
                             payload=[Say("Ответ ведомства").to_dict()])
        await uow.commit()
    worker = DeliveryWorker(services, sender, limits=ChannelLimits.vk(), lease=10.0, backoff_base=0.1,
                            backoff_cap=0.5, max_attempts=4, sweep=30.0, idle_floor=0.05)
    await worker.start()
    try:
        async def undeliverable():
            async with services.uow() as uow:
                return await uow.session.scalar(select(OutboxMessage.state)) == "undeliverable"
        await eventually(undeliverable, what="row undeliverable")
    finally:
        await worker.stop()
    async with services.uow() as uow:
        assert (await uow.users.get("vk", PEER)).unreachable_at is not None
    assert [(m, c) for m, c, _ in fake.rejected] == [("messages.send", 901)]


async def test_long_text_is_split_cleanly_and_shown_as_plain_text(vk):
    fake, sender = vk
    paragraphs = [f"<b>Пункт {i}</b>: яма &amp; лужа. " + "Текст абзаца. " * 40 for i in range(20)]
    text = "\n\n".join(paragraphs) + '\n\nПодробнее: <a href="https://example.org/s/1">карточка</a>'
    await sender.send(PEER, [Say(text, buttons=((Button("Готово", "done"),),))], key="2")
    sent = fake.sent_messages(PEER)
    assert len(sent) > 1 and all(len(m["message"]) <= 4096 for m in sent)
    assert all(m["message"].endswith(".") or m is sent[-1] for m in sent)  # cut at sentence ends
    joined = " ".join(m["message"] for m in sent)
    assert "<b>" not in joined and "Пункт 19: яма & лужа." in joined
    assert sent[-1]["message"].endswith("карточка (https://example.org/s/1)")
    assert [m["keyboard"] is not None for m in sent] == [False] * (len(sent) - 1) + [True]
    assert fake.rejected == []


async def test_keyboards_stay_within_vk_limits(vk):
    fake, sender = vk
    full = tuple(tuple(Button(f"{'Кнопка' * 6}{r}{c}"[-40:], f"p:{r}:{c}") for c in range(5)) for r in range(2))
    tall = tuple((Button(f"Строка {r}", f"row:{r}"),) for r in range(6))
    where = Say("Где это?", buttons=((Button("Пропустить", "skip"),), (Button("« Назад", "back"),
                                                                      Button("✖ Отмена", "cancel"))),
                ask_location=True)
    await sender.send(PEER, [Say("Десять", buttons=full), Say("Шесть строк", buttons=tall), where], key="3")
    assert fake.rejected == []
    inline, rows, standard = (m["keyboard"] for m in fake.sent_messages(PEER))
    assert inline["inline"] and {b["action"]["type"] for row in inline["buttons"] for b in row} == {"callback"}
    assert len(rows["buttons"]) == 6
    assert not standard["inline"] and standard["one_time"]
    assert [b["action"]["type"] for b in standard["buttons"][0]] == ["location"]
    assert [b["action"]["label"] for b in standard["buttons"][2]] == ["« Назад", "✖ Отмена"]
    assert all('"b":"' in b["action"]["payload"] for row in standard["buttons"][1:] for b in row)


async def test_reply_photos_are_uploaded_once_and_attached(services, vk):
    fake, sender = vk
    ids = tuple([await store_photo(services, jpeg_with_gps(color=(i, 0, 0)), 64, 48) for i in (10, 200)])
    await sender.send(PEER, [Say("Ответ с фото", photos=ids)], key="4")
    await sender.send(PEER + 1, [Say("Снова", photos=ids)], key="5")
    first, second = fake.sent_messages(PEER)[0], fake.sent_messages(PEER + 1)[0]
    assert fake.upload_count == 2 and first["attachment"] == second["attachment"]
    assert first["message"] == "Ответ с фото" and len(first["attachment"].split(",")) == 2
    async with services.uow() as uow:
        cached = [p.channel_ids["vk"] for p in await uow.session.scalars(select(Photo).order_by(Photo.id))]
    assert ",".join(cached) == first["attachment"] and fake.rejected == []


async def test_requests_are_paced_at_the_community_rate(services):
    async with FakeVK(token=TOKEN, group_id=GROUP_ID, rate_limit=20) as fake:  # answers error 6 above 20/s
        client = VkClient(fake.token, fake.base_url, rps=20)
        sender = VkSender(client, services)
        started = time.monotonic()
        await asyncio.gather(*(sender.send(PEER + i, [Say("Ответ")], key=str(i)) for i in range(30)))
        elapsed = time.monotonic() - started
        client.close()
    assert fake.count_error6 == 0 and sum(fake.delivered_count(PEER + i) for i in range(30)) == 30
    assert 29 / 20 <= elapsed < 29 * 0.34  # 20 requests/s, not vk_api's default 3/s
