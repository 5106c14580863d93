"""Self-tests of FakeVK, driven through the REAL vk_api client (VkApi, VkBotLongPoll, VkUpload).

vk_api is synchronous, so every call goes through ``asyncio.to_thread`` while the fake answers on
the test's event loop.
"""

from __future__ import annotations

import asyncio
import io
import json

import jconfig
import pytest
import pytest_asyncio
import requests
import vk_api
from vk_api.bot_longpoll import VkBotEventType, VkBotLongPoll
from vk_api.exceptions import ApiError, ApiHttpError
from vk_api.execute import VkFunction
from vk_api.keyboard import VkKeyboard, VkKeyboardColor
from vk_api.upload import VkUpload

from .vk_server import FakeVK
from .vk_transport import redirect_vk_api

pytestmark = pytest.mark.asyncio

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32  # magic is all the fake checks


@pytest_asyncio.fixture
async def fake():
    async with FakeVK(longpoll_max_wait=3.0) as f:
        yield f


def make_vk(fake: FakeVK, token: str | None = None) -> vk_api.VkApi:
    # jconfig.MemoryConfig is vk_api's own dict-backed config (jconfig is a vk_api dependency):
    # VkApi calls config(login, filename=...) and MemoryConfig.load ignores the filename.
    vk = vk_api.VkApi(token=token or fake.token, api_version="5.199", config=jconfig.MemoryConfig)
    vk.RPS_DELAY = 0  # vk_api sleeps 0.34 s between calls by default
    redirect_vk_api(vk, fake.base_url)
    return vk


@pytest.fixture
def vk(fake):
    return make_vk(fake)


async def call(vk: vk_api.VkApi, method: str, **values):
    return await asyncio.to_thread(vk.method, method, values)


async def api_error(vk, method: str, **values) -> ApiError:
    with pytest.raises(ApiError) as info:
        await call(vk, method, **values)
    return info.value


async def longpoll(vk, fake, wait: int = 2) -> VkBotLongPoll:
    return await asyncio.to_thread(VkBotLongPoll, vk, fake.group_id, wait)


async def check(lp: VkBotLongPoll):
    return await asyncio.to_thread(lp.check)


# ----------------------------------------------------------------------------- messages.send
async def test_send_is_recorded(vk, fake):
    kb = VkKeyboard(one_time=True)
    kb.add_button("Да", VkKeyboardColor.POSITIVE, payload={"cmd": "yes"})
    mid = await call(vk, "messages.send", peer_id=42, random_id=1, message="привет", keyboard=kb.get_keyboard())
    assert isinstance(mid, int)
    [msg] = fake.sent_messages(42)
    assert msg["message_id"] == mid and msg["message"] == "привет" and msg["random_id"] == 1
    assert msg["keyboard"]["buttons"][0][0]["action"]["label"] == "Да"
    assert fake.delivered_count(42) == 1
    assert fake.calls[-1][0] == "messages.send" and "access_token" not in fake.calls[-1][1]


async def test_repeated_random_id_is_deduplicated(vk, fake):
    first = await call(vk, "messages.send", peer_id=7, random_id=555, message="a")
    again = await call(vk, "messages.send", peer_id=7, random_id=555, message="a")
    other = await call(vk, "messages.send", peer_id=7, random_id=556, message="b")
    assert first == again != other
    assert fake.delivered_count(7) == 2 and [m["message"] for m in fake.sent_messages(7)] == ["a", "b"]


async def test_send_through_vk_api_method_object(vk, fake):
    api = vk.get_api()
    mid = await asyncio.to_thread(api.messages.send, peer_id=3, random_id=9, message="x", attachment=["photo1_2"])
    assert fake.sent_messages(3)[0]["message_id"] == mid
    assert fake.sent_messages(3)[0]["attachment"] == "photo1_2"


