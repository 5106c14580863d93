"""One VK request per reply: the event answer, new photos' saves and the messages of a turn go out in one execute,
its errors are mapped like direct calls', retries stay exactly-once, and residents' replies go out side by side."""

from __future__ import annotations

import asyncio
import re

import pytest
from sqlalchemy import select

from bot.vk.client import VkClient
from bot.vk.sender import VkSender
from handlers.photos import store_photo
from handlers.types import Say
from notifier.ratelimit import ChannelLimits
from notifier.worker import DeliveryWorker
from storage.models import OutboxMessage, Photo
from tests.e2e.test_intake_scenarios import consent
from tests.e2e.test_vk_specific import resident
from tests.e2e.vk_harness import GROUP_ID, TOKEN, vk_bot
from tests.fakes.vk_server import FakeVK
from tests.images import jpeg_with_gps
from tests.integration.test_delivery import eventually

SAVED = re.compile(rf"photo-{GROUP_ID}_\d+_[0-9a-f]+")  # a photo the community saved, with its access key

PEER = 6101
THREE = [Say("Первое"), Say("Второе"), Say("Третье")]


def methods(inner: list) -> list[str]:
    return [m for m, _, _ in inner]


def requests_since(fake: FakeVK, start: int) -> list[str]:
    """API requests the bot made since `start` (the long poll's own server lookups left out)."""
    return [m for m, _ in fake.calls[start:] if m != "groups.getLongPollServer"]


async def test_a_button_press_is_one_execute_with_the_answer_then_the_messages(services):
    async with vk_bot(services) as (fake, channel, progress):
        r = resident(fake, progress, 5101)
        await consent(r)
        await r.say("/new")
        await r.press("Сыктывкар")
        requests, executes = len(fake.calls), len(fake.executes)
        new = await r.press("✖ Отмена")  # the category menu's cancel: «cancelled» and the main menu
        assert requests_since(fake, requests) == ["execute"]
        [inner] = fake.executes[executes:]
        assert methods(inner) == ["messages.sendMessageEventAnswer", "messages.send", "messages.send"]
        assert [m["message"] for m in new] == [p["message"] for _, p, _ in inner[1:]]
        assert [m["random_id"] for m in new] == [int(p["random_id"]) for _, p, _ in inner[1:]]
        assert "отмен" in new[0]["message"].lower() and new[1]["keyboard"]["inline"]
        assert fake.event_answers[-1]["event_id"] == inner[0][1]["event_id"]
        assert fake.rejected == []


async def test_a_press_whose_answer_was_lost_is_resent_and_delivered_once(services):
    async with vk_bot(services) as (fake, channel, progress):
        r = resident(fake, progress, 5107)
        await consent(r)
        await r.say("/new")
        await r.press("Сыктывкар")
        delivered = fake.delivered_count(5107)
        fake.drop_next("execute", after_execute=True)  # VK sent the messages, the bot never heard back
        new = await r.press("✖ Отмена")
        assert len(new) == 2 and fake.delivered_count(5107) == delivered + 2
        assert [methods(e) for e in fake.executes[-2:]] == [["messages.sendMessageEventAnswer"] + ["messages.send"] * 2] * 2
        assert fake.rejected == []


async def test_a_failed_event_answer_does_not_hold_back_the_replies(services):
    async with vk_bot(services) as (fake, channel, progress):
        r = resident(fake, progress, 5102)
        await r.say("/start")
        fake.fail_next("messages.sendMessageEventAnswer", 100)
        requests = len(fake.calls)
        new = await r.press("Согласен")
        assert len(new) == 1 and "Спасибо" in new[0]["message"]
        assert [(m, c) for m, _, c in fake.executes[-1]] == [("messages.sendMessageEventAnswer", 100),
                                                             ("messages.send", None)]
        assert requests_since(fake, requests) == ["execute"]  # not retried for the optional answer
        assert [(m, c) for m, c, _ in fake.rejected] == [("messages.sendMessageEventAnswer", 100)]


async def test_a_new_residents_name_comes_with_the_first_reply(services):
    async with vk_bot(services) as (fake, channel, progress):
        r = resident(fake, progress, 5105)
        requests = len(fake.calls)
        await r.say("/start")
        assert requests_since(fake, requests) == ["execute"]  # no users.get of its own
        assert methods(fake.executes[-1])[0] == "users.get" and channel.names[5105] == "Иван"
        await r.press("Согласен")
        assert sum(m == "users.get" for m, _ in fake.calls) == 0
    async with services.uow() as uow:
        assert (await uow.users.get("vk", 5105)).display_name == "Иван"


