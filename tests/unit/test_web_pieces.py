"""Web chat pieces: the signed cookie, peer ids, CSRF tokens, what the page may send, markup kept as is."""

from __future__ import annotations

import pytest

from bot.web.identity import PERSONAS, csrf_ok, csrf_token, new_cookie, peer_of, read_cookie
from bot.web.inputs import BadRequest, normalize, to_input
from bot.web.render import message_json
from handlers.callbacks import sign
from handlers.types import Button, Command, Location, Press, Say, Text, Unsupported
from storage.models import WebMessage

KEY = b"unit-key"


def test_cookie_is_signed_and_long():
    cookie = new_cookie(KEY)
    rid = read_cookie(KEY, cookie)
    assert rid and len(rid) == 43  # 256 random bits
    assert read_cookie(b"other-key", cookie) is None
    assert read_cookie(KEY, cookie[:-1] + ("A" if cookie[-1] != "A" else "B")) is None
    assert read_cookie(KEY, None) is None and read_cookie(KEY, "x.y") is None


def test_peer_and_csrf_derive_from_the_random_id():
    a, b = read_cookie(KEY, new_cookie(KEY)), read_cookie(KEY, new_cookie(KEY))
    assert peer_of(KEY, a) != peer_of(KEY, b) and 0 < peer_of(KEY, a) < 2**56
    assert peer_of(KEY, a) not in PERSONAS.values()
    assert csrf_ok(KEY, a, csrf_token(KEY, a)) and not csrf_ok(KEY, b, csrf_token(KEY, a))
    assert not csrf_ok(KEY, a, None) and not csrf_ok(KEY, a, "")


@pytest.mark.parametrize("body", [
    None, [], "text", {"kind": "text"}, {"kind": "text", "text": "   "}, {"kind": "location", "lat": "61"},
    {"kind": "location", "lat": 91, "lon": 0}, {"kind": "location", "lat": True, "lon": 1},
    {"kind": "location", "lat": float("nan"), "lon": 1}, {"kind": "photos", "files": []}, {"kind": "sticker"},
])
def test_what_the_page_may_not_send(body):
    with pytest.raises(BadRequest):
        normalize(body)


def test_inputs_are_the_neutral_ones():
    assert to_input(normalize({"kind": "text", "text": "/My extra"}), KEY, 5) == Command("my", "extra")
    assert to_input(normalize({"kind": "text", "text": "x" * 20_000}), KEY, 5) == Text("x" * 10_000)
    assert to_input(normalize({"kind": "location", "lat": 61.6, "lon": 50.8}), KEY, 5) == Location(61.6, 50.8)
    signed = sign(KEY, "web", 5, "my")
    assert to_input(normalize({"kind": "press", "data": signed}), KEY, 5) == Press("my")
    assert to_input(normalize({"kind": "press", "data": signed}), KEY, 6) == Unsupported("forged")
    assert to_input({"kind": "photos", "files": [{"ref": "bad:type"}]}, KEY, 5) == Unsupported("document")


def test_rendered_buttons_are_signed_for_the_viewer():
    say = Say("<b>Шаг</b> &lt;x&gt;", ((Button("Да", "yes"),),), photos=(7,), ask_location=True)
    out = message_json(WebMessage(id=3, peer_id=5, direction="out", payload=say.to_dict()), KEY, 5)
    assert out["html"] == "<b>Шаг</b> &lt;x&gt;" and out["ask_location"]
    assert out["buttons"] == [[{"label": "Да", "data": sign(KEY, "web", 5, "yes")}]]
    assert out["photos"][0].startswith("/web/media/7?s=")