@pytest.mark.parametrize("values, fragment", [
    ({"peer_id": 1, "message": "x"}, "random_id is a required parameter"),
    ({"peer_id": 1, "random_id": 1, "message": "x", "reply_markup": "{}"}, "unknown parameter reply_markup"),
    ({"peer_id": 1, "random_id": 1}, "message is empty"),
    ({"random_id": 1, "message": "x"}, "peer_id"),
    ({"peer_id": "abc", "random_id": 1, "message": "x"}, "peer_id is invalid"),
    ({"peer_id": 1, "random_id": 1, "attachment": "photo_bad"}, "attachment is invalid"),
    ({"peer_ids": ",".join(map(str, range(1, 102))), "random_id": 1, "message": "x"}, "peer_ids"),
])
async def test_send_param_errors(vk, fake, values, fragment):
    err = await api_error(vk, "messages.send", **values)
    assert err.code == 100 and fragment in err.error["error_msg"]
    assert fake.rejected[-1][:2] == ("messages.send", 100)
    assert {"key": "method", "value": "messages.send"} in err.error["request_params"]


async def test_message_length_limit(vk, fake):
    await call(vk, "messages.send", peer_id=1, random_id=1, message="я" * 4096)
    err = await api_error(vk, "messages.send", peer_id=1, random_id=2, message="я" * 4097)
    assert err.code == 914 and err.error["error_msg"] == "Message is too long"


async def test_auth_and_unknown_method(fake):
    assert (await api_error(make_vk(fake, token="wrong"), "users.get", user_ids=1)).code == 5
    assert (await api_error(make_vk(fake), "messages.fly", peer_id=1)).code == 3


async def test_send_to_many_peers(vk, fake):
    fake.disallow_messages(2)
    out = await call(vk, "messages.send", peer_ids="1,2", random_id=5, message="hi")
    assert out[0]["peer_id"] == 1 and out[0]["message_id"] > 0
    assert out[1]["error"]["code"] == 901 and fake.sent_messages(2) == []


# ----------------------------------------------------------------------------- keyboards
def _kb(rows, **extra) -> str:
    return json.dumps({"buttons": rows, **extra})


def _text(label="ok", payload=None):
    action = {"type": "text", "label": label}
    if payload is not None:
        action["payload"] = payload
    return {"action": action, "color": "primary"}


LOCATION = {"action": {"type": "location"}}


@pytest.mark.parametrize("keyboard", [
    "not json",
    json.dumps([[_text()]]),
    _kb("nope"),
    _kb([[_text("x" * 41)]]),
    _kb([[_text(payload="{" * 10)]]),
    _kb([[_text(payload=json.dumps({"a": "x" * 260}))]]),
    _kb([[_text()] * 6]),
    _kb([[_text()]] * 11),
    _kb([[_text()] * 5] * 9),
    _kb([[_text()] * 4] * 3, inline=True),
    _kb([[_text()]] * 7, inline=True),
    _kb([[LOCATION, _text()]]),
    _kb([[_text()]], inline=True, one_time=True),
    _kb([[{"action": {"type": "teleport", "label": "x"}}]]),
    _kb([[{"action": {"type": "open_link", "label": "x"}}]]),
    _kb([[{"action": {"type": "text", "label": "x"}, "color": "purple"}]]),
])
async def test_bad_keyboard_is_911(vk, fake, keyboard):
    err = await api_error(vk, "messages.send", peer_id=1, random_id=1, message="x", keyboard=keyboard)
    assert err.code == 911 and err.error["error_msg"].startswith("Keyboard format is invalid")
    assert fake.sent_messages(1) == []


async def test_good_keyboards_pass(vk, fake):
    inline = VkKeyboard(inline=True)
    inline.add_callback_button("Принять", VkKeyboardColor.POSITIVE, payload={"a": 1})
    inline.add_openlink_button("Портал", "https://example.org")
    standard = VkKeyboard()
    standard.add_location_button()
    standard.add_line()
    for i in range(5):
        standard.add_button(f"b{i}")
    for i, kb in enumerate([inline.get_keyboard(), standard.get_keyboard(), VkKeyboard.get_empty_keyboard(),
                            _kb([[_text()] * 5] * 8), _kb([[_text()] * 5, [_text()] * 5], inline=True)]):
        await call(vk, "messages.send", peer_id=1, random_id=i + 1, message="x", keyboard=kb)
    assert fake.delivered_count(1) == 5


