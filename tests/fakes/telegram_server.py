"""FakeTelegram: an in-process Telegram Bot API server for tests (aiohttp, 127.0.0.1 only).

Point the real aiogram ``Bot`` at it::

    async with FakeTelegram() as fake:
        bot = Bot(fake.token, session=AiohttpSession(api=TelegramAPIServer.from_base(fake.base_url)))
        fake.user_text(42, "/start")           # enqueue an Update (delivered by getUpdates or webhook)
        msgs = await fake.wait_messages(42, 1)  # wait (no sleeps) until the bot answered
        assert fake.rejected == []

Requests are validated against ``telegram_methods.json`` (generated from the official spec by
``telegram_spec.py``) and answered in Telegram's JSON shape.  Deliberately stricter than Telegram:
unknown parameters / unknown fields in markup objects are rejected (Telegram silently ignores them), and
with ``strict_html=True`` a bare "&" in HTML is rejected (Telegram keeps it literally).
"""

from __future__ import annotations

import asyncio
import contextvars
import copy
import io
import itertools
import json
import math
import mimetypes
import re
import secrets
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from aiohttp import ClientSession, ClientTimeout, MultipartReader, web

from . import holds

_TABLE = json.loads(Path(__file__).with_name("telegram_methods.json").read_text(encoding="utf-8"))
METHODS: dict[str, tuple[str, dict[str, dict]]] = {
    name.lower(): (name, {f["name"]: f for f in fields}) for name, fields in _TABLE["methods"].items()
}
TYPES: dict[str, dict[str, dict]] = {n: {f["name"]: f for f in fs} for n, fs in _TABLE["types"].items()}
SEND_METHODS = {"sendMessage", "sendPhoto", "sendDocument", "sendMediaGroup"}
# Removed from the docs in Bot API 7.0 but still accepted by Telegram and still modelled by aiogram.
LEGACY_PARAMS = {"reply_to_message_id": ["Integer"], "allow_sending_without_reply": ["Boolean"],
                 "disable_web_page_preview": ["Boolean"]}
MARKUP_KEYS = {"inline_keyboard": "InlineKeyboardMarkup", "keyboard": "ReplyKeyboardMarkup",
               "remove_keyboard": "ReplyKeyboardRemove", "force_reply": "ForceReply"}
DEFAULT_ALLOWED = {"message", "edited_message", "channel_post", "edited_channel_post", "callback_query",
                   "inline_query", "chosen_inline_result", "my_chat_member", "pre_checkout_query",
                   "shipping_query", "poll", "poll_answer", "chat_join_request", "business_message"}
CHAT_ACTIONS = {"typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
                "upload_document", "choose_sticker", "find_location", "record_video_note",
                "upload_video_note"}
FILE_KINDS = {"photo": ("AgACAgIAAxkBAAI", "photos", "jpg"), "document": ("BQACAgIAAxkBAAI", "documents", "bin"),
              "voice": ("AwACAgIAAxkBAAI", "voice", "oga"), "video": ("BAACAgIAAxkBAAI", "videos", "mp4"),
              "sticker": ("CAACAgIAAxkBAAI", "stickers", "webp")}
HTML_TAGS = {"b": "bold", "strong": "bold", "i": "italic", "em": "italic", "u": "underline",
             "ins": "underline", "s": "strikethrough", "strike": "strikethrough", "del": "strikethrough",
             "span": "spoiler", "tg-spoiler": "spoiler", "a": "text_link", "code": "code", "pre": "pre",
             "blockquote": "blockquote", "tg-emoji": "custom_emoji", "tg-time": "date_time"}
MAX_DOWNLOAD = 20 * 1024 * 1024
_ENTITY_RE = re.compile(r"&(?:#(\d{1,8})|#x([0-9a-fA-F]{1,7})|(lt|gt|amp|quot)(?![A-Za-z]));?")
_ATTR_RE = re.compile(r"""([^\s=>]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([A-Za-z0-9.\-]*)))?""")
_TAG_RE = re.compile(r"<([^\s>]*)")
_REQUEST: contextvars.ContextVar[web.Request] = contextvars.ContextVar("fake_telegram_request")


class ApiError(Exception):
    """An error answer in Telegram's shape."""

    def __init__(self, status: int, description: str, retry_after: int | None = None):
        super().__init__(description)
        self.status, self.description, self.retry_after = status, description, retry_after


def bad(description: str) -> ApiError:
    return ApiError(400, "Bad Request: " + description)


def u16(s: str) -> int:
    """Length in UTF-16 code units (entity offsets are measured in these)."""
    return len(s.encode("utf-16-le")) // 2


def _html_entity(text: str, i: int) -> tuple[str | None, int]:
    m = _ENTITY_RE.match(text, i)
    if not m:
        return None, i
    if m.group(3):
        return {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}[m.group(3)], m.end()
    code = int(m.group(1)) if m.group(1) else int(m.group(2), 16)
    return (chr(code), m.end()) if 0 < code < 0x10FFFF else (None, i)


def _unescape(value: str) -> str:
    out, i = [], 0
    while i < len(value):
        ch, j = _html_entity(value, i) if value[i] == "&" else (None, i)
        out.append(ch if ch is not None else value[i])
        i = j if ch is not None else i + 1
    return "".join(out)