async def test_a_press_from_a_person_not_yet_known_looks_the_name_up_first(services):
    async with vk_bot(services) as (fake, channel, progress):
        r = resident(fake, progress, 5106)
        await r.say("/start")
        channel.names.clear()  # e.g. the process restarted since: the press may be the consent
        requests = len(fake.calls)
        await r.press("Согласен")
        assert requests_since(fake, requests) == ["users.get", "execute"]
    async with services.uow() as uow:
        assert (await uow.users.get("vk", 5106)).display_name == "Иван"


@pytest.fixture
async def vk(services):
    async with FakeVK(token=TOKEN, group_id=GROUP_ID) as fake:
        client = VkClient(fake.token, fake.base_url, rps=20, backoff=0.05)
        yield fake, VkSender(client, services)
        client.close()


async def test_an_inner_901_marks_the_resident_unreachable(services, vk):
    fake, sender = vk
    fake.disallow_messages(PEER)
    async with services.uow() as uow:
        user = await uow.users.get_or_create("vk", PEER)
        await uow.outbox.add("answer-1", channel="vk", peer_id=PEER, user_id=user.id,
                             payload=[s.to_dict() for s in THREE])
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
    assert [m for m, _ in fake.calls] == ["execute"]  # one try, no retry storm
    assert fake.executes[0] == [("messages.send", fake.executes[0][0][1], 901)]  # stopped at the first
    assert [(m, c) for m, c, _ in fake.rejected] == [("messages.send", 901)]


@pytest.mark.parametrize("inject", [
    pytest.param(lambda f: f.drop_next("execute", after_execute=True), id="answer-lost-after-delivery"),
    pytest.param(lambda f: f.drop_next("execute"), id="connection-dropped"),
    pytest.param(lambda f: f.fail_next("execute", 10), id="error-10"),
    pytest.param(lambda f: f.http_error_next("execute", 502), id="http-502"),
])
async def test_a_retried_execute_delivers_each_message_once(vk, inject):
    fake, sender = vk
    inject(fake)
    await sender.send(PEER, THREE, key="7")
    assert [m["message"] for m in fake.sent_messages(PEER)] == ["Первое", "Второе", "Третье"]
    assert fake.delivered_count(PEER) == 3 and sum(m == "execute" for m, _ in fake.calls) >= 1


async def test_an_inner_error_10_resends_from_the_failed_message_in_order(vk):
    fake, sender = vk
    fake.fail_next("messages.send", 10)  # the first message fails inside execute: the script stops there
    await sender.send(PEER, THREE, key="8")
    assert [m["message"] for m in fake.sent_messages(PEER)] == ["Первое", "Второе", "Третье"]
    first, retry = fake.executes
    assert [c for _, _, c in first] == [10] and methods(retry) == ["messages.send"] * 3
    fake.fail_next("messages.send", 10, count=1)
    await sender.send(PEER + 1, [Say("Один"), Say("Два")], key="9")
    assert [m["message"] for m in fake.sent_messages(PEER + 1)] == ["Один", "Два"]


async def test_more_than_25_messages_go_in_order_in_several_executes(vk):
    fake, sender = vk
    replies = [Say(f"Сообщение {i}") for i in range(30)]
    await sender.send(PEER, replies, key="10")
    assert [m["message"] for m in fake.sent_messages(PEER)] == [f"Сообщение {i}" for i in range(30)]
    assert [len(e) for e in fake.executes] == [25, 5] and fake.rejected == []


async def test_two_residents_replies_go_out_side_by_side(services):
    async with vk_bot(services) as (fake, channel, progress):
        slow, quick = resident(fake, progress, 5103), resident(fake, progress, 5104)
        await slow.say("/help")
        await quick.say("/help")  # both known to the bot (names fetched), so the next turns only send
        release = fake.hold_peer(5103)
        try:
            fake.user_message(5103, "/help")
            await fake.wait_for(lambda: fake.held == 1)  # the slow resident's reply is stuck at "VK"
            await quick.say("/help")  # ... and the other resident's still goes out
            assert fake.delivered_count(5104) == 2 and fake.delivered_count(5103) == 1 and fake.held == 1
        finally:
            release.set()
        await fake.wait_messages(5103, 2)
        await progress.until(lambda: channel.handled[5103] == 2, what="slow reply handled")
        assert fake.rejected == []


async def test_requests_from_many_sessions_share_one_pace(services):
    async with FakeVK(token=TOKEN, group_id=GROUP_ID, rate_limit=20) as fake:  # error 6 above 20/s
        client = VkClient(fake.token, fake.base_url, rps=20, sessions=8)
        sender = VkSender(client, services)
        await asyncio.gather(*(sender.send(PEER + i, THREE, key=str(i)) for i in range(30)))
        client.close()
    assert fake.count_error6 == 0 and sum(fake.delivered_count(PEER + i) for i in range(30)) == 90
    assert len(fake.executes) == 30


async def cached_attachments(services) -> list[str | None]:
    async with services.uow() as uow:
        return [(p.channel_ids or {}).get("vk") for p in await uow.session.scalars(select(Photo).order_by(Photo.id))]