# ----------------------------------------------------------------------------- injected faults
@pytest.mark.parametrize("code", [9, 10, 901, 902])
async def test_injected_error_surfaces(vk, fake, code):
    fake.fail_next("messages.send", code)
    err = await api_error(vk, "messages.send", peer_id=1, random_id=1, message="x")
    assert err.code == code
    await call(vk, "messages.send", peer_id=1, random_id=1, message="x")  # one-shot
    assert fake.delivered_count(1) == 1


async def test_error_6_is_retried_by_vk_api_unless_handler_removed(vk, fake):
    fake.fail_next("messages.send", 6)
    assert await call(vk, "messages.send", peer_id=1, random_id=1, message="x") > 0  # vk_api slept 0.5 s
    assert fake.count_error6 == 1 and fake.delivered_count(1) == 1
    del vk.error_handlers[6]
    fake.fail_next("messages.send", 6)
    assert (await api_error(vk, "messages.send", peer_id=1, random_id=2, message="y")).code == 6
    assert fake.count_error6 == 2


async def test_rate_limit_answers_error_6():
    async with FakeVK(rate_limit=3) as fake:
        vk = make_vk(fake)
        del vk.error_handlers[6]
        codes = []
        for i in range(5):
            try:
                await call(vk, "messages.send", peer_id=1, random_id=i, message="x")
                codes.append(0)
            except ApiError as e:
                codes.append(e.code)
        assert codes[:3] == [0, 0, 0] and 6 in codes[3:]
        assert fake.count_error6 == codes.count(6)


async def test_disallow_messages(vk, fake):
    fake.disallow_messages(99)
    err = await api_error(vk, "messages.send", peer_id=99, random_id=1, message="x")
    assert err.code == 901 and "without permission" in err.error["error_msg"]
    conv = await call(vk, "messages.getConversationsById", peer_ids="99,98")
    assert [i["can_write"]["allowed"] for i in conv["items"]] == [False, True]


async def test_http_500(vk, fake):
    fake.http_error_next("messages.send", 500)
    with pytest.raises(ApiHttpError) as info:
        await call(vk, "messages.send", peer_id=1, random_id=1, message="x")
    assert info.value.response.status_code == 500
    assert fake.rejected[-1] == ("messages.send", 500, "HTTP 500")
    await call(vk, "messages.send", peer_id=1, random_id=1, message="x")
    assert fake.delivered_count(1) == 1


# ----------------------------------------------------------------------------- edit / callbacks
async def test_edit_and_event_answer(vk, fake):
    mid = await call(vk, "messages.send", peer_id=5, random_id=1, message="old")
    cmid = fake.sent_messages(5)[0]["conversation_message_id"]
    assert await call(vk, "messages.edit", peer_id=5, conversation_message_id=cmid, message="new") == 1
    assert await call(vk, "messages.edit", peer_id=5, message_id=mid, message="newer",
                      keyboard=VkKeyboard.get_empty_keyboard()) == 1
    assert fake.sent_messages(5)[0]["message"] == "newer" and len(fake.edits) == 2
    assert (await api_error(vk, "messages.edit", peer_id=5, message="x")).code == 100

    event = fake.user_presses(5, {"cmd": "accept"}, conversation_message_id=cmid)
    event_id = event["object"]["event_id"]
    snack = json.dumps({"type": "show_snackbar", "text": "Принято"})
    assert await call(vk, "messages.sendMessageEventAnswer", event_id=event_id, user_id=5, peer_id=5,
                      event_data=snack) == 1
    assert fake.event_answers[-1]["event_data"]["text"] == "Принято"
    err = await api_error(vk, "messages.sendMessageEventAnswer", event_id="nope", user_id=5, peer_id=5)
    assert err.code == 100


# ----------------------------------------------------------------------------- execute
def send_js(peer: int, random_id: int, text: str) -> str:
    return "API.messages.send(" + json.dumps({"peer_id": peer, "random_id": random_id, "message": text},
                                             ensure_ascii=False) + ")"


async def execute(vk, code: str) -> dict:
    return await asyncio.to_thread(vk.method, "execute", {"code": code}, raw=True)