def parse_html(text: str, strict_amp: bool = True) -> tuple[str, list[dict]]:
    """Telegram's HTML parse mode (modelled on tdlib's parse_html): returns (plain text, entities)."""
    out: list[str] = []
    stack: list[tuple[str, dict, int]] = []
    entities: list[dict] = []
    off = i = 0

    def fail(msg: str, pos: int, tail: str = "") -> ApiError:
        return bad(f"can't parse entities: {msg} at byte offset {len(text[:pos].encode())}{tail}")

    while i < len(text):
        c = text[i]
        if c == "&":
            ch, j = _html_entity(text, i)
            if ch is not None:
                out.append(ch)
                off, i = off + u16(ch), j
                continue
            if strict_amp:
                raise fail('Character "&" must be escaped as "&amp;"', i)
        if c != "<":
            out.append(c)
            off, i = off + u16(c), i + 1
            continue
        if text.startswith("</", i):
            if not stack:
                raise fail("Unexpected end tag", i)
            j = text.find(">", i)
            name = text[i + 2:j].strip() if j >= 0 else ""
            if j < 0 or any(ch.isspace() for ch in name):
                raise fail("Unclosed end tag", i)
            tag, attrs, start = stack.pop()
            if name and name.lower() != tag:
                raise fail("Unmatched end tag", i, f', expected "</{tag}>", found "</{name}>"')
            if off > start and (entity := _make_entity(tag, attrs, start, off - start, entities)):
                entities.append(entity)
            i = j + 1
            continue
        m = _TAG_RE.match(text, i)
        name, j = m.group(1).lower(), m.end()
        if j >= len(text):
            raise fail("Unclosed start tag", i)
        if name not in HTML_TAGS:
            raise fail(f'Unsupported start tag "{name}"', i)
        attrs: dict[str, str] = {}
        while True:
            while j < len(text) and text[j].isspace():
                j += 1
            if j >= len(text):
                raise fail("Unclosed start tag", i)
            if text[j] == ">":
                break
            am = _ATTR_RE.match(text, j)
            if not am:
                raise fail(f'Empty attribute name in the tag "{name}"', i)
            attrs[am.group(1).lower()] = _unescape(next((g for g in am.groups()[1:] if g is not None), ""))
            j = am.end()
        if name == "span" and attrs.get("class") != "tg-spoiler":
            raise fail('Tag "span" must have class "tg-spoiler"', i)
        if name == "tg-emoji" and not attrs.get("emoji-id"):
            raise fail('Tag "tg-emoji" must have attribute "emoji-id"', i)
        stack.append((name, attrs, off))
        i = j + 1
    if stack:
        raise bad(f"can't parse entities: Can't find end tag corresponding to start tag \"{stack[-1][0]}\"")
    for e in entities:
        if e["type"] == "code":
            e.pop("language", None)
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


def _make_entity(tag: str, attrs: dict, offset: int, length: int, done: list[dict]) -> dict | None:
    e: dict[str, Any] = {"type": HTML_TAGS[tag], "offset": offset, "length": length}
    if tag == "a":
        if not attrs.get("href"):
            return None
        e["url"] = attrs["href"]
    elif tag == "blockquote" and "expandable" in attrs:
        e["type"] = "expandable_blockquote"
    elif tag == "code" and attrs.get("class", "").startswith("language-"):
        e["language"] = attrs["class"][9:]
    elif tag == "pre" and done and done[-1]["type"] == "code" and "language" in done[-1] \
            and (done[-1]["offset"], done[-1]["length"]) == (offset, length):
        e["language"] = done.pop()["language"]
    elif tag == "tg-emoji":
        e["custom_emoji_id"] = attrs["emoji-id"]
    elif tag == "tg-time":
        e["unix_time"] = int(attrs.get("unix") or 0)
    return e


def _check_obj(type_name: str, obj: Any) -> dict:
    """Reject unknown fields (stricter than Telegram) and missing required ones."""
    if not isinstance(obj, dict):
        raise bad(f"can't parse {type_name} JSON object")
    spec = TYPES[type_name]
    if extra := [k for k in obj if k not in spec]:
        raise bad(f'can\'t parse {type_name}: unknown field "{extra[0]}"')
    if missing := [k for k, f in spec.items() if f["required"] and k not in obj]:
        raise bad(f'can\'t parse {type_name}: field "{missing[0]}" is required')
    return obj


def _coerce(name: str, value: str, types: list[str]) -> Any:
    """Decode one form field according to its declared Bot API types."""
    if types == ["String"] or "InputFile" in types:
        return value
    if "Integer" in types or "Float" in types:
        try:
            return int(value) if "Integer" in types else float(value)
        except ValueError:
            if "String" in types:
                return value
            raise bad(f'invalid value of parameter "{name}"') from None
    if types == ["Boolean"]:
        if value.lower() in ("true", "1", "false", "0"):
            return value.lower() in ("true", "1")
        raise bad(f'invalid value of parameter "{name}"')
    try:
        return json.loads(value)
    except ValueError:
        raise bad(f"can't parse {name} JSON object") from None


