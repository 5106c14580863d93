"""The VK edge's pure parts: the shared request pace and the execute script and answer mapping."""

from __future__ import annotations

import threading

from bot.vk.batch import Call, Joined, NotRun, joined, outcomes, resolve, script
from bot.vk.client import is_transient
from bot.vk.pace import RequestPace
from bot.vk.render import SAVED_ATTACHMENT
from tests.fakes import vk_execute


def test_pace_books_slots_one_interval_apart_and_forgets_idle_time():
    now = [100.0]
    pace = RequestPace(20, headroom=1.0, clock=lambda: now[0])
    assert [round(pace.reserve(), 3) for _ in range(3)] == [0.0, 0.05, 0.1]
    now[0] += 10  # idle: no burst of saved-up slots, the next request just goes
    assert [round(pace.reserve(), 3) for _ in range(2)] == [0.0, 0.05]


def test_pace_hands_every_thread_its_own_slot():
    now = 0.0
    pace = RequestPace(10, headroom=1.0, clock=lambda: now)
    delays: list[float] = []
    lock = threading.Lock()

    def book() -> None:
        for _ in range(25):
            d = pace.reserve()
            with lock:
                delays.append(round(d, 6))

    threads = [threading.Thread(target=book) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(delays) == [round(n * 0.1, 6) for n in range(200)]


def test_script_stops_after_a_failed_required_call_and_the_fake_reads_it():
    calls = [Call("messages.sendMessageEventAnswer", {"event_id": "e", "user_id": 1, "peer_id": 1}, required=False),
             Call("messages.send", {"peer_id": 1, "random_id": 7, "message": 'кавычки " и \\ \n', "keyboard": None}),
             Call("messages.send", {"peer_id": 1, "random_id": 8, "message": "два"})]
    code = script(calls)
    assert "if (!r0)" not in code and "if (!r1) return [r0, r1];" in code and '"keyboard"' not in code
    seen: list[tuple[str, dict]] = []

    def call(method: str, args: dict) -> object:
        seen.append((method, args))
        return False if args.get("random_id") == 7 else 1

    assert vk_execute.run(vk_execute.parse(code), call) == [1, False]
    assert [a.get("message") for _, a in seen] == [None, 'кавычки " и \\ \n']


def test_outcomes_pair_execute_errors_with_their_calls():
    calls = [Call("users.get", {}, required=False), Call("messages.send", {}), Call("messages.send", {})]
    answer = {"response": [False, False], "execute_errors": [
        {"method": "users.get", "error_code": 6, "error_msg": "Too many requests per second"},
        {"method": "messages.send", "error_code": 901, "error_msg": "Can't send messages"}]}
    (r0, e0), (r1, e1), (r2, e2) = outcomes(None, calls, answer)
    assert (r0, e0.code, r1, e1.code) == (None, 6, None, 901)
    assert isinstance(e2, NotRun) and is_transient(e2) and not is_transient(e1)
    assert outcomes(None, calls[1:], {"response": [5, 6]}) == [(5, None), (6, None)]


def test_a_saved_photo_becomes_the_attachment_of_the_message_in_the_same_script():
    save = Call("photos.saveMessagesPhoto", {"photo": "[]", "server": 1, "hash": "h"}, then=SAVED_ATTACHMENT)
    other = Call("photos.saveMessagesPhoto", {"photo": "[]", "server": 1, "hash": "h2"}, then=SAVED_ATTACHMENT)
    send = Call("messages.send", {"peer_id": 1, "random_id": 5,
                                  "attachment": joined(["photo1_2", ",", save, ",", other])})
    assert joined(["a", ",", "b"]) == "a,b" and send.params["attachment"] == Joined(("photo1_2,", save, ",", other))
    saved = iter([[{"id": 7, "owner_id": -3, "access_key": "k"}], [{"id": 8, "owner_id": -3}]])
    seen: list[dict] = []

    def call(method: str, args: dict) -> object:
        seen.append(args)
        return next(saved) if method == "photos.saveMessagesPhoto" else 99

    code = script([save, other, send])
    assert vk_execute.run(vk_execute.parse(code), call) == ["photo-3_7_k", "photo-3_8", 99]
    assert seen[-1]["attachment"] == "photo1_2,photo-3_7_k,photo-3_8"  # no access key: none appended
    [filled] = resolve([send], {save: "photo-3_7_k", other: "photo-3_8"})  # a retry after the saves
    assert filled.params["attachment"] == "photo1_2,photo-3_7_k,photo-3_8" and send.params["attachment"] != filled
    assert resolve([send], {save: "photo-3_7_k"})[0].params["attachment"] == Joined(("photo1_2,photo-3_7_k,", other))
    saved = iter([False])
    assert vk_execute.run(vk_execute.parse(code), call) == [False]  # a failed save stops the script