async def test_execute_runs_calls_in_order_as_one_request(vk, fake):
    event_id = fake.user_presses(5, {"cmd": "x"}, conversation_message_id=1)["object"]["event_id"]
    answer = (f'API.messages.sendMessageEventAnswer({{"event_id": "{event_id}", "user_id": 5, "peer_id": 5, '
              '"event_data": "{\\"type\\":\\"show_snackbar\\",\\"text\\":\\"Ок\\"}"})')
    body = await execute(vk, f"return [{answer}, {send_js(5, 1, 'первое')}, {send_js(5, 2, 'второе')}];")
    assert "execute_errors" not in body
    ok, first, second = body["response"]
    assert ok == 1 and 0 < first < second
    assert [m["message"] for m in fake.sent_messages(5)] == ["первое", "второе"]
    assert fake.event_answers[-1]["event_data"]["text"] == "Ок"
    assert [m for m, _ in fake.calls] == ["execute"]  # one request on the wire
    assert [m for m, _, _ in fake.executes[-1]] == ["messages.sendMessageEventAnswer", "messages.send",
                                                    "messages.send"]
    assert fake.executes[-1][1][1] == {"peer_id": "5", "random_id": "1", "message": "первое"}


async def test_execute_failed_calls_yield_false_and_execute_errors(vk, fake):
    fake.disallow_messages(7)
    fake.fail_next("messages.send", 10)  # injected like a direct call's
    code = (f"return [{send_js(8, 1, 'a')}, {send_js(7, 2, 'b')}, {send_js(8, 3, 'c')}, "
            'API.messages.send({"peer_id": 8, "random_id": 4, "message": "d", "colour": 1}), '
            'API.messages.fly({"peer_id": 8})];')
    body = await execute(vk, code)
    assert body["response"][:3] == [False, False, body["response"][2]] and body["response"][2] > 0
    assert body["response"][3:] == [False, False]
    assert [(e["method"], e["error_code"]) for e in body["execute_errors"]] == [
        ("messages.send", 10), ("messages.send", 901), ("messages.send", 100), ("messages.fly", 3)]
    assert body["execute_errors"][1]["error_msg"] == "Can't send messages for users without permission"
    assert [m["message"] for m in fake.sent_messages(8)] == ["c"]
    assert [(m, c) for m, c, _ in fake.rejected] == [("messages.send", 10), ("messages.send", 901),
                                                     ("messages.send", 100), ("messages.fly", 3)]


async def test_execute_vars_and_early_return(vk, fake):
    fake.disallow_messages(9)
    code = (f"var r0 = {send_js(10, 1, 'x')};\nvar r1 = {send_js(9, 2, 'y')};\nif (!r1) return [r0, r1];\n"
            f"var r2 = {send_js(10, 3, 'z')};\nreturn [r0, r1, r2];")
    body = await execute(vk, code)
    assert body["response"][1] is False and len(body["response"]) == 2
    assert [m["message"] for m in fake.sent_messages(10)] == ["x"]  # stopped before the third call
    vk_function = VkFunction("var a = API.users.get({user_ids: %(ids)s});\nreturn {\"users\": a};", args=("ids",))
    assert (await asyncio.to_thread(vk_function, vk, "1,2"))["users"][1]["id"] == 2



