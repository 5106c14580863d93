"""VK-only behaviour of the live channel: long-poll failures and restarts, retries, redelivery, buttons."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from storage.models import KeyValue
from tests.e2e.test_intake_scenarios import consent, to_description
from tests.e2e.vk_harness import GROUP_ID, TOKEN, VkResident, start_vk, vk_bot
from tests.fakes.vk_server import FakeVK
from tests.images import jpeg_with_gps


def resident(fake, progress, user_id: int) -> VkResident:
    return VkResident(fake, SimpleNamespace(progress=progress), user_id)


def lp_calls(fake) -> int:
    return sum(m == "groups.getLongPollServer" for m, _ in fake.calls)


@pytest.mark.parametrize("code", [1, 2, 3])
async def test_longpoll_failed_is_recovered(services, code):
    async with vk_bot(services) as (fake, channel, progress):
        r = resident(fake, progress, 5001)
        await r.say("/help")
        assert channel.running
        answers, servers = len(fake.longpoll_answers), lp_calls(fake)
        fake.fail_longpoll(code)
        await fake.wait_for(lambda: any(a.get("failed") == code for a in fake.longpoll_answers[answers:]))
        await fake.wait_for(lambda: fake.longpoll_waiting > 0)  # polling again
        await r.say("/help")
        assert "Как это работает" in r.last_text()
        assert lp_calls(fake) == servers + (code > 1)
        assert fake.rejected == []


async def test_longpoll_server_http_errors_back_off_and_recover(services):
    async with vk_bot(services) as (fake, channel, progress):
        r = resident(fake, progress, 5002)
        await r.say("/help")
        fake.http_error_next("groups.getLongPollServer", 500, count=2)
        fake.fail_longpoll(3)
        await r.say("/help")
        assert "Как это работает" in r.last_text()
        assert [code for _, code, _ in fake.rejected] == [500, 500]


async def test_ts_is_persisted_and_messages_sent_while_down_are_handled(services):
    async with FakeVK(token=TOKEN, group_id=GROUP_ID) as fake:
        channel, progress = await start_vk(services, fake)
        env = SimpleNamespace(progress=progress)
        r = VkResident(fake, env, 5003)
        await r.say("/start")
        await fake.wait_for(lambda: fake.longpoll_waiting > 0)
        await channel.stop()
        answers = len(fake.longpoll_answers)
        fake.user_message(5003, "/help")
        fake.user_message(5003, "/cancel")
        # the stopped bot's last a_check takes both events and drops them: only the saved ts can save them
        await fake.wait_for(lambda: any(a.get("n_updates") == 2 for a in fake.longpoll_answers[answers:]))
        async with services.uow() as uow:
            assert await uow.session.get(KeyValue, f"vk_longpoll_ts:{GROUP_ID}")
        channel, env.progress = await start_vk(services, fake)
        await env.progress.until(lambda: channel.handled[5003] >= 2, what="handled after restart")
        await channel.stop()
        texts = r.texts()
        helped = max(i for i, t in enumerate(texts) if "Как это работает" in t)
        assert any("нечего отменять" in t for t in texts[helped + 1:])
        assert fake.rejected == []


@pytest.mark.parametrize("failure", ["error6", "http500"])
async def test_send_failures_are_retried_with_backoff(services, failure):
    async with vk_bot(services) as (fake, channel, progress):
        r = resident(fake, progress, 5004)
        if failure == "error6":
            fake.fail_next("messages.send", 6, count=2)
        else:
            fake.http_error_next("messages.send", 500, count=2)
        await r.say("/help")
        assert "Как это работает" in r.last_text() and len(r.messages) == 1
        assert [m for m, _, _ in fake.rejected] == ["messages.send"] * 2


async def test_redelivered_event_does_not_duplicate_replies(services):
    async with vk_bot(services) as (fake, channel, progress):
        r = resident(fake, progress, 5005)
        raw: list[dict] = []
        await r._after(lambda: raw.append(fake.user_message(5005, "/help")))

        def redeliver_then_new():
            fake.push_event(raw[0])  # VK delivers the same event again: stored once (inbox), not handled
            fake.user_message(5005, "/help")

        await r._after(redeliver_then_new)
        assert channel.handled[5005] == 2 and fake.delivered_count(5005) == 2
    assert not channel.running


async def test_disallowed_messages_do_not_crash_the_dialog(services):
    async with vk_bot(services) as (fake, channel, progress):
        r = resident(fake, progress, 5006)
        fake.disallow_messages(5006)
        await r.say("/start")
        assert r.messages == [] and [(m, c) for m, c, _ in fake.rejected] == [("messages.send", 901)]
        fake.allow_messages(5006)
        await r.say("/start")
        assert "Здравствуйте" in r.texts()[0]


async def test_presses_are_answered_start_button_and_forged_payloads(services):
    async with vk_bot(services) as (fake, channel, progress):
        r, other = resident(fake, progress, 5007), resident(fake, progress, 5010)
        await r._after(lambda: fake.user_message(5007, "Начать", payload={"command": "start"}))
        assert "Здравствуйте" in r.texts()[0]
        await r.press("Согласен")
        assert fake.event_answers[-1]["event_data"] == {"type": "show_snackbar",
                                                        "text": "Спасибо! Теперь можно сообщить о проблеме."}
        message_id, label, data = r.find_button("📝")
        await r.press_data(message_id, data[:-3] + "AAA", check=False)
        assert "недействительна" in r.texts()[-2]
        await consent(other)  # replaying r's payload as a text-button message in another dialog
        await other._after(lambda: fake.user_message(5010, "нажал", payload={"b": data}))
        assert "недействительна" in other.texts()[-2]
        assert len(fake.event_answers) == 3 and fake.event_answers[1]["event_data"] is None
        assert fake.rejected == []


async def test_one_persons_batch_is_handled_in_order(services):
    async with vk_bot(services) as (fake, channel, progress):
        r = resident(fake, progress, 5008)
        await consent(r)
        await r._after(lambda: [fake.user_message(5008, text) for text in ("/help", "/my", "/cancel")], count=3)
        texts = r.texts()
        order = [next(i for i, t in enumerate(texts) if part in t) for part in ("Как это", "нет обращений", "нечего")]
        assert order == sorted(order), texts


async def test_largest_photo_size_is_downloaded_and_text_with_a_link_is_text(services):
    async with vk_bot(services) as (fake, channel, progress):
        r = resident(fake, progress, 5009)
        await consent(r)
        await to_description(r)
        link = fake.link_attachment("https://example.org/map")
        await r._after(lambda: fake.user_message(5009, "Яма у дома 3, карта: https://example.org/map",
                                                 attachments=[link]))
        assert "фото" in r.last_text().lower()
        attachment = fake.photo_attachment(jpeg_with_gps(), width=2000, height=1500)
        await r._after(lambda: fake.user_message(5009, attachments=[attachment]))
        largest = attachment["photo"]["sizes"][-1]
        assert largest["width"] == 2000 and fake.media_requests == [largest["url"].rsplit("/", 1)[1]]
        assert "1 из 5" in r.last_text() and fake.rejected == []
