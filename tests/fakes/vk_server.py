"""FakeVK: an in-process fake of the VK API (community token, Bots Long Poll) for tests.

It speaks the wire protocol exactly as the real ``vk_api`` client uses it:

* ``POST/GET {base_url}/method/{name}`` with form params (``access_token``, ``v``, ...); answers are
  HTTP 200 ``{"response": ...}`` or ``{"error": {"error_code", "error_msg", "request_params"}}``.
  Point a ``vk_api.VkApi`` at it with ``tests.fakes.vk_transport.redirect_vk_api``.
* Bots Long Poll: ``groups.getLongPollServer`` hands out ``{base_url}/lp/{group_id}``, polled with
  ``?act=a_check&key=..&ts=..&wait=N`` -> ``{"ts", "updates"}`` or ``{"failed": 1|2|3}``.
* Uploads: ``{base_url}/upload/photo`` and ``/upload/doc`` (multipart), media at ``{base_url}/media/..``.
* ``execute(code=...)``: the VKScript subset of ``vk_execute``; up to 25 inner calls, each checked and
  fault-injected like a direct call, in one request that counts once toward the rate limit; answers
  ``{"response": ..., "execute_errors": [{"method", "error_code", "error_msg"}]}`` (``false`` in a
  failed call's place), error 12 for code it cannot compile, 13 at the 26th call.

Every parameter is checked against ``vk_methods.json`` (generated from the official schema by
``vk_schema.py``).  Deliberately *stricter* than VK: an unknown parameter is error 100 (VK ignores it)
so typos in the bot fail loudly.

Test-side API (all synchronous unless marked async)::

    async with FakeVK(token=..., group_id=1, rate_limit=None) as fake:   # or await start()/stop()
        fake.base_url
        fake.user_message(peer_id, text, attachments=, geo=, payload=)   # push message_new
        fake.user_presses(peer_id, payload, conversation_message_id)     # push message_event
        fake.push_event(raw)
        fake.photo_attachment(bytes) / doc_attachment(data, title, ext) / sticker_attachment() /
            audio_message_attachment() / video_attachment() / wall_attachment() / link_attachment(url)
        fake.sent_messages(peer) / delivered_count(peer) / calls / rejected / event_answers / edits /
            executes (the inner calls of each execute request: (method, params, error_code or None))
        fake.fail_next(method, code, count) / http_error_next(method, status, count) /
            drop_next(method, count, after_execute) / hold_peer(peer) -> asyncio.Event (a held request
            whose client dies meanwhile is dropped, listed in ``abandoned``) / arrivals (loop time, method) /
            disallow_messages(peer) / fail_longpoll(code)
        await fake.wait_for(predicate, timeout) / await fake.wait_messages(peer, n, timeout)
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import secrets
import socket
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

from aiohttp import web

from . import holds, vk_execute

API_VERSION = "5.199"
GLOBAL_PARAMS = frozenset({"access_token", "v", "lang", "test_mode"})
MAX_MESSAGE_CHARS = 4096
CHAT_PEER_BASE = 2_000_000_000
_TABLE = json.loads(Path(__file__).with_name("vk_methods.json").read_text(encoding="utf-8"))
METHODS: dict[str, list[dict]] = _TABLE["methods"]
ERROR_MESSAGES = {int(code): msg for code, msg in _TABLE["errors"].items()}  # from the schema's errors.json
CLIENT_INFO = {
    "button_actions": ["text", "vkpay", "open_app", "location", "open_link", "callback",
                       "intent_subscribe", "intent_unsubscribe"],
    "keyboard": True, "inline_keyboard": True, "carousel": True, "lang_id": 0,
}
BUTTON_TYPES = {"text", "callback", "location", "open_link", "vkpay", "open_app"}
BUTTON_COLORS = {"primary", "secondary", "negative", "positive", "default"}
ATTACHMENT_RE = re.compile(r"(photo|video|audio|doc|wall|market|poll|audio_playlist)-?\d+_\d+(_[0-9A-Za-z]+)?")
IMAGE_MAGIC = (b"\xff\xd8\xff", b"\x89PNG", b"GIF8", b"RIFF", b"BM")
DOC_TYPES = {**dict.fromkeys(("txt", "pdf", "doc", "docx", "odt", "rtf", "xls", "xlsx"), 1),
             **dict.fromkeys(("zip", "rar", "7z"), 2), "gif": 3,
             **dict.fromkeys(("jpg", "jpeg", "png", "webp", "bmp"), 4),
             **dict.fromkeys(("mp3", "ogg", "wav"), 5), **dict.fromkeys(("mp4", "avi", "mov"), 6)}
PHOTO_LADDER = (("s", 75), ("m", 130), ("x", 604), ("y", 807), ("z", 1080), ("w", 2560))


class VKError(Exception):
    """An API error answer: ``code`` plus VK's message, optionally with a detail after a colon."""

    def __init__(self, code: int, detail: str | None = None) -> None:
        self.code = code
        base = ERROR_MESSAGES.get(code, f"Error {code}")
        self.msg = f"{base}: {detail}" if detail else base
        super().__init__(self.msg)