async def test_a_summary_with_a_photo_is_the_upload_server_and_one_execute(services):
    async with vk_bot(services) as (fake, channel, progress):
        r = resident(fake, progress, 5108)
        await consent(r)
        await r.say("/new")
        await r.press("Сыктывкар")
        await r.press("Дороги")
        await r.say("Большая яма у дома 5 на улице Ленина, уже месяц")
        await r.photo(jpeg_with_gps())
        await r.press("Готово")
        requests, executes = len(fake.calls), len(fake.executes)
        new = await r.say("ул. Ленина, 5")  # the summary shows the resident's (cleaned) photo
        assert requests_since(fake, requests) == ["photos.getMessagesUploadServer", "execute"]
        [inner] = fake.executes[executes:]
        assert methods(inner)[:2] == ["photos.saveMessagesPhoto", "messages.send"]
        [shown] = [m["attachment"] for m in new if m["attachment"]]
        assert SAVED.fullmatch(shown) and inner[1][1]["attachment"] == shown
        assert await cached_attachments(services) == [shown]  # learnt from the execute's answer
        assert fake.rejected == []


@pytest.mark.parametrize(("inject", "saves"), [
    pytest.param(lambda f: f.fail_next("messages.send", 10), 1, id="inner-10-at-the-message"),
    pytest.param(lambda f: f.fail_next("photos.saveMessagesPhoto", 10), 1, id="inner-10-at-the-save"),
    pytest.param(lambda f: f.http_error_next("execute", 502), 1, id="http-502"),
    pytest.param(lambda f: f.drop_next("execute", after_execute=True), 2, id="answer-lost-after-delivery"),
])
async def test_a_retried_execute_shows_the_photo_once(services, vk, inject, saves):
    fake, sender = vk
    photo = await store_photo(services, jpeg_with_gps(), 64, 48)
    inject(fake)
    await sender.send(PEER, [Say("Ваше обращение", photos=(photo,)), Say("Второе")], key="11")
    sent = fake.sent_messages(PEER)
    assert [m["message"] for m in sent] == ["Ваше обращение", "Второе"] and fake.delivered_count(PEER) == 2
    assert SAVED.fullmatch(sent[0]["attachment"]) and sent[1]["attachment"] is None
    done = [(m, p) for e in fake.executes for m, p, code in e if code is None]
    assert sum(m == "photos.saveMessagesPhoto" for m, _ in done) == saves  # a lost answer: saved again,
    [cached] = await cached_attachments(services)  # ... never shown twice (the send's random_id holds)
    assert SAVED.fullmatch(cached) and (saves == 2 or cached == sent[0]["attachment"])
    assert fake.upload_count == 1 and sum(m == "photos.getMessagesUploadServer" for m, _ in fake.calls) == 1


async def test_a_retry_after_the_save_attaches_the_saved_photo_without_saving_again(vk):
    fake, sender = vk
    fake.fail_next("messages.send", 10)
    photo = await store_photo(sender.renderer.services, jpeg_with_gps(), 64, 48)
    await sender.send(PEER, [Say("С фото", photos=(photo,))], key="12")
    first, retry = fake.executes
    assert [(m, c) for m, _, c in first] == [("photos.saveMessagesPhoto", None), ("messages.send", 10)]
    assert methods(retry) == ["messages.send"] and retry[0][1]["attachment"] == first[1][1]["attachment"]


async def test_a_photo_on_vk_is_attached_by_its_string_with_no_upload(services, vk):
    fake, sender = vk
    known, new = [await store_photo(services, jpeg_with_gps(color=(c, 0, 0)), 64, 48) for c in (10, 200)]
    await sender.send(PEER, [Say("Первое", photos=(known,))], key="13")
    [first] = fake.sent_messages(PEER)
    requests = len(fake.calls)
    await sender.send(PEER + 1, [Say("Снова", photos=(known,))], key="14")  # the next send of the same photo
    assert requests_since(fake, requests) == ["messages.send"]  # one plain request: no upload, no save
    assert fake.sent_messages(PEER + 1)[0]["attachment"] == first["attachment"]
    requests = len(fake.calls)
    await sender.send(PEER + 2, [Say("Оба", photos=(known, new)), Say("Новое ещё раз", photos=(new,))], key="15")
    assert requests_since(fake, requests) == ["photos.getMessagesUploadServer", "execute"]
    assert methods(fake.executes[-1]) == ["photos.saveMessagesPhoto", "messages.send", "messages.send"]
    both, again = fake.sent_messages(PEER + 2)
    assert both["attachment"] == f"{first['attachment']},{again['attachment']}" and SAVED.fullmatch(again["attachment"])
    assert await cached_attachments(services) == [first["attachment"], again["attachment"]]
    assert fake.upload_count == 2 and fake.rejected == []