async def test_execute_saves_a_photo_and_attaches_it_by_its_result(vk, fake):
    server = await call(vk, "photos.getMessagesUploadServer", peer_id=17)
    uploaded = await asyncio.to_thread(
        lambda: requests.post(server["upload_url"], files={"photo": ("a.png", PNG)}, timeout=5).json())
    code = ("var r0 = API.photos.saveMessagesPhoto(" + json.dumps(uploaded) + ");\nif (!r0) return [r0];\n"
            'var p0 = r0[0];\nr0 = "photo" + p0.owner_id + "_" + p0.id;\n'
            'if (p0.access_key) r0 = r0 + "_" + p0.access_key;\n'
            'var r1 = API.messages.send({"peer_id": 17, "random_id": 1, "attachment": "photo1_2," + r0});\n'
            'return [r0, r1, 1 + 2.0, p0.nothing, [5][3]];')
    body = await execute(vk, code)
    attachment, message_id, three, missing, outside = body["response"]
    assert attachment.startswith(f"photo{-fake.group_id}_") and len(attachment.split("_")) == 3
    assert fake.sent_messages(17)[0]["attachment"] == f"photo1_2,{attachment}" and message_id > 0
    assert (three, missing, outside) == (3.0, None, None)
    assert [m for m, _, e in fake.executes[-1] if e is None] == ["photos.saveMessagesPhoto", "messages.send"]
    for bad, why in (("var a = 1; b = 2; return a;", "undefined variable b"),
                     ('var a = false; return a[0];', "cannot read 0 of bool"),
                     ('return "a" + null;', "cannot add str and NoneType"),
                     ('return [1] + "a";', "cannot add list and str")):
        err = await api_error(vk, "execute", code=bad)
        assert err.code == 13 and why in err.error["error_msg"], bad
    assert (await api_error(vk, "execute", code="var a = 1; a + 1;")).code == 12

async def test_execute_limits_and_compile_errors(vk, fake):
    too_many = "return [" + ", ".join(send_js(11, i, "m") for i in range(1, 27)) + "];"
    err = await api_error(vk, "execute", code=too_many)
    assert err.code == 13 and err.error["error_msg"].startswith("Runtime error occurred during code invocation")
    assert fake.delivered_count(11) == 25  # the first 25 ran, as on VK
    for bad in ("return API.messages.send({peer_id: 1}", "while (1) {}", "API.users.get();", "return [1 2];"):
        err = await api_error(vk, "execute", code=bad)
        assert err.code == 12 and err.error["error_msg"].startswith("Unable to compile code: ")
    err = await api_error(vk, "execute", code="return x;")
    assert err.code == 13 and "undefined variable x" in err.error["error_msg"]
    assert (await api_error(vk, "execute")).code == 100  # code is required


async def test_execute_counts_once_toward_the_rate_limit():
    async with FakeVK(rate_limit=3) as fake:
        vk = make_vk(fake)
        del vk.error_handlers[6]
        for i in range(3):
            await execute(vk, "return [" + ", ".join(send_js(12, 10 * i + j, "m") for j in range(5)) + "];")
        assert fake.delivered_count(12) == 15
        assert (await api_error(vk, "execute", code=f"return [{send_js(12, 99, 'm')}];")).code == 6


async def test_dropped_connection_and_held_peer(vk, fake):
    fake.drop_next("execute", after_execute=True)
    with pytest.raises(requests.ConnectionError):
        await execute(vk, f"return [{send_js(13, 1, 'a')}, {send_js(13, 2, 'b')}];")
    assert fake.delivered_count(13) == 2  # it took effect; only the answer was lost
    fake.drop_next("messages.send")
    with pytest.raises(requests.ConnectionError):
        await call(vk, "messages.send", peer_id=13, random_id=3, message="c")
    assert fake.delivered_count(13) == 2
    release = fake.hold_peer(14)
    held = asyncio.create_task(execute(vk, f"return [{send_js(14, 1, 'held')}];"))
    await fake.wait_for(lambda: fake.held == 1)
    other = make_vk(fake)  # a second session: the held request blocks only its own
    await call(other, "messages.send", peer_id=15, random_id=1, message="free")
    assert fake.delivered_count(15) == 1 and fake.delivered_count(14) == 0
    release.set()
    assert (await held)["response"][0] > 0 and fake.delivered_count(14) == 1


async def test_a_failure_queued_for_a_method_hits_the_execute_carrying_it(vk, fake):
    fake.http_error_next("messages.send", 503)
    with pytest.raises(ApiHttpError):
        await execute(vk, f"return [{send_js(16, 1, 'a')}, {send_js(16, 2, 'b')}];")
    assert fake.rejected[-1] == ("messages.send", 503, "HTTP 503") and fake.delivered_count(16) == 0
    await execute(vk, f"return [{send_js(16, 1, 'a')}, {send_js(16, 2, 'b')}];")
    assert fake.delivered_count(16) == 2