# --------------------------------------------------------------------------- validation helpers
def _value_ok(typ: str, value: str, spec: dict) -> bool:
    """Whether one form value fits a schema type (and the limits the table gives)."""
    try:
        if typ == "integer":
            n = int(value)
            return spec.get("minimum", n) <= n <= spec.get("maximum", n)
        if typ == "number":
            float(value)
            return True
    except ValueError:
        return False
    if typ == "boolean":
        return value.lower() in {"0", "1", "true", "false"}
    if typ == "string":
        return len(value) <= spec.get("maxLength", len(value)) and value in spec.get("enum", [value])
    if typ == "array":
        items = value.split(",")
        item_types = spec.get("items")
        item_types = [item_types] if isinstance(item_types, str) else item_types or ["string"]
        return len(items) <= spec.get("maxItems", len(items)) and all(
            any(_value_ok(t, i.strip(), {}) for t in item_types) for i in items)
    return True


def check_params(method: str, params: dict[str, str]) -> None:
    """Validate names, required flags, types and limits against the schema table (error 100/914)."""
    spec = {p["name"]: p for p in METHODS[method]}
    for name in params:
        if name not in spec and name not in GLOBAL_PARAMS:
            raise VKError(100, f"unknown parameter {name}")
    if method in ("messages.send", "messages.edit") and len(params.get("message", "")) > MAX_MESSAGE_CHARS:
        raise VKError(914)
    for name, p in spec.items():
        value = params.get(name)
        if value is None or value == "":
            if p["required"]:
                raise VKError(100, f"{name} is a required parameter")
            continue
        types = p["type"] if isinstance(p["type"], list) else [p["type"]]
        if not any(_value_ok(t, value, p) for t in types):
            raise VKError(100, f"{name} is invalid (expected {'/'.join(types)} within schema limits)")


def parse_keyboard(raw: str) -> dict:
    """Parse and validate a ``keyboard`` param by VK's rules; error 911 with the reason otherwise."""
    def bad(why: str):
        raise VKError(911, why)

    try:
        kb = json.loads(raw)
    except ValueError:
        bad("keyboard is not valid JSON")
    if not isinstance(kb, dict):
        bad("keyboard must be a JSON object")
    if set(kb) - {"buttons", "one_time", "inline", "author_id"}:
        bad(f"unknown keyboard fields {sorted(set(kb) - {'buttons', 'one_time', 'inline', 'author_id'})}")
    rows = kb.get("buttons")
    if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
        bad("buttons must be an array of rows (arrays)")
    inline, one_time = kb.get("inline", False), kb.get("one_time", False)
    if not isinstance(inline, bool) or not isinstance(one_time, bool):
        bad("inline and one_time must be booleans")
    if inline and one_time:
        bad("one_time is not allowed for an inline keyboard")
    max_rows, max_buttons = (6, 10) if inline else (10, 40)
    if len(rows) > max_rows:
        bad(f"too many rows: {len(rows)} > {max_rows}")
    if sum(len(r) for r in rows) > max_buttons:
        bad(f"too many buttons: {sum(len(r) for r in rows)} > {max_buttons}")
    for row in rows:
        if len(row) > 5:
            bad(f"too many buttons in a row: {len(row)} > 5")
        for button in row:
            _check_button(button, row, bad)
    return kb


def _check_button(button: Any, row: list, bad: Callable[[str], None]) -> None:
    if not isinstance(button, dict) or not isinstance(button.get("action"), dict):
        bad("every button needs an action object")
    if set(button) - {"action", "color"}:
        bad(f"unknown button fields {sorted(set(button) - {'action', 'color'})}")
    action = button["action"]
    kind = action.get("type")
    if kind not in BUTTON_TYPES:
        bad(f"unknown button type {kind!r}")
    if "color" in button and (kind not in ("text", "callback") or button["color"] not in BUTTON_COLORS):
        bad(f"bad color {button['color']!r} for a {kind} button")
    label = action.get("label")
    if kind in ("text", "callback", "open_link", "open_app") and (not isinstance(label, str) or not label):
        bad(f"a {kind} button needs a label")
    if kind in ("text", "callback") and len(label) > 40:
        bad(f"label longer than 40 characters: {label[:20]!r}...")
    payload = action.get("payload")
    if payload is not None:
        if not isinstance(payload, str) or len(payload) > 255:
            bad("payload must be a JSON string of at most 255 characters")
        try:
            json.loads(payload)
        except ValueError:
            bad(f"payload is not valid JSON: {payload[:40]!r}")
    if kind == "location" and len(row) != 1:
        bad("a location button must be alone in its row")
    if kind == "open_link" and not action.get("link"):
        bad("an open_link button needs a link")
    if kind == "open_app" and "app_id" not in action:
        bad("an open_app button needs app_id")
    if kind == "vkpay" and not action.get("hash"):
        bad("a vkpay button needs a hash")


# --------------------------------------------------------------------------- the server
class _Envelope:
    """A whole answer body (execute's carries ``execute_errors`` next to ``response``)."""

    def __init__(self, body: dict) -> None:
        self.body = body