class _Bucket:
    """Token bucket: ``rate`` messages/s, bursts up to max(1, rate)."""

    def __init__(self, rate: float):
        self.rate, self.cap = rate, max(1.0, rate)
        self.tokens, self.stamp = self.cap, time.monotonic()

    def take(self) -> int:
        """0 if a token was taken, else the retry_after (whole seconds, >= 1)."""
        now = time.monotonic()
        self.tokens = min(self.cap, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0
        return max(1, math.ceil((1 - self.tokens) / self.rate))


class FakeTelegram:
    """Fake Bot API server. See the module docstring; all ``user_*`` helpers return the Update dict."""

    def __init__(self, token: str = "123456:TEST", *, rate_limit_global: float | None = None,
                 rate_limit_per_chat: float | None = None, strict_html: bool = True,
                 check_images: bool = True, webhook_retry_delay: float = 0.05):
        self.token = token
        self.strict_html, self.check_images = strict_html, check_images
        self.rate_limit_global, self.rate_limit_per_chat = rate_limit_global, rate_limit_per_chat
        self.webhook_retry_delay = webhook_retry_delay
        head = token.split(":")[0]
        self.bot_user = {"id": int(head) if head.isdigit() else 123456, "is_bot": True,
                         "first_name": "Test Bot", "username": "test_bot"}
        self.base_url = ""
        # public records
        self.calls: list[tuple[str, dict]] = []
        self.file_requests: list[str] = []  #: file paths downloaded by the bot, in order
        self.rejected: list[tuple[str, str]] = []
        self.count_429 = 0
        self.get_updates_calls = 0
        self.webhook_deliveries: list[dict] = []
        self.callback_answers: list[dict] = []
        self.arrivals: list[tuple[float, str]] = []  # (loop time, method) of every authorised request
        self.abandoned: list[tuple[str, dict]] = []  # held calls dropped because their client died
        self.held = 0  # calls waiting for a hold_chat event now
        self.webhook: dict | None = None
        self.commands: dict[tuple[str, str], list[dict]] = {}
        self.chats: dict[int | str, dict] = {}
        self.users: dict[int, dict] = {}
        self.blocked: set[int | str] = set()
        self.files: dict[str, dict] = {}
        self.messages: dict[tuple[int | str, int], dict] = {}
        # internals
        self._paths: dict[str, dict] = {}
        self._sent: dict[int | str, list[dict]] = {}
        self._records: dict[tuple[int | str, int], dict] = {}
        self._updates: list[dict] = []
        self._allowed = set(DEFAULT_ALLOWED)
        self._update_seq = itertools.count(100001)
        self._msg_seq: dict[int | str, itertools.count] = {}
        self._file_seq = itertools.count(1)
        self._group_seq = itertools.count(13000000000000001)
        self._open_callbacks: set[str] = set()
        self._faults: dict[str, list] = {}
        self._delays: dict[str, float] = {}
        self._holds: dict[str, asyncio.Event] = {}
        self._buckets: dict[Any, _Bucket] = {}
        self._event = asyncio.Event()
        self._poll_gen = 0
        self._closing = False
        self._runner: web.AppRunner | None = None
        self._client: ClientSession | None = None
        self._webhook_task: asyncio.Task | None = None

    # ------------------------------------------------------------------ lifecycle
    async def start(self, port: int = 0) -> str:
        app = web.Application(client_max_size=60 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        port = self._runner.addresses[0][1]
        self.base_url = f"http://127.0.0.1:{port}"
        self._client = ClientSession()
        self._webhook_task = asyncio.create_task(self._webhook_loop())
        return self.base_url

    async def stop(self) -> None:
        self._closing = True
        self._changed()
        if self._webhook_task:
            self._webhook_task.cancel()
            await asyncio.gather(self._webhook_task, return_exceptions=True)
        if self._client:
            await self._client.close()
        if self._runner:
            await self._runner.cleanup()

    async def __aenter__(self) -> FakeTelegram:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # ------------------------------------------------------------------ test-side configuration
    def add_chat(self, chat_id: int | str, type: str = "private", **extra: Any) -> dict:
        """Make a chat known (so sends to it don't fail with "chat not found")."""
        chat = {"id": chat_id, "type": type, **({"first_name": "Иван"} if type == "private" else {}), **extra}
        return self.chats.setdefault(chat_id, chat)

    def block_user(self, chat_id: int | str) -> None:
        """Every call addressed to this chat answers 403 "Forbidden: bot was blocked by the user"."""
        self.blocked.add(chat_id)

    def fail_next(self, method: str, status: int = 500, count: int = 1, retry_after: int = 1,
                  description: str | None = None) -> None:
        """The next ``count`` calls of ``method`` answer with this error (counted before validation)."""
        default = {429: f"Too Many Requests: retry after {retry_after}", 403: "Forbidden: bot was blocked by the user",
                   400: "Bad Request: injected error", 500: "Internal Server Error"}
        err = ApiError(status, description or default.get(status, "Error"), retry_after if status == 429 else None)
        self._faults.setdefault(method, []).extend([err] * count)

    def drop_next(self, method: str, count: int = 1, after_execute: bool = False) -> None:
        """Close the connection without an answer (``after_execute``: the call takes effect first)."""
        self._faults.setdefault(method, []).extend(["drop+" if after_execute else "drop"] * count)

    def delay(self, method: str, seconds: float) -> None:
        """Delay every answer to ``method`` (0 removes); the call still takes effect afterwards."""
        self._delays[method] = seconds

    def hold_chat(self, chat_id: int | str) -> asyncio.Event:
        """Calls addressed to ``chat_id`` wait until the returned event is set; one whose client goes away
        meanwhile (a killed bot) is dropped, never executed, and listed in ``abandoned``."""
        return self._holds.setdefault(str(chat_id), asyncio.Event())

    # ------------------------------------------------------------------ inspection / waiting
    def sent_messages(self, chat_id: int | str) -> list[dict]:
        """Bot messages to a chat, in order: dicts with method, message_id, text (as sent), plain (after
        entity parsing), caption, parse_mode, reply_markup, photo (largest file_id), document,
        media_group_id, message (current Message JSON), edits [(method, params)], deleted, at (loop time)."""
        return list(self._sent.get(chat_id, []))

    def last_message(self, chat_id: int | str) -> dict | None:
        sent = self._sent.get(chat_id)
        return sent[-1] if sent else None

    def file_bytes(self, file_id: str) -> bytes:
        return self.files[file_id]["data"]

    def summary(self, n: int = 15) -> str:
        lines = [f"FakeTelegram {self.base_url}: {len(self.calls)} calls, {len(self.rejected)} rejected, "
                 f"{len(self._updates)} pending updates, webhook={self.webhook and self.webhook['url']}"]
        lines += [f"  call {m} {json.dumps(p, ensure_ascii=False, default=str)[:200]}" for m, p in self.calls[-n:]]
        lines += [f"  REJECTED {m}: {d}" for m, d in self.rejected[-n:]]
        return "\n".join(lines)

    async def wait_for(self, predicate: Callable[[], Any], timeout: float = 5.0, what: str = "") -> Any:  # noqa: ASYNC109
        """Re-check ``predicate()`` after every call/update; return its truthy value or fail loudly."""
        deadline = asyncio.get_running_loop().time() + timeout
        while not (result := predicate()):
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                raise AssertionError(f"timed out after {timeout}s waiting for {what or predicate}\n{self.summary()}")
            await self._wait_change(remaining)
        return result

    async def wait_messages(self, chat_id: int | str, n: int, timeout: float = 5.0) -> list[dict]:  # noqa: ASYNC109
        await self.wait_for(lambda: len(self._sent.get(chat_id, [])) >= n, timeout,
                            f"{n} bot message(s) in chat {chat_id}")
        return self.sent_messages(chat_id)

    def _changed(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    async def _wait_change(self, seconds: float | None) -> None:
        """Sleep until the next call/update (or ``seconds``)."""
        event = self._event
        try:
            await asyncio.wait_for(event.wait(), seconds)
        except TimeoutError:
            pass

    # ------------------------------------------------------------------ updates from "users"
    def push_update(self, update: dict) -> dict:
        """Enqueue any Update (update_id assigned if missing); chats found in it become known."""
        update = dict(update)
        if "update_id" not in update:
            update["update_id"] = next(self._update_seq)
        for value in update.values():
            if isinstance(value, dict):
                chat = value.get("chat") or (value.get("message") or {}).get("chat")
                if chat and "id" in chat:
                    self.chats.setdefault(chat["id"], chat)
        self._updates.append(update)
        self._changed()
        return update

    def _user(self, user_id: int, first_name: str | None) -> dict:
        user = self.users.setdefault(user_id, {"id": user_id, "is_bot": False, "first_name": first_name or "Иван",
                                               "language_code": "ru"})
        user["first_name"] = first_name or user["first_name"]
        self.chats.setdefault(user_id, {"id": user_id, "type": "private"})["first_name"] = user["first_name"]
        return user

    def _user_message(self, user_id: int, first_name: str | None = None, **content: Any) -> dict:
        user = self._user(user_id, first_name)
        msg = {"message_id": self._next_mid(user_id), "from": dict(user), "chat": dict(self.chats[user_id]),
               "date": int(time.time()), **{k: v for k, v in content.items() if v is not None}}
        self.messages[(user_id, msg["message_id"])] = msg
        return self.push_update({"message": msg})

    def user_text(self, user_id: int, text: str, first_name: str = "Иван") -> dict:
        entities = [{"type": "bot_command", "offset": 0, "length": u16(text.split()[0])}] \
            if text.startswith("/") else None
        return self._user_message(user_id, first_name, text=text, entities=entities)

    def user_photo(self, user_id: int, image_bytes: bytes, caption: str | None = None,
                   media_group_id: str | None = None) -> dict:
        return self._user_message(user_id, photo=self._photo_sizes(image_bytes, check=False), caption=caption,
                                  media_group_id=media_group_id)

    def user_document(self, user_id: int, data: bytes, file_name: str, mime_type: str) -> dict:
        return self._user_message(user_id, document=self._file_obj("document", data, file_name, mime_type))

    def user_location(self, user_id: int, lat: float, lon: float) -> dict:
        return self._user_message(user_id, location={"latitude": lat, "longitude": lon})

    def user_sticker(self, user_id: int) -> dict:
        sticker = {**self._file_obj("sticker", b"RIFF\x00\x00WEBPVP8 " + secrets.token_bytes(64)), "type": "regular",
                   "width": 512, "height": 512, "is_animated": False, "is_video": False, "emoji": "👍"}
        return self._user_message(user_id, sticker=sticker)

    def user_voice(self, user_id: int) -> dict:
        voice = {**self._file_obj("voice", b"OggS" + secrets.token_bytes(256), None, "audio/ogg"), "duration": 3}
        return self._user_message(user_id, voice=voice)

    def user_video(self, user_id: int) -> dict:
        video = {**self._file_obj("video", b"\x00\x00\x00\x18ftypmp42" + secrets.token_bytes(512), None,
                                  "video/mp4"), "width": 640, "height": 360, "duration": 5}
        return self._user_message(user_id, video=video)

    def user_contact(self, user_id: int, phone: str) -> dict:
        first_name = self._user(user_id, None)["first_name"]
        return self._user_message(user_id, contact={"phone_number": phone, "first_name": first_name,
                                                    "user_id": user_id})

    def user_callback(self, user_id: int, message_id: int, data: str, check: bool = True) -> dict:
        """Press an inline button of message ``message_id`` in the user's chat (``check``: the button
        must currently exist on that message)."""
        msg = self.messages.get((user_id, message_id))
        if msg is None:
            raise LookupError(f"no message {message_id} in chat {user_id}")
        buttons = [b.get("callback_data") for row in msg.get("reply_markup", {}).get("inline_keyboard", [])
                   for b in row]
        if check and data not in buttons:
            raise AssertionError(f"message {message_id} has no button with callback_data={data!r}: {buttons}")
        query_id = str(secrets.randbits(62))
        self._open_callbacks.add(query_id)
        return self.push_update({"callback_query": {
            "id": query_id, "from": dict(self._user(user_id, None)), "message": copy.deepcopy(msg),
            "chat_instance": str(-secrets.randbits(62)), "data": data}})

    # ------------------------------------------------------------------ files
    def _store_file(self, kind: str, data: bytes, file_name: str | None = None,
                    mime_type: str | None = None) -> dict:
        prefix, folder, ext = FILE_KINDS[kind]
        if file_name and "." in file_name:
            ext = file_name.rsplit(".", 1)[1]
        rec = {"file_id": prefix + secrets.token_urlsafe(45), "file_unique_id": "AQAD" + secrets.token_hex(6),
               "kind": kind, "data": data, "file_size": len(data),
               "file_path": f"{folder}/file_{next(self._file_seq)}.{ext}", "file_name": file_name,
               "mime_type": mime_type}
        self.files[rec["file_id"]] = self._paths[rec["file_path"]] = rec
        return rec

    def _file_obj(self, kind: str, data: bytes, file_name: str | None = None, mime: str | None = None) -> dict:
        rec = self._store_file(kind, data, file_name, mime)
        obj = {k: rec[k] for k in ("file_id", "file_unique_id", "file_size", "file_name", "mime_type")}
        return {k: v for k, v in obj.items() if v is not None}

    def _photo_sizes(self, data: bytes, check: bool) -> list[dict]:
        """2-3 PhotoSize dicts of increasing size (Pillow thumbnails); the largest is ``data`` itself."""
        from PIL import Image  # Pillow is a project dependency

        try:
            img = Image.open(io.BytesIO(data))
            img.load()
            w, h = img.size
        except Exception:  # noqa: BLE001 - not an image
            if check:
                raise bad("IMAGE_PROCESS_FAILED") from None
            img, (w, h) = None, (1280, 960)
        if img is not None and (w + h > 10000 or max(w, h) > 20 * min(w, h)):
            raise bad("PHOTO_INVALID_DIMENSIONS")
        variants = []
        for box in (90, 320):
            if img is None:
                variants.append((box, max(1, box * h // w), data))
            elif max(w, h) > box:
                thumb = img.convert("RGB")
                thumb.thumbnail((box, box))
                buf = io.BytesIO()
                thumb.save(buf, "JPEG")
                variants.append((thumb.width, thumb.height, buf.getvalue()))
        if not variants:
            variants.append((w, h, data))
        sizes = []
        for vw, vh, vdata in [*variants, (w, h, data)]:
            rec = self._store_file("photo", vdata)
            sizes.append({"file_id": rec["file_id"], "file_unique_id": rec["file_unique_id"],
                          "file_size": len(vdata), "width": vw, "height": vh})
        for size in sizes:
            self.files[size["file_id"]]["sizes"] = sizes
        return sizes

    def _resolve_file(self, value: str, uploads: dict, kind: str) -> dict:
        """``attach://name`` (a multipart upload) or a known file_id -> file record."""
        if value.startswith("attach://"):
            if (up := uploads.get(value[9:])) is None:
                raise bad("wrong file identifier/HTTP URL specified")
            filename, data = up
            if not data:
                raise bad("file must be non-empty")
            if kind == "photo":
                return self.files[self._photo_sizes(data, self.check_images)[-1]["file_id"]]
            return self._store_file(kind, data, filename, mimetypes.guess_type(filename or "")[0]
                                    or "application/octet-stream")
        rec = self.files.get(value)
        if rec is None:
            raise bad("wrong file identifier/HTTP URL specified")
        if rec["kind"] != kind:
            raise bad(f"can't use file of type {rec['kind'].title()} as {kind.title()}")
        return rec

    def _media(self, rec: dict) -> dict:
        if rec["kind"] == "photo":
            return {"photo": rec["sizes"]}
        return {rec["kind"]: {k: rec[k] for k in ("file_id", "file_unique_id", "file_size", "file_name",
                                                   "mime_type") if rec.get(k) is not None}}

    # ------------------------------------------------------------------ HTTP layer
    def _error_body(self, status: int, description: str) -> web.Response:
        return web.json_response({"ok": False, "error_code": status, "description": description}, status=status)

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return self._error_body(401, "Unauthorized")
        rec = self._paths.get(request.match_info["path"])
        if rec is None:
            return self._error_body(404, "Not Found")
        self.file_requests.append(request.match_info["path"])
        return web.Response(body=rec["data"], content_type=rec.get("mime_type") or "application/octet-stream")

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["method"]
        if request.match_info["token"] != self.token:
            self.rejected.append((name, "Unauthorized"))
            return self._error_body(401, "Unauthorized")
        if name.lower() not in METHODS:
            self.rejected.append((name, "Not Found"))
            return self._error_body(404, "Not Found")
        method = METHODS[name.lower()][0]
        raw, uploads = {k: v for k, v in request.query.items()}, {}
        try:
            if request.content_type == "application/json":
                body = await request.json()
                raw.update({k: v if isinstance(v, str) else json.dumps(v) for k, v in (body or {}).items()})
            elif request.can_read_body:
                for key, value in (await request.post()).items():
                    if isinstance(value, web.FileField):
                        uploads[key] = (value.filename, value.file.read())
                    else:
                        raw[key] = value
        except web.HTTPRequestEntityTooLarge:
            self.rejected.append((method, "Request Entity Too Large"))
            return self._error_body(413, "Request Entity Too Large")
        _REQUEST.set(request)
        self.arrivals.append((asyncio.get_running_loop().time(), method))
        if seconds := self._delays.get(method):
            await asyncio.sleep(seconds)
        event = self._holds.get(str(raw.get("chat_id")))
        if event is not None and not event.is_set() and not await self._held(event, request, method, raw):
            return web.Response(status=500)  # never reaches the client: it is gone
        queue = self._faults.get(method)
        if queue and isinstance(queue[0], str):
            if queue.pop(0) == "drop+":
                await self._execute(method, raw, uploads)
            request.transport.close()
            self._changed()
            return web.Response(status=500)  # never reaches the client: the socket is gone
        status, body = await self._execute(method, raw, uploads)
        return web.json_response(body, status=status)

    async def _held(self, event: asyncio.Event, request: web.Request, method: str, raw: dict) -> bool:
        self.held += 1
        self._changed()
        try:
            if await holds.hold(event, request):
                return True
            self.abandoned.append((method, raw))
            return False
        finally:
            self.held -= 1
            self._changed()

    async def _execute(self, method: str, raw: dict[str, str], uploads: dict) -> tuple[int, dict]:
        """Validate + run one call; record it; answer (status, Telegram JSON)."""
        try:
            if (queue := self._faults.get(method)) and isinstance(queue[0], ApiError):
                raise queue.pop(0)
            params = self._decode(method, raw, uploads)
            result = await getattr(self, "_api_" + method)(params, uploads)
        except ApiError as e:
            body: dict[str, Any] = {"ok": False, "error_code": e.status, "description": e.description}
            if e.retry_after:
                body["parameters"] = {"retry_after": e.retry_after}
            self.count_429 += e.status == 429
            if 400 <= e.status < 500:
                self.rejected.append((method, e.description))
            self._changed()
            return e.status, body
        self.calls.append((method, params))
        self._changed()
        return 200, {"ok": True, "result": result}

    def _decode(self, method: str, raw: dict[str, str], uploads: dict) -> dict:
        spec = METHODS[method.lower()][1]
        for key in uploads:  # a file uploaded directly in a parameter's own form field
            if key in spec and "InputFile" in spec[key]["types"] and key not in raw:
                raw[key] = "attach://" + key
        params = {}
        for key, value in raw.items():
            types = spec[key]["types"] if key in spec else LEGACY_PARAMS.get(key) if method in SEND_METHODS else None
            if types is None:
                raise bad(f'unknown parameter "{key}" (not in {_TABLE["version"]} for {method})')
            params[key] = _coerce(key, value, types)
        for key, field in spec.items():
            if field["required"] and key not in params:
                raise bad({"chat_id": "chat_id is empty", "text": "message text is empty"}.get(
                    key, f'parameter "{key}" is required'))
        if "reply_markup" in params:
            self._check_markup(params["reply_markup"], inline_only=method.startswith("edit"))
        if "link_preview_options" in params:
            _check_obj("LinkPreviewOptions", params["link_preview_options"])
        if "reply_parameters" in params:
            _check_obj("ReplyParameters", params["reply_parameters"])
        chat_id = params.get("chat_id")
        if chat_id is not None:
            if chat_id not in self.chats:
                raise bad("chat not found")
            if chat_id in self.blocked:
                raise ApiError(403, "Forbidden: bot was blocked by the user")
        if method in SEND_METHODS:
            self._rate_limit(chat_id)
        return params

    def _rate_limit(self, chat_id: Any) -> None:
        taken = []
        for key, rate in (("*", self.rate_limit_global), (chat_id, self.rate_limit_per_chat)):
            if rate:
                bucket = self._buckets.setdefault(key, _Bucket(rate))
                if retry := bucket.take():
                    for b in taken:
                        b.tokens += 1
                    raise ApiError(429, f"Too Many Requests: retry after {retry}", retry)
                taken.append(bucket)

    def _check_markup(self, markup: Any, inline_only: bool = False) -> None:
        kind = next((t for k, t in MARKUP_KEYS.items() if isinstance(markup, dict) and k in markup), None)
        if kind is None or (inline_only and kind != "InlineKeyboardMarkup"):
            raise bad("can't parse reply keyboard markup JSON object")
        _check_obj(kind, markup)
        rows = markup.get("inline_keyboard", markup.get("keyboard", []))
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise bad("can't parse reply keyboard markup JSON object")
        for button in (b for row in rows for b in row):
            if kind == "ReplyKeyboardMarkup":
                if not isinstance(button, str):
                    _check_obj("KeyboardButton", button)
                continue
            _check_obj("InlineKeyboardButton", button)
            if "callback_data" in button and not 1 <= len(str(button["callback_data"]).encode()) <= 64:
                raise bad("BUTTON_DATA_INVALID")
            if "url" in button and not re.match(r"(https?|tg)://\S+$", str(button["url"])):
                raise bad("BUTTON_URL_INVALID")
            if not set(button) - {"text", "icon_custom_emoji_id", "style"}:
                raise bad("can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard")

    def _format(self, text: str, params: dict, limit: int, entities_key: str) -> tuple[str, list[dict]]:
        """Apply parse_mode; enforce the length limit on the parsed text."""
        mode, entities = params.get("parse_mode"), params.get(entities_key)
        if entities is not None or not mode:
            plain, entities = text, entities or []
        elif mode.lower() == "html":
            plain, entities = parse_html(text, self.strict_html)
        elif mode.lower() in ("markdown", "markdownv2"):
            plain, entities = text, []  # not emulated: accepted as-is
        else:
            raise bad("unsupported parse_mode")
        if entities_key == "entities" and not plain.strip():
            raise bad("message text is empty")
        if len(plain.strip()) > limit:
            raise bad("message is too long" if limit == 4096 else "message caption is too long")
        return plain, entities

    # ------------------------------------------------------------------ messages
    def _next_mid(self, chat_id: int | str) -> int:
        return next(self._msg_seq.setdefault(chat_id, itertools.count(1)))

    def _new_message(self, method: str, params: dict, content: dict, text_param: str = "text") -> dict:
        chat_id = params["chat_id"]
        reply = params.get("reply_parameters") or (
            {"message_id": params["reply_to_message_id"]} if "reply_to_message_id" in params else None)
        msg: dict[str, Any] = {"message_id": 0, "from": self.bot_user, "chat": self.chats[chat_id],
                               "date": int(time.time())}
        if reply:
            target = self.messages.get((reply.get("chat_id", chat_id), reply["message_id"]))
            if target is not None:
                msg["reply_to_message"] = {k: v for k, v in target.items() if k != "reply_to_message"}
            elif not (reply.get("allow_sending_without_reply") or params.get("allow_sending_without_reply")):
                raise bad("message to be replied not found")
        msg.update({k: v for k, v in content.items() if v not in (None, [])})
        if "inline_keyboard" in (params.get("reply_markup") or {}):
            msg["reply_markup"] = params["reply_markup"]
        msg["message_id"] = self._next_mid(chat_id)
        self.messages[(chat_id, msg["message_id"])] = msg
        rec = {"method": method, "chat_id": chat_id, "message_id": msg["message_id"],
               "text": params.get(text_param) if text_param == "text" else None,
               "caption": params.get(text_param) if text_param == "caption" else None,
               "plain": msg.get("text", msg.get("caption")), "parse_mode": params.get("parse_mode"),
               "reply_markup": params.get("reply_markup"),
               "photo": msg["photo"][-1]["file_id"] if "photo" in msg else None,
               "document": msg.get("document", {}).get("file_id"), "media_group_id": msg.get("media_group_id"),
               "message": msg, "edits": [], "deleted": False, "at": asyncio.get_running_loop().time()}
        self._sent.setdefault(chat_id, []).append(rec)
        self._records[(chat_id, msg["message_id"])] = rec
        return msg

    def _caption(self, params: dict) -> dict:
        if "caption" not in params:
            return {}
        caption, entities = self._format(params["caption"], params, 1024, "caption_entities")
        return {"caption": caption, "caption_entities": entities}

    async def _api_sendMessage(self, p: dict, uploads: dict) -> dict:
        text, entities = self._format(p["text"], p, 4096, "entities")
        return self._new_message("sendMessage", p, {"text": text, "entities": entities})

    async def _api_sendPhoto(self, p: dict, uploads: dict) -> dict:
        media = self._media(self._resolve_file(p["photo"], uploads, "photo"))
        return self._new_message("sendPhoto", p, {**media, **self._caption(p)}, "caption")

    async def _api_sendDocument(self, p: dict, uploads: dict) -> dict:
        media = self._media(self._resolve_file(p["document"], uploads, "document"))
        return self._new_message("sendDocument", p, {**media, **self._caption(p)}, "caption")

    async def _api_sendMediaGroup(self, p: dict, uploads: dict) -> list[dict]:
        items = p["media"]
        if not isinstance(items, list) or len(items) < 2:
            raise bad("media group must contain 2-10 items")
        if len(items) > 10:
            raise bad("too much messages to send as an album")
        prepared = []
        for item in items:
            kind = item.get("type") if isinstance(item, dict) else None
            if kind not in ("photo", "document", "video"):
                raise bad("can't parse InputMedia JSON object")
            _check_obj("InputMedia" + kind.title(), item)
            prepared.append((item, {**self._media(self._resolve_file(item["media"], uploads, kind)),
                                    **self._caption({**item})}))
        group_id = str(next(self._group_seq))
        return [self._new_message("sendMediaGroup", {**p, "caption": item.get("caption"),
                                                     "parse_mode": item.get("parse_mode")},
                                  {**content, "media_group_id": group_id}, "caption")
                for item, content in prepared]

    async def _api_sendChatAction(self, p: dict, uploads: dict) -> bool:
        if p["action"] not in CHAT_ACTIONS:
            raise bad("wrong parameter action in request")
        return True

    def _editable(self, p: dict) -> tuple[dict, dict] | None:
        if "inline_message_id" in p:
            return None
        if "chat_id" not in p or "message_id" not in p:
            raise bad("message identifier is not specified")
        rec = self._records.get((p["chat_id"], p["message_id"]))
        if rec is None or rec["deleted"]:
            if (p["chat_id"], p["message_id"]) in self.messages:
                raise bad("message can't be edited")
            raise bad("message to edit not found")
        return rec, rec["message"]

    def _apply_edit(self, method: str, p: dict, rec: dict, msg: dict, changes: dict) -> dict:
        new = {k: v for k, v in {**msg, **changes}.items() if v not in (None, [], "") and k != "reply_markup"}
        if "inline_keyboard" in (p.get("reply_markup") or {}):
            new["reply_markup"] = p["reply_markup"]
        if {k: v for k, v in new.items() if k != "edit_date"} == {k: v for k, v in msg.items() if k != "edit_date"}:
            raise bad("message is not modified: specified new message content and reply markup are exactly "
                      "the same as a current content and reply markup of the message")
        new["edit_date"] = int(time.time())
        msg.clear()
        msg.update(new)
        rec["edits"].append((method, p))
        rec["reply_markup"] = p.get("reply_markup")
        return msg

    async def _api_editMessageText(self, p: dict, uploads: dict) -> dict | bool:
        if "text" not in p:
            raise bad("message text is empty")
        text, entities = self._format(p["text"], p, 4096, "entities")
        if (found := self._editable(p)) is None:
            return True
        rec, msg = found
        if "text" not in msg:
            raise bad("there is no text in the message to edit")
        self._apply_edit("editMessageText", p, rec, msg, {"text": text, "entities": entities})
        rec.update(text=p["text"], plain=text, parse_mode=p.get("parse_mode"))
        return msg

    async def _api_editMessageCaption(self, p: dict, uploads: dict) -> dict | bool:
        changes = self._caption({**p, "caption": p.get("caption", "")})
        if (found := self._editable(p)) is None:
            return True
        rec, msg = found
        if "text" in msg:
            raise bad("there is no caption in the message to edit")
        self._apply_edit("editMessageCaption", p, rec, msg, changes)
        rec.update(caption=p.get("caption"), plain=changes["caption"], parse_mode=p.get("parse_mode"))
        return msg

    async def _api_editMessageReplyMarkup(self, p: dict, uploads: dict) -> dict | bool:
        if (found := self._editable(p)) is None:
            return True
        return self._apply_edit("editMessageReplyMarkup", p, *found, {})

    async def _api_deleteMessage(self, p: dict, uploads: dict) -> bool:
        key = (p["chat_id"], p["message_id"])
        if self.messages.pop(key, None) is None:
            raise bad("message to delete not found")
        if key in self._records:
            self._records[key]["deleted"] = True
        return True

    async def _api_answerCallbackQuery(self, p: dict, uploads: dict) -> bool:
        if p["callback_query_id"] not in self._open_callbacks:
            raise bad("query is too old and response timeout expired or query ID is invalid")
        if len(p.get("text", "")) > 200:
            raise bad("MESSAGE_TOO_LONG")
        self._open_callbacks.discard(p["callback_query_id"])
        self.callback_answers.append(p)
        return True

    async def _api_getFile(self, p: dict, uploads: dict) -> dict:
        rec = self.files.get(p["file_id"])
        if rec is None:
            raise bad("invalid file_id")
        if rec["file_size"] > MAX_DOWNLOAD:
            raise bad("file is too big")
        return {k: rec[k] for k in ("file_id", "file_unique_id", "file_size", "file_path")}

    # ------------------------------------------------------------------ bot-level methods
    async def _api_getMe(self, p: dict, uploads: dict) -> dict:
        return {**self.bot_user, "can_join_groups": True, "can_read_all_group_messages": False,
                "supports_inline_queries": False}

    async def _api_close(self, p: dict, uploads: dict) -> bool:
        return True

    _api_logOut = _api_close

    def _scope_key(self, p: dict) -> tuple[str, str]:
        scope = p.get("scope") or {"type": "default"}
        if not isinstance(scope, dict) or "type" not in scope:
            raise bad("can't parse BotCommandScope JSON object")
        type_name = {"default": "BotCommandScopeDefault", "chat": "BotCommandScopeChat"}.get(scope["type"])
        if type_name:
            _check_obj(type_name, scope)
        if scope.get("chat_id") is not None and scope["chat_id"] not in self.chats:
            raise bad("chat not found")
        return json.dumps(scope, sort_keys=True), p.get("language_code", "")

    async def _api_setMyCommands(self, p: dict, uploads: dict) -> bool:
        commands = p["commands"]
        if not isinstance(commands, list) or len(commands) > 100:
            raise bad("can't parse commands JSON object")
        for cmd in commands:
            _check_obj("BotCommand", cmd)
            if not re.fullmatch(r"[a-z0-9_]{1,32}", str(cmd["command"])):
                raise bad("BOT_COMMAND_INVALID")
            if not 1 <= len(str(cmd["description"]).strip()) <= 256:
                raise bad("command description is empty or too long")
        self.commands[self._scope_key(p)] = commands
        return True

    async def _api_deleteMyCommands(self, p: dict, uploads: dict) -> bool:
        self.commands.pop(self._scope_key(p), None)
        return True

    async def _api_getMyCommands(self, p: dict, uploads: dict) -> list[dict]:
        return self.commands.get(self._scope_key(p), [])

    # ------------------------------------------------------------------ getUpdates / webhook
    def _pending(self, allowed: set[str]) -> list[dict]:
        """Drop (confirm) pending updates of types not in ``allowed``; return the rest."""
        self._updates = [u for u in self._updates if not (set(u) - {"update_id"}).isdisjoint(allowed)]
        return self._updates

    async def _api_getUpdates(self, p: dict, uploads: dict) -> list[dict]:
        if self.webhook:
            raise ApiError(409, "Conflict: can't use getUpdates method while webhook is active; "
                                "use deleteWebhook to delete the webhook first")
        self.get_updates_calls += 1
        self._poll_gen += 1
        generation = self._poll_gen
        if "allowed_updates" in p:
            self._allowed = set(p["allowed_updates"]) or set(DEFAULT_ALLOWED)
        offset = p.get("offset")
        if offset is not None:
            self._updates = self._updates[offset:] if offset < 0 else \
                [u for u in self._updates if u["update_id"] >= offset]
        limit = min(max(p.get("limit", 100), 1), 100)
        self._changed()
        deadline = asyncio.get_running_loop().time() + max(p.get("timeout", 0), 0)
        request = _REQUEST.get(None)
        while True:
            if request is not None and (request.transport is None or request.transport.is_closing()):
                return []  # the client went away (e.g. polling was cancelled): end quietly
            if generation != self._poll_gen:
                raise ApiError(409, "Conflict: terminated by other getUpdates request; "
                                    "make sure that only one bot instance is running")
            batch = self._pending(self._allowed)[:limit]
            remaining = deadline - asyncio.get_running_loop().time()
            if batch or remaining <= 0 or self._closing or self.webhook:
                return copy.deepcopy(batch)
            await self._wait_change(remaining)

    async def _api_setWebhook(self, p: dict, uploads: dict) -> bool:
        if not p["url"]:
            return await self._api_deleteWebhook(p, uploads)
        if not re.match(r"https?://", p["url"]):
            raise bad("bad webhook: An HTTPS URL must be provided for webhook")
        secret = p.get("secret_token")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
            raise bad("secret token contains unallowed characters")
        if p.get("drop_pending_updates"):
            self._updates.clear()
        self.webhook = {"url": p["url"], "secret_token": secret, "last_error_date": None,
                        "last_error_message": None, "max_connections": p.get("max_connections", 40),
                        "allowed_updates": p.get("allowed_updates")}
        return True

    async def _api_deleteWebhook(self, p: dict, uploads: dict) -> bool:
        self.webhook = None
        if p.get("drop_pending_updates"):
            self._updates.clear()
        return True

    async def _api_getWebhookInfo(self, p: dict, uploads: dict) -> dict:
        info = {"url": "", "has_custom_certificate": False, "pending_update_count": len(self._updates)}
        if self.webhook:
            info["url"] = self.webhook["url"]
            info.update({k: v for k, v in self.webhook.items() if k not in ("url", "secret_token") and v})
        return info

    async def _webhook_loop(self) -> None:
        """Deliver pending updates to the webhook one at a time, in order; retry with backoff."""
        backoff = self.webhook_retry_delay
        while True:
            hook = self.webhook
            pending = self._pending(set(hook["allowed_updates"] or DEFAULT_ALLOWED)) if hook else []
            if not pending:
                await self._wait_change(None)
                continue
            update = pending[0]
            headers = {"X-Telegram-Bot-Api-Secret-Token": hook["secret_token"]} if hook["secret_token"] else {}
            status, error = None, None
            try:
                async with self._client.post(hook["url"], json=update, headers=headers,
                                             timeout=ClientTimeout(total=10)) as resp:
                    status = resp.status
                    if 200 <= status < 300:
                        await self._webhook_reply(resp)
                    else:
                        error = f"Wrong response from the webhook: {status} {resp.reason}"
            except Exception as e:  # noqa: BLE001 - any delivery failure is retried
                error = f"Connection failed: {type(e).__name__}: {e}"
            self.webhook_deliveries.append({"update_id": update["update_id"], "status": status, "error": error})
            if error is None:
                if self._updates and self._updates[0] is update:
                    self._updates.pop(0)
                backoff = self.webhook_retry_delay
                self._changed()
                continue
            hook.update(last_error_date=int(time.time()), last_error_message=error)
            self._changed()
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 1.0)

    async def _webhook_reply(self, resp: Any) -> None:
        """Execute a method returned in the webhook response body (aiogram handle_in_background=False)."""
        raw, uploads = {}, {}
        if resp.content_type == "multipart/form-data":
            reader = MultipartReader(resp.headers, resp.content)
            while (part := await reader.next()) is not None:
                if part.filename:
                    uploads[part.name] = (part.filename, await part.read())
                else:
                    raw[part.name] = await part.text()
        elif resp.content_type == "application/json":
            body = await resp.json()
            raw = {k: v if isinstance(v, str) else json.dumps(v) for k, v in (body or {}).items()}
        name = raw.pop("method", "")
        if name.lower() in METHODS:
            await self._execute(METHODS[name.lower()][0], raw, uploads)