# ----------------------------------------------------------------------------- long poll
async def test_longpoll_delivers_message_new_and_message_event(vk, fake):
    lp = await longpoll(vk, fake)
    geo = (61.67, 50.83)
    photo = fake.photo_attachment(PNG)
    sent = fake.user_message(10, "Яма на дороге", attachments=[photo], geo=geo, payload={"k": 1})
    [event] = await check(lp)
    assert event.type == VkBotEventType.MESSAGE_NEW
    message = event.object.message
    assert message["text"] == "Яма на дороге" and message["from_id"] == 10
    assert message["geo"]["coordinates"] == {"latitude": 61.67, "longitude": 50.83}
    assert json.loads(message["payload"]) == {"k": 1}
    assert event.object.client_info["keyboard"] is True
    assert message == sent["object"]["message"]
    largest = message["attachments"][0]["photo"]["sizes"][-1]
    body = await asyncio.to_thread(lambda: requests.get(largest["url"], timeout=5).content)
    assert body == PNG and largest["width"] == 1280

    fake.user_presses(10, {"cmd": "next"}, conversation_message_id=3)
    [press] = await check(lp)
    assert press.type == VkBotEventType.MESSAGE_EVENT
    assert press.object.payload == {"cmd": "next"} and press.object.conversation_message_id == 3


async def test_longpoll_waits_for_a_push(vk, fake):
    lp = await longpoll(vk, fake, wait=3)
    pending = asyncio.create_task(check(lp))
    await fake.wait_for(lambda: fake.longpoll_waiting == 1)  # the a_check is held open now
    fake.user_message(1, "late")
    events = await asyncio.wait_for(pending, 5)
    assert [e.object.message["text"] for e in events] == ["late"]


async def test_longpoll_empty_answer_after_wait(vk, fake):
    lp = await longpoll(vk, fake, wait=1)
    before = lp.ts
    assert await check(lp) == [] and lp.ts == before


async def test_longpoll_failed_1_uses_new_ts(vk, fake):
    lp = await longpoll(vk, fake)
    fake.user_message(1, "lost")  # history "lost": failed 1 moves ts past it
    fake.fail_longpoll(1)
    assert await check(lp) == []
    assert fake.longpoll_answers[-1]["failed"] == 1 and lp.ts == fake.longpoll_answers[-1]["ts"] == "2"
    fake.user_message(1, "after")
    assert [e.object.message["text"] for e in await check(lp)] == ["after"]


async def test_longpoll_failed_2_renews_key_keeps_ts(vk, fake):
    lp = await longpoll(vk, fake)
    old_key, old_ts = lp.key, lp.ts
    fake.user_message(1, "queued")
    fake.fail_longpoll(2)
    assert await check(lp) == []
    assert lp.key != old_key and lp.ts == old_ts
    assert [e.object.message["text"] for e in await check(lp)] == ["queued"]
    lp.key = "stale"  # a wrong key is answered with failed 2 too
    fake.user_message(1, "again")
    assert await check(lp) == [] and fake.longpoll_answers[-1] == {"failed": 2}
    assert [e.object.message["text"] for e in await check(lp)] == ["again"]


async def test_longpoll_failed_3_renews_key_and_ts_without_losing_events(vk, fake):
    lp = await longpoll(vk, fake)
    fake.user_message(1, "one")
    assert len(await check(lp)) == 1
    old_key, servers = lp.key, len([c for c in fake.calls if c[0] == "groups.getLongPollServer"])
    lp.ts = "1"  # a stale ts: had vk_api kept it, "one" would come again
    fake.user_message(1, "queued")
    fake.fail_longpoll(3)
    assert await check(lp) == []
    assert lp.key != old_key and lp.ts == "2"
    assert len([c for c in fake.calls if c[0] == "groups.getLongPollServer"]) == servers + 1
    assert [e.object.message["text"] for e in await check(lp)] == ["queued"]


async def test_failure_wakes_a_waiting_poll(vk, fake):
    lp = await longpoll(vk, fake, wait=3)
    pending = asyncio.create_task(check(lp))
    await fake.wait_for(lambda: fake.longpoll_waiting == 1)
    fake.fail_longpoll(2)
    assert await asyncio.wait_for(pending, 2) == []