class FakeVK:
    """aiohttp server on 127.0.0.1 that answers like api.vk.ru for a community token."""

    def __init__(self, token: str = "vk-group-token", group_id: int = 1, rate_limit: float | None = None,
                 *, longpoll_max_wait: float = 10.0, history_limit: int = 10_000) -> None:
        self.token, self.group_id, self.rate_limit = token, group_id, rate_limit
        self.longpoll_max_wait = longpoll_max_wait  #: cap on a_check's ``wait`` (seconds)
        self.base_url = ""
        self.calls: list[tuple[str, dict]] = []           #: accepted calls, params without access_token
        self.rejected: list[tuple[str, int, str]] = []    #: (method, error_code or HTTP status, msg)
        self.count_error6 = 0
        self.upload_count = 0
        self.event_answers: list[dict] = []  #: messages.sendMessageEventAnswer calls, event_data parsed
        self.edits: list[dict] = []          #: messages.edit calls
        self.executes: list[list[tuple[str, dict, int | None]]] = []  #: inner calls of each execute
        self.held = 0                        #: requests waiting for a hold_peer event
        self.abandoned: list[tuple[str, dict]] = []  #: held requests dropped because their client died
        self.arrivals: list[tuple[float, str]] = []  #: (loop time, method) of every API request
        self.longpoll_answers: list[dict] = []  #: every a_check answer minus the updates
        self.longpoll_waiting = 0               #: a_check requests currently held open
        self.media_requests: list[str] = []     #: keys of GET /media/... in order
        self.users: dict[int, dict] = {}        #: overrides for users.get
        self.longpoll_settings: dict[str, str] = {}
        self.confirmation_code = "fake-confirmation"
        self._messages: dict[int, list[dict]] = {}
        self._by_random: dict[tuple[int, int], dict] = {}
        self._deliveries: dict[int, int] = {}
        self._cmids: dict[int, itertools.count] = {}
        self._msg_ids = itertools.count(1)
        self._obj_ids = itertools.count(457239017)
        self._events: deque[tuple[int, dict]] = deque(maxlen=history_limit)
        self._next_ts = 1        # number the next pushed event gets
        self._delivered_ts = 1   # everything below was handed to some a_check client
        self._lp_key = secrets.token_hex(20)
        self._lp_fail: deque[int] = deque()
        self._fail: dict[str, deque[int]] = {}
        self._http_fail: dict[str, deque[int]] = {}
        self._drops: dict[str, deque[bool]] = {}
        self._holds: dict[int, asyncio.Event] = {}
        self._disallowed: set[int] = set()
        self._event_ids: set[str] = set()
        self._uploads: dict[str, dict] = {}
        self._media: dict[str, tuple[bytes, str]] = {}
        self._recent: deque[float] = deque()
        self._wake = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._closing = False

    # ----------------------------------------------------------------- lifecycle
    async def start(self) -> FakeVK:
        """Start listening on 127.0.0.1:<free port>; sets ``base_url``."""
        self._loop = asyncio.get_running_loop()
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/method/{name}", self._handle_method)
        app.router.add_get("/lp/{group_id}", self._handle_longpoll)
        app.router.add_post("/upload/{kind}", self._handle_upload)
        app.router.add_get("/media/{key}", self._handle_media)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        await web.SockSite(self._runner, sock).start()
        self.base_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        return self

    async def stop(self) -> None:
        """Answer pending long polls at once and shut the server down."""
        self._closing = True
        self._fire()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeVK:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # ----------------------------------------------------------------- wake-ups (no fixed sleeps)
    def _fire(self) -> None:
        self._wake.set()
        self._wake = asyncio.Event()

    def _notify(self) -> None:
        """Wake waiters; safe to call from the loop thread or (via call_soon_threadsafe) any other."""
        if self._loop is None:
            return
        try:
            same = asyncio.get_running_loop() is self._loop
        except RuntimeError:
            same = False
        self._fire() if same else self._loop.call_soon_threadsafe(self._fire)

    async def _wait_until(self, predicate: Callable[[], Any], seconds: float) -> bool:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while not predicate():
            remaining = deadline - loop.time()
            if remaining <= 0:
                return False
            wake = self._wake
            try:
                await asyncio.wait_for(wake.wait(), remaining)
            except TimeoutError:
                pass
        return True

    async def wait_for(self, predicate: Callable[[], Any], timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Wait until ``predicate()`` is truthy; re-checked after every request the fake handles."""
        if not await self._wait_until(predicate, timeout):
            raise AssertionError(f"condition not met within {timeout}s; {self.summary()}")

    async def wait_messages(self, peer_id: int, n: int, timeout: float = 5.0) -> list[dict]:  # noqa: ASYNC109
        """Wait until at least ``n`` messages went to ``peer_id``; returns ``sent_messages(peer_id)``."""
        await self.wait_for(lambda: len(self._messages.get(peer_id, [])) >= n, timeout)
        return self.sent_messages(peer_id)

    def summary(self) -> str:
        """Short state dump for assertion messages."""
        sent = {p: [m["message"][:40] for m in ms] for p, ms in self._messages.items()}
        return (f"calls={[m for m, _ in self.calls[-15:]]} rejected={self.rejected[-5:]} "
                f"sent={sent} events_pushed={self._next_ts - 1} delivered_up_to_ts={self._delivered_ts}")

    # ----------------------------------------------------------------- inspection / fault injection
    def sent_messages(self, peer_id: int) -> list[dict]:
        """Messages sent to ``peer_id`` (message_id, conversation_message_id, message, keyboard (parsed),
        attachment, random_id, payload, date), in order, edits applied."""
        return [dict(m) for m in self._messages.get(peer_id, [])]

    def delivered_count(self, peer_id: int) -> int:
        return self._deliveries.get(peer_id, 0)

    def fail_next(self, method: str, code: int, count: int = 1) -> None:
        """The next ``count`` calls of ``method`` ("*" = any) answer VK error ``code``."""
        self._fail.setdefault(method, deque()).extend([code] * count)

    def http_error_next(self, method: str, status: int = 500, count: int = 1) -> None:
        """The next ``count`` requests of ``method`` ("*" = any) answer a bare HTTP ``status`` (an execute
        request carrying ``method`` counts as one)."""
        self._http_fail.setdefault(method, deque()).extend([status] * count)

    def drop_next(self, method: str, count: int = 1, after_execute: bool = False) -> None:
        """The next ``count`` requests of ``method`` ("*" = any; an execute carrying it counts) lose their
        connection without an answer;
        ``after_execute``: after the call took effect (the client cannot tell whether it did)."""
        self._drops.setdefault(method, deque()).extend([after_execute] * count)

    def hold_peer(self, peer_id: int) -> asyncio.Event:
        """Requests (direct or execute) that send to ``peer_id`` wait until the returned event is set."""
        return self._holds.setdefault(peer_id, asyncio.Event())

    def disallow_messages(self, peer_id: int) -> None:
        """messages.send to ``peer_id`` answers 901 until ``allow_messages``."""
        self._disallowed.add(peer_id)

    def allow_messages(self, peer_id: int) -> None:
        self._disallowed.discard(peer_id)

    def fail_longpoll(self, code: int) -> None:
        """The next a_check (including one already waiting) answers ``{"failed": code}``.
        1: history lost, ``ts`` jumps to now (queued events are skipped by that client);
        2: key expired (old key invalid, client keeps its ts); 3: key and ts lost (new key; the
        ts from groups.getLongPollServer is the first event not yet handed out, so nothing is lost)."""
        if code not in (1, 2, 3):
            raise ValueError("long poll failure codes are 1, 2, 3")
        self._lp_fail.append(code)
        self._notify()

    # ----------------------------------------------------------------- events (test side)
    def push_event(self, raw: dict) -> dict:
        """Queue any raw Bots Long Poll update; returns it."""
        self._events.append((self._next_ts, raw))
        self._next_ts += 1
        self._notify()
        return raw

    def _push(self, kind: str, obj: dict) -> dict:
        return self.push_event({"group_id": self.group_id, "type": kind, "event_id": secrets.token_hex(20),
                                "v": API_VERSION, "object": obj})

    def _next_cmid(self, peer_id: int) -> int:
        return next(self._cmids.setdefault(peer_id, itertools.count(1)))

    def user_message(self, peer_id: int, text: str = "", attachments: list | None = None,
                     geo: dict | tuple | None = None, payload: dict | str | None = None,
                     from_id: int | None = None) -> dict:
        """Push a ``message_new`` from a user; ``geo`` is (lat, lon) or {"latitude", "longitude"}."""
        msg: dict[str, Any] = {
            "id": next(self._msg_ids), "date": int(time.time()), "peer_id": peer_id,
            "from_id": peer_id if from_id is None else from_id, "text": text, "out": 0,
            "conversation_message_id": self._next_cmid(peer_id), "attachments": list(attachments or []),
            "fwd_messages": [], "important": False, "is_hidden": False, "random_id": 0, "version": 1,
        }
        if geo is not None:
            lat, lon = (geo["latitude"], geo["longitude"]) if isinstance(geo, dict) else geo
            msg["geo"] = {"type": "point", "coordinates": {"latitude": lat, "longitude": lon}}
        if payload is not None:
            msg["payload"] = payload if isinstance(payload, str) else json.dumps(payload)
        return self._push("message_new", {"message": msg, "client_info": json.loads(json.dumps(CLIENT_INFO))})

    def user_presses(self, peer_id: int, payload: dict | str, conversation_message_id: int,
                     user_id: int | None = None) -> dict:
        """Push a ``message_event`` (callback button press); its event_id becomes answerable."""
        if isinstance(payload, str):
            try:
                payload = json.loads(payload)
            except ValueError:
                pass
        event_id = secrets.token_hex(6)
        self._event_ids.add(event_id)
        return self._push("message_event", {
            "user_id": peer_id if user_id is None else user_id, "peer_id": peer_id, "event_id": event_id,
            "payload": payload, "conversation_message_id": conversation_message_id})

    # ----------------------------------------------------------------- attachments (test side)
    def _serve(self, data: bytes, content_type: str, ext: str) -> str:
        key = f"{secrets.token_hex(8)}.{ext}"
        self._media[key] = (data, content_type)
        return f"{self.base_url}/media/{key}"

    def _photo_object(self, data: bytes, owner_id: int, width: int, height: int) -> dict:
        sizes = []
        for kind, max_w in PHOTO_LADDER:
            w = min(max_w, width)
            sizes.append({"type": kind, "width": w, "height": max(1, round(height * w / width)),
                          "url": self._serve(data, "image/jpeg", "jpg")})
            if w == width:
                break
        return {"id": next(self._obj_ids), "owner_id": owner_id, "album_id": -3, "date": int(time.time()),
                "access_key": secrets.token_hex(9), "text": "", "has_tags": False, "sizes": sizes,
                "orig_photo": {"type": "base", "width": width, "height": height, "url": sizes[-1]["url"]}}

    def _doc_object(self, data: bytes, title: str, ext: str, owner_id: int) -> dict:
        return {"id": next(self._obj_ids), "owner_id": owner_id, "title": title, "size": len(data),
                "ext": ext, "date": int(time.time()), "type": DOC_TYPES.get(ext.lower(), 8),
                "url": self._serve(data, "application/octet-stream", ext), "access_key": secrets.token_hex(9)}

    def photo_attachment(self, image_bytes: bytes, width: int = 1280, height: int = 960,
                         owner_id: int = 100) -> dict:
        """A user's photo; every size URL serves ``image_bytes``, the last size is the largest."""
        return {"type": "photo", "photo": self._photo_object(image_bytes, owner_id, width, height)}

    def doc_attachment(self, data: bytes, title: str = "file.pdf", ext: str = "pdf", owner_id: int = 100) -> dict:
        return {"type": "doc", "doc": self._doc_object(data, title, ext, owner_id)}

    def sticker_attachment(self, sticker_id: int = 9) -> dict:
        img = [{"url": self._serve(b"sticker", "image/png", "png"), "width": 128, "height": 128}]
        return {"type": "sticker", "sticker": {"product_id": 1, "sticker_id": sticker_id, "images": img,
                                               "images_with_background": img}}

    def audio_message_attachment(self, duration: int = 3, data: bytes = b"OggS-fake") -> dict:
        url = self._serve(data, "audio/ogg", "ogg")
        return {"type": "audio_message", "audio_message": {
            "id": next(self._obj_ids), "owner_id": 100, "duration": duration, "waveform": [0, 8, 16, 8, 0],
            "link_ogg": url, "link_mp3": url, "access_key": secrets.token_hex(9)}}

    def video_attachment(self, title: str = "video") -> dict:
        return {"type": "video", "video": {
            "id": next(self._obj_ids), "owner_id": 100, "title": title, "duration": 10, "date": int(time.time()),
            "access_key": secrets.token_hex(9), "type": "video",
            "image": [{"url": self._serve(b"preview", "image/jpeg", "jpg"), "width": 320, "height": 240}]}}

    def wall_attachment(self, text: str = "post") -> dict:
        return {"type": "wall", "wall": {"id": next(self._obj_ids), "owner_id": -100, "from_id": -100,
                                         "to_id": -100, "date": int(time.time()), "text": text,
                                         "post_type": "post", "attachments": []}}

    def link_attachment(self, url: str, title: str = "") -> dict:
        return {"type": "link", "link": {"url": url, "title": title, "caption": "", "description": ""}}

    # ----------------------------------------------------------------- HTTP handlers
    async def _handle_method(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        params = dict(request.query)
        if request.method == "POST":
            form = await request.post()
            params.update({k: v for k, v in form.items() if isinstance(v, str)})
        inner = self._inner_calls(name, params)
        self.arrivals.append((asyncio.get_running_loop().time(), name))
        if not await self._wait_held(inner or [(name, params)], request):
            self.abandoned.append((name, {k: v for k, v in params.items() if k != "access_token"}))
            self._fire()
            return web.Response(status=500)  # never reaches the client: it is gone
        try:
            # a failure queued for a method hits the request carrying it, direct or inside an execute
            hit, status = self._pop_for(self._http_fail, [name, *(m for m, _ in inner)])
            if status is not None:
                self.rejected.append((hit, status, f"HTTP {status}"))
                return web.Response(status=status, text=f"{status} (injected by FakeVK)")
            _, drop = self._pop_for(self._drops, [name, *(m for m, _ in inner)])
            if drop is not None:
                if drop:
                    self._dispatch(name, params)
                    self.calls.append((name, {k: v for k, v in params.items() if k != "access_token"}))
                assert request.transport is not None
                request.transport.close()
                return web.Response(status=500)  # never reaches the client: the socket is gone
            result = self._dispatch(name, params)
        except VKError as e:
            self.rejected.append((name, e.code, e.msg))
            self.count_error6 += e.code == 6
            error: dict[str, Any] = {"error_code": e.code, "error_msg": e.msg, "request_params": [
                {"key": "method", "value": name}, {"key": "oauth", "value": "1"},
                *({"key": k, "value": v} for k, v in params.items() if k != "access_token")]}
            if e.code == 14:
                error.update(captcha_sid=secrets.token_hex(6), captcha_img=f"{self.base_url}/media/captcha")
            return web.json_response({"error": error})
        else:
            self.calls.append((name, {k: v for k, v in params.items() if k != "access_token"}))
            return web.json_response(result.body if isinstance(result, _Envelope) else {"response": result})
        finally:
            self._fire()

    @staticmethod
    def _inner_calls(name: str, params: dict[str, str]) -> list[tuple[str, dict]]:
        """The API calls an execute request's code names (nothing for other requests or bad code)."""
        if name != "execute":
            return []
        try:
            return list(vk_execute.calls_in(vk_execute.parse(params.get("code", ""))))
        except vk_execute.CompileError:
            return []

    def _pop_for(self, queues: dict[str, deque[Any]], methods: list[str]) -> tuple[str, Any]:
        for method in methods:
            value = self._pop(queues, method)
            if value is not None:
                return method, value
        return methods[0], None

    async def _wait_held(self, calls: list[tuple[str, dict]], request: web.Request) -> bool:
        """False when the client went away while its request was held (the request is dropped)."""
        if not self._holds:
            return True
        peers = {str(args.get("peer_id")) for method, args in calls if method == "messages.send"}
        for peer in peers:
            event = self._holds.get(int(peer)) if peer.lstrip("-").isdigit() else None
            if event is not None and not event.is_set():
                self.held += 1
                self._fire()
                try:
                    if not await holds.hold(event, request):
                        return False
                finally:
                    self.held -= 1
        return True

    @staticmethod
    def _pop(queues: dict[str, deque[Any]], method: str) -> Any:
        for key in (method, "*"):
            if queues.get(key):
                return queues[key].popleft()
        return None

    def _dispatch(self, name: str, params: dict[str, str]) -> Any:
        if name not in METHODS:
            raise VKError(3)
        token = params.get("access_token")
        if token != self.token:
            raise VKError(5, "invalid access_token (4)." if token else "no access_token passed.")
        if not params.get("v"):
            raise VKError(8, "v (version) is required")
        self._check_rate()
        return self._invoke(name, params)

    def _invoke(self, name: str, params: dict[str, str]) -> Any:
        """Spec check, injected failure, then the method itself (direct calls and execute's inner calls)."""
        check_params(name, params)
        code = self._pop(self._fail, name)
        if code is not None:
            raise VKError(code)
        return getattr(self, "_m_" + name.replace(".", "_"))(params)

    def _m_execute(self, p: dict[str, str]) -> _Envelope:
        try:
            program = vk_execute.parse(p["code"])
        except vk_execute.CompileError as e:
            raise VKError(12, str(e)) from None
        inner: list[tuple[str, dict, int | None]] = []
        errors: list[dict] = []

        def call(method: str, args: dict) -> Any:
            params = {k: vk_execute.form_value(v) for k, v in args.items() if v is not None}
            try:
                if method not in METHODS or method == "execute":
                    raise VKError(3)
                result = self._invoke(method, params)
            except VKError as e:
                self.rejected.append((method, e.code, e.msg))
                self.count_error6 += e.code == 6
                inner.append((method, params, e.code))
                errors.append({"method": method, "error_code": e.code, "error_msg": e.msg})
                return False
            inner.append((method, params, None))
            return result

        try:
            response = vk_execute.run(program, call)
        except vk_execute.ScriptError as e:
            raise VKError(13, str(e)) from None
        finally:
            self.executes.append(inner)
        return _Envelope({"response": response, **({"execute_errors": errors} if errors else {})})

    def _check_rate(self) -> None:
        if not self.rate_limit:
            return
        window = max(1.0, 1.0 / self.rate_limit)
        now = time.monotonic()
        while self._recent and now - self._recent[0] >= window:
            self._recent.popleft()
        if len(self._recent) >= max(1, int(self.rate_limit * window)):
            raise VKError(6)
        self._recent.append(now)

    async def _handle_longpoll(self, request: web.Request) -> web.Response:
        q = request.query
        if request.match_info["group_id"] != str(self.group_id) or q.get("key") != self._lp_key:
            return self._lp_answer({"failed": 2})
        oldest = self._events[0][0] if self._events else self._next_ts
        try:
            ts = int(q.get("ts", ""))
        except ValueError:
            return self._lp_answer({"failed": 1, "ts": str(self._next_ts)})
        if ts > self._next_ts or (ts < oldest and oldest > 1):  # from the future / trimmed history
            return self._lp_answer({"failed": 1, "ts": str(max(oldest, min(ts, self._next_ts)))})
        wait = min(float(q.get("wait", 25)), self.longpoll_max_wait)
        self.longpoll_waiting += 1
        self._fire()
        try:
            await self._wait_until(lambda: self._lp_fail or self._closing or self._next_ts > ts, wait)
        finally:
            self.longpoll_waiting -= 1
        if self._lp_fail:
            code = self._lp_fail.popleft()
            if code == 1:
                return self._lp_answer({"failed": 1, "ts": str(self._next_ts)})
            self._lp_key = secrets.token_hex(20)
            return self._lp_answer({"failed": code})
        self._delivered_ts = max(self._delivered_ts, self._next_ts)
        updates = [event for n, event in self._events if n >= ts]
        return self._lp_answer({"ts": str(self._next_ts), "updates": updates})

    def _lp_answer(self, body: dict) -> web.Response:
        self.longpoll_answers.append({k: v for k, v in body.items() if k != "updates"}
                                     | ({"n_updates": len(body["updates"])} if "updates" in body else {}))
        self._fire()
        return web.json_response(body)

    async def _handle_upload(self, request: web.Request) -> web.Response:
        kind = request.match_info["kind"]
        if kind not in ("photo", "doc"):
            raise web.HTTPNotFound()
        data, filename = b"", ""
        for field, value in (await request.post()).items():
            if isinstance(value, web.FileField) and (field in ("photo", "file") or re.fullmatch(r"file\d+", field)):
                data, filename = value.file.read(), value.filename or ""
                break
        self._fire()
        if kind == "photo":
            if not data.startswith(IMAGE_MAGIC):  # VK answers an empty photo list for a non-image
                return web.json_response({"server": 1, "photo": "[]", "hash": secrets.token_hex(16)})
            photo = json.dumps([{"photo": secrets.token_hex(5) + ":w", "sizes": [], "kid": secrets.token_hex(16)}])
            key, answer = photo, {"server": 1, "photo": photo, "hash": secrets.token_hex(16)}
        else:
            if not data:
                return web.json_response({"error": "no_file", "error_descr": "file not uploaded"})
            key = f"{secrets.token_hex(4)}|0|0|1|0|{secrets.token_hex(8)}"
            answer = {"file": key}
        self._uploads[key] = {"kind": kind, "data": data, "filename": filename, "hash": answer.get("hash")}
        self.upload_count += 1
        return web.json_response(answer)

    async def _handle_media(self, request: web.Request) -> web.Response:
        key = request.match_info["key"]
        if key not in self._media:
            raise web.HTTPNotFound()
        self.media_requests.append(key)
        self._fire()
        data, content_type = self._media[key]
        return web.Response(body=data, content_type=content_type)

    # ----------------------------------------------------------------- API methods
    def _m_messages_send(self, p: dict[str, str]) -> Any:
        if not any(p.get(k) for k in ("peer_id", "user_id", "peer_ids", "domain", "chat_id")):
            raise VKError(100, "you should specify peer_id, user_id, domain, chat_id or peer_ids param")
        if not any(p.get(k) for k in ("message", "attachment", "sticker_id", "forward_messages", "forward")):
            raise VKError(100, "message is empty or invalid")
        keyboard = parse_keyboard(p["keyboard"]) if p.get("keyboard") else None
        self._check_attachment(p.get("attachment"))
        if p.get("peer_ids"):
            out = []
            for peer in (int(x) for x in p["peer_ids"].split(",")):
                try:
                    m = self._deliver(peer, p, keyboard)
                    out.append({"peer_id": peer, "message_id": m["message_id"],
                                "conversation_message_id": m["conversation_message_id"]})
                except VKError as e:
                    out.append({"peer_id": peer, "error": {"code": e.code, "description": e.msg}})
            return out
        if p.get("peer_id"):
            peer = int(p["peer_id"])
        elif p.get("user_id"):
            peer = int(p["user_id"])
        elif p.get("chat_id"):
            peer = CHAT_PEER_BASE + int(p["chat_id"])
        elif re.fullmatch(r"id\d+", p["domain"]):
            peer = int(p["domain"][2:])
        else:
            raise VKError(100, "domain is not resolvable by FakeVK (use idNNN)")
        return self._deliver(peer, p, keyboard)["message_id"]

    def _deliver(self, peer: int, p: dict[str, str], keyboard: dict | None) -> dict:
        if peer in self._disallowed:
            raise VKError(901)
        random_id = int(p["random_id"])
        if (peer, random_id) in self._by_random:  # VK: same random_id -> same message, no resend
            return self._by_random[(peer, random_id)]
        msg = {"message_id": next(self._msg_ids), "conversation_message_id": self._next_cmid(peer),
               "peer_id": peer, "message": p.get("message", ""), "keyboard": keyboard,
               "attachment": p.get("attachment") or None, "random_id": random_id,
               "payload": p.get("payload"), "date": int(time.time()), "at": time.monotonic()}
        self._messages.setdefault(peer, []).append(msg)
        self._by_random[(peer, random_id)] = msg
        self._deliveries[peer] = self._deliveries.get(peer, 0) + 1
        return msg

    @staticmethod
    def _check_attachment(value: str | None) -> None:
        for item in filter(None, (value or "").split(",")):
            if not ATTACHMENT_RE.fullmatch(item.strip()):
                raise VKError(100, f"attachment is invalid: {item!r}")

    def _m_messages_edit(self, p: dict[str, str]) -> int:
        mid, cmid = p.get("message_id"), p.get("conversation_message_id") or p.get("cmid")
        if not mid and not cmid:
            raise VKError(100, "message_id and conversation_message_id is undefined")
        peer = int(p["peer_id"])
        found = [m for m in self._messages.get(peer, [])
                 if (mid and m["message_id"] == int(mid)) or (cmid and m["conversation_message_id"] == int(cmid))]
        if not found:
            raise VKError(100, f"message not found in peer {peer}")
        keyboard = parse_keyboard(p["keyboard"]) if p.get("keyboard") else None
        self._check_attachment(p.get("attachment"))
        target = found[0]
        if "message" in p:
            target["message"] = p["message"]
        if "keyboard" in p:
            target["keyboard"] = keyboard
        if "attachment" in p:
            target["attachment"] = p["attachment"] or None
        self.edits.append({"peer_id": peer, "message_id": target["message_id"],
                           "conversation_message_id": target["conversation_message_id"],
                           "message": p.get("message"), "keyboard": keyboard, "attachment": p.get("attachment")})
        return 1

    def _m_messages_sendMessageEventAnswer(self, p: dict[str, str]) -> int:
        if p["event_id"] not in self._event_ids:
            raise VKError(100, "event_id is invalid")
        data = None
        if p.get("event_data"):
            try:
                data = json.loads(p["event_data"])
            except ValueError:
                raise VKError(100, "event_data is not valid JSON") from None
            if not isinstance(data, dict) or data.get("type") not in ("show_snackbar", "open_link", "open_app"):
                raise VKError(100, "event_data.type must be show_snackbar, open_link or open_app")
            if data["type"] == "show_snackbar" and not 0 < len(str(data.get("text", ""))) <= 90:
                raise VKError(100, "event_data.text must be 1..90 characters")
        self.event_answers.append({"event_id": p["event_id"], "user_id": int(p["user_id"]),
                                   "peer_id": int(p["peer_id"]), "event_data": data})
        return 1

    def _m_messages_getConversationsById(self, p: dict[str, str]) -> dict:
        items = []
        for peer in (int(x) for x in p["peer_ids"].split(",")):
            kind = "chat" if peer > CHAT_PEER_BASE else "group" if peer < 0 else "user"
            sent = self._messages.get(peer, [])
            can_write = {"allowed": True} if peer not in self._disallowed else {"allowed": False, "reason": 901}
            items.append({"peer": {"id": peer, "type": kind,
                                   "local_id": peer - CHAT_PEER_BASE if kind == "chat" else abs(peer)},
                          "last_message_id": sent[-1]["message_id"] if sent else 0,
                          "in_read": 0, "out_read": 0, "can_write": can_write})
        return {"count": len(items), "items": items}

    def _m_groups_getLongPollServer(self, p: dict[str, str]) -> dict:
        if int(p["group_id"]) != self.group_id:
            raise VKError(15, "no access to this group")
        return {"key": self._lp_key, "server": f"{self.base_url}/lp/{self.group_id}", "ts": str(self._delivered_ts)}

    def _m_groups_getById(self, p: dict[str, str]) -> dict:
        return {"groups": [{"id": self.group_id, "name": "Fake community", "screen_name": f"club{self.group_id}",
                            "is_closed": 0, "type": "group"}], "profiles": []}

    def _m_groups_setLongPollSettings(self, p: dict[str, str]) -> int:
        self.longpoll_settings.update({k: v for k, v in p.items() if k not in GLOBAL_PARAMS})
        return 1

    def _m_groups_getCallbackConfirmationCode(self, p: dict[str, str]) -> dict:
        return {"code": self.confirmation_code}

    def _m_users_get(self, p: dict[str, str]) -> list[dict]:
        ids = [int(x) for x in p.get("user_ids", "").split(",") if x.strip().lstrip("-").isdigit()]
        return [{"id": i, "first_name": "User", "last_name": str(i), "can_access_closed": True,
                 "is_closed": False, **self.users.get(i, {})} for i in ids]

    def _m_photos_getMessagesUploadServer(self, p: dict[str, str]) -> dict:
        return {"album_id": -64, "upload_url": f"{self.base_url}/upload/photo", "user_id": 0,
                "group_id": self.group_id}

    def _m_photos_saveMessagesPhoto(self, p: dict[str, str]) -> list[dict]:
        upload = self._uploads.get(p["photo"])
        if upload is None or upload["kind"] != "photo":
            raise VKError(100, "photos_list is invalid")
        if p.get("hash") != upload["hash"]:
            raise VKError(100, "hash is invalid")
        return [self._photo_object(upload["data"], -self.group_id, 1280, 960)]

    def _m_docs_getMessagesUploadServer(self, p: dict[str, str]) -> dict:
        return {"upload_url": f"{self.base_url}/upload/doc"}

    def _m_docs_save(self, p: dict[str, str]) -> dict:
        upload = self._uploads.get(p["file"])
        if upload is None or upload["kind"] != "doc":
            raise VKError(100, "file is invalid")
        title = p.get("title") or upload["filename"] or "file"
        ext = title.rsplit(".", 1)[-1] if "." in title else "bin"
        return {"type": "doc", "doc": self._doc_object(upload["data"], title, ext, -self.group_id)}