async def test_restarted_client_resumes_from_saved_ts(vk, fake):
    lp = await longpoll(vk, fake)
    saved_ts = lp.ts
    fake.user_message(1, "a")
    assert len(await check(lp)) == 1
    fake.user_message(1, "b")  # bot is down now
    lp2 = await longpoll(vk, fake)
    lp2.ts = saved_ts
    assert [e.object.message["text"] for e in await check(lp2)] == ["a", "b"]


async def test_attachment_builders_are_well_formed(fake):
    doc = fake.doc_attachment(b"%PDF-1.4", "act.pdf", "pdf")
    assert doc["doc"]["type"] == 1 and doc["doc"]["size"] == 8
    assert (await asyncio.to_thread(lambda: requests.get(doc["doc"]["url"], timeout=5).content)) == b"%PDF-1.4"
    kinds = [a["type"] for a in (fake.sticker_attachment(), fake.audio_message_attachment(),
                                 fake.video_attachment(), fake.wall_attachment(),
                                 fake.link_attachment("https://example.org"))]
    assert kinds == ["sticker", "audio_message", "video", "wall", "link"]


# ----------------------------------------------------------------------------- uploads
async def test_photo_upload_flow(vk, fake):
    [photo] = await asyncio.to_thread(VkUpload(vk).photo_messages, io.BytesIO(PNG), peer_id=42)
    assert photo["owner_id"] == -fake.group_id and photo["access_key"] and photo["sizes"]
    assert fake.upload_count == 1
    attachment = f"photo{photo['owner_id']}_{photo['id']}_{photo['access_key']}"
    await call(vk, "messages.send", peer_id=42, random_id=1, attachment=attachment)
    assert fake.sent_messages(42)[0]["attachment"] == attachment
    body = await asyncio.to_thread(lambda: requests.get(photo["sizes"][-1]["url"], timeout=5).content)
    assert body == PNG


async def test_photo_upload_bad_hash_and_non_image(vk, fake):
    server = await call(vk, "photos.getMessagesUploadServer", peer_id=1)
    post = lambda data: requests.post(server["upload_url"], files={"photo": ("a.png", data)}, timeout=5).json()  # noqa: E731
    uploaded = await asyncio.to_thread(post, PNG)
    err = await api_error(vk, "photos.saveMessagesPhoto", photo=uploaded["photo"], server=1, hash="bad")
    assert err.code == 100 and "hash" in err.error["error_msg"]
    not_image = await asyncio.to_thread(post, b"hello")
    assert not_image["photo"] == "[]"
    assert (await api_error(vk, "photos.saveMessagesPhoto", **not_image)).code == 100


async def test_doc_upload_flow(vk, fake):
    result = await asyncio.to_thread(VkUpload(vk).document, io.BytesIO(b"%PDF-1.4 x"), title="report.pdf",
                                     message_peer_id=42)
    assert result["type"] == "doc" and result["doc"]["title"] == "report.pdf" and result["doc"]["ext"] == "pdf"


# ----------------------------------------------------------------------------- misc methods / waiting
async def test_other_methods(vk, fake):
    assert (await call(vk, "groups.getById", group_id=fake.group_id))["groups"][0]["id"] == fake.group_id
    assert await call(vk, "groups.setLongPollSettings", group_id=1, enabled=1, message_new=1, api_version="5.199") == 1
    assert (await call(vk, "groups.getCallbackConfirmationCode", group_id=1))["code"] == fake.confirmation_code
    fake.users[5] = {"first_name": "Иван", "last_name": "Петров"}
    [user] = await call(vk, "users.get", user_ids=5)
    assert user["first_name"] == "Иван"


async def test_wait_helpers(vk, fake):
    async def later():
        await call(vk, "messages.send", peer_id=8, random_id=1, message="x")
        await call(vk, "messages.send", peer_id=8, random_id=2, message="y")
    task = asyncio.create_task(later())
    msgs = await fake.wait_messages(8, 2)
    await task
    assert [m["message"] for m in msgs] == ["x", "y"]
    with pytest.raises(AssertionError, match="condition not met"):
        await fake.wait_for(lambda: False, timeout=0.2)
