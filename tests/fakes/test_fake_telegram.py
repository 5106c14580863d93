"""Tests of FakeTelegram itself, driven by the real aiogram Bot over HTTP."""

from __future__ import annotations

import asyncio
import io

import pytest
import pytest_asyncio
from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramConflictError,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.methods import SendMessage, TelegramMethod
from aiogram.types import (
    BotCommand,
    BufferedInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaPhoto,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    ReplyParameters,
)
from aiohttp import web
from PIL import Image

from tests.fakes.telegram_server import FakeTelegram, parse_html

pytestmark = pytest.mark.asyncio
UID = 1001


def make_bot(fake: FakeTelegram, token: str | None = None) -> Bot:
    session = AiohttpSession(api=TelegramAPIServer.from_base(fake.base_url))
    return Bot(token or fake.token, session=session)


def png(w: int = 640, h: int = 480, color: str = "red") -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (w, h), color).save(buf, "PNG")
    return buf.getvalue()


def kb(*data: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text=d[:10] or "x", callback_data=d)]
                                                 for d in data])


@pytest_asyncio.fixture
async def fake():
    async with FakeTelegram() as f:
        f.user_text(UID, "/start")
        yield f


@pytest_asyncio.fixture
async def bot(fake):
    b = make_bot(fake)
    yield b
    await b.session.close()


async def test_get_me_and_send_message(fake, bot):
    me = await bot.get_me()
    assert me.is_bot and me.id == 123456
    msg = await bot.send_message(UID, "<b>Привет</b>, мир &amp; всё", parse_mode="HTML",
                                 reply_markup=kb("yes", "no"))
    assert isinstance(msg, Message)
    assert msg.text == "Привет, мир & всё"
    assert msg.entities[0].type == "bold" and msg.entities[0].length == 6
    assert msg.message_id == 2  # the user's /start was message 1 in this private chat
    assert msg.reply_markup.inline_keyboard[0][0].callback_data == "yes"
    last = fake.last_message(UID)
    assert last["text"] == "<b>Привет</b>, мир &amp; всё" and last["plain"] == msg.text
    assert fake.calls[-1][0] == "sendMessage" and fake.calls[-1][1]["chat_id"] == UID
    second = await bot.send_message(UID, "plain", reply_markup=ReplyKeyboardMarkup(
        keyboard=[[KeyboardButton(text="Отправить телефон", request_contact=True)]], resize_keyboard=True),
        reply_parameters=ReplyParameters(message_id=1))
    assert second.message_id == 3 and second.reply_to_message.text == "/start"
    assert second.reply_markup is None  # reply keyboards are not echoed in Message
    assert [m["message_id"] for m in fake.sent_messages(UID)] == [2, 3]
    assert fake.rejected == []


async def test_chat_not_found_and_unauthorized(fake, bot):
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.send_message(999, "hi")
    fake.add_chat(999)
    await bot.send_message(999, "hi")
    other = make_bot(fake, "654321:OTHER")
    with pytest.raises(TelegramUnauthorizedError):
        await other.get_me()
    await other.session.close()


async def test_message_length_is_checked_after_entity_parsing(fake, bot):
    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await bot.send_message(UID, "a" * 4097)
    await bot.send_message(UID, "a" * 4096)
    await bot.send_message(UID, "<b>" + "a" * 4096 + "</b>", parse_mode="HTML")
    await bot.send_message(UID, "&lt;" * 4096, parse_mode="HTML")
    with pytest.raises(TelegramBadRequest, match="message text is empty"):
        await bot.send_message(UID, "<b> </b>", parse_mode="HTML")
    photo = BufferedInputFile(png(), "p.png")
    with pytest.raises(TelegramBadRequest, match="message caption is too long"):
        await bot.send_photo(UID, photo, caption="б" * 1025)
    await bot.send_photo(UID, photo, caption="<i>" + "б" * 1024 + "</i>", parse_mode="HTML")
    assert [m for m, _ in fake.rejected] == ["sendMessage", "sendMessage", "sendPhoto"]


@pytest.mark.parametrize("data", ["x" * 65, "я" * 33, ""])
async def test_callback_data_limit(fake, bot, data):
    markup = {"inline_keyboard": [[{"text": "b", "callback_data": data}]]}
    with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
        await bot.send_message(UID, "pick", reply_markup=markup)


async def test_callback_data_64_bytes_ok_and_unknown_markup_field(fake, bot):
    await bot.send_message(UID, "pick", reply_markup=kb("я" * 32))
    with pytest.raises(TelegramBadRequest, match='unknown field "colour"'):
        await bot.send_message(UID, "pick", reply_markup={
            "inline_keyboard": [[{"text": "b", "callback_data": "x", "colour": "red"}]]})
    with pytest.raises(TelegramBadRequest, match="Text buttons are unallowed"):
        await bot.send_message(UID, "pick", reply_markup={"inline_keyboard": [[{"text": "b"}]]})


@pytest.mark.parametrize("text, error", [
    ("<b>bold", "Can't find end tag"),
    ("<b><i>x</b></i>", "Unmatched end tag"),
    ("line<br>break", 'Unsupported start tag "br"'),
    ("1 < 2", 'Unsupported start tag ""'),
    ("x</b>", "Unexpected end tag"),
    ("<span>x</span>", 'must have class "tg-spoiler"'),
    ("Tom & Jerry", 'Character "&"'),
])
async def test_bad_html_rejected(fake, bot, text, error):
    with pytest.raises(TelegramBadRequest, match="can't parse entities") as exc:
        await bot.send_message(UID, text, parse_mode="HTML")
    assert error in exc.value.message
    assert fake.rejected[-1][0] == "sendMessage"


async def test_good_html_accepted(fake, bot):
    html = ('<b>b</b><strong>s</strong><i>i</i><em>e</em><u>u</u><ins>n</ins><s>s</s><strike>k</strike>'
            '<del>d</del><span class="tg-spoiler">p</span><tg-spoiler>q</tg-spoiler>'
            '<a href="https://example.org/?a=1&amp;b=2">link</a><code>c</code>'
            '<pre><code class="language-python">print(1)</code></pre><blockquote expandable>q</blockquote>'
            '<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji> 1 &lt; 2 &gt; 0 &quot;x&quot; &#33; &#x41;')
    msg = await bot.send_message(UID, html, parse_mode="HTML")
    assert msg.text.endswith('👍 1 < 2 > 0 "x" ! A')
    types = [e.type for e in msg.entities]
    assert {"bold", "italic", "underline", "strikethrough", "spoiler", "text_link", "code", "pre",
            "expandable_blockquote", "custom_emoji"} <= set(types)
    pre = next(e for e in msg.entities if e.type == "pre")
    assert pre.language == "python"
    assert next(e for e in msg.entities if e.type == "text_link").url == "https://example.org/?a=1&b=2"
    plain, entities = parse_html("😀<b>x</b>")
    assert plain == "😀x" and entities == [{"type": "bold", "offset": 2, "length": 1}]  # UTF-16 offsets


async def test_unknown_parameter_rejected_legacy_accepted(fake, bot):
    class SendMessageWithTypo(SendMessage):
        reply_markpu: str | None = None

    with pytest.raises(TelegramBadRequest, match='unknown parameter "reply_markpu"'):
        await bot(SendMessageWithTypo(chat_id=UID, text="hi", reply_markpu="{}"))
    # removed from the docs in Bot API 7.0, still accepted by Telegram (and modelled by aiogram)
    msg = await bot.send_message(UID, "hi", reply_to_message_id=1, disable_web_page_preview=True)
    assert msg.reply_to_message.message_id == 1


async def test_unknown_method_is_404(fake, bot):
    class FooBar(TelegramMethod[bool]):
        __returning__ = bool
        __api_method__ = "fooBar"

    with pytest.raises(TelegramNotFound):
        await bot(FooBar())
    assert fake.rejected == [("fooBar", "Not Found")]


async def test_injected_429_and_rate_limits(fake, bot):
    fake.fail_next("sendMessage", 429, retry_after=7)
    with pytest.raises(TelegramRetryAfter) as exc:
        await bot.send_message(UID, "one")
    assert exc.value.retry_after == 7
    await bot.send_message(UID, "two")
    assert fake.count_429 == 1

    async with FakeTelegram(rate_limit_per_chat=1.0) as limited:
        limited.user_text(UID, "hi")
        b = make_bot(limited)
        await b.send_message(UID, "first")
        with pytest.raises(TelegramRetryAfter) as exc:
            await b.send_message(UID, "second")
        assert exc.value.retry_after >= 1 and limited.count_429 == 1
        await b.session.close()


async def test_forbidden_server_error_drop_and_delay(fake, bot):
    fake.block_user(UID)
    with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
        await bot.send_message(UID, "hello?")
    fake.blocked.clear()
    fake.fail_next("sendMessage", 500)
    with pytest.raises(TelegramServerError):
        await bot.send_message(UID, "x")
    fake.drop_next("sendMessage")
    with pytest.raises(TelegramNetworkError):
        await bot.send_message(UID, "lost")
    fake.drop_next("sendMessage", after_execute=True)
    with pytest.raises(TelegramNetworkError):
        await bot.send_message(UID, "sent, answer lost")
    assert fake.last_message(UID)["text"] == "sent, answer lost"
    fake.delay("getMe", 2)
    with pytest.raises(TelegramNetworkError, match="timeout"):
        await bot.get_me(request_timeout=1)
    fake.delay("getMe", 0)
    await bot.get_me()


async def test_get_updates_offset_limit_allowed(fake, bot):
    fake.user_text(UID, "hello")
    fake.user_callback(UID, 1, "ignored", check=False)
    updates = await bot.get_updates()
    assert [u.message.text if u.message else "cb" for u in updates] == ["/start", "hello", "cb"]
    assert updates[0].message.entities[0].type == "bot_command"
    assert len(await bot.get_updates(limit=1)) == 1
    last = updates[-1].update_id
    assert await bot.get_updates(offset=last + 1) == []
    fake.user_text(UID, "a")
    fake.user_callback(UID, 1, "b", check=False)
    only_messages = await bot.get_updates(offset=last + 1, allowed_updates=["message"])
    assert [u.message.text for u in only_messages] == ["a"]
    assert fake.get_updates_calls == 4


async def test_get_updates_long_poll_wakes_on_push(fake, bot):
    start = (await bot.get_updates())[-1].update_id + 1
    poll = asyncio.create_task(bot.get_updates(offset=start, timeout=10))
    await fake.wait_for(lambda: fake.get_updates_calls == 2)
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    fake.user_location(UID, 55.75, 37.61)
    updates = await asyncio.wait_for(poll, 5)
    assert loop.time() - t0 < 2
    assert updates[0].message.location.latitude == 55.75


async def test_get_file_and_download(fake, bot):
    image = png(800, 600)
    upd = fake.user_photo(UID, image, caption="яма")
    sizes = upd["message"]["photo"]
    assert 2 <= len(sizes) <= 3 and sizes[-1]["width"] == 800
    assert [s["file_size"] for s in sizes] == sorted(s["file_size"] for s in sizes)
    file = await bot.get_file(sizes[-1]["file_id"])
    assert file.file_path.startswith("photos/")
    data = await bot.download(file)
    assert data.read() == image
    small = await bot.download(sizes[0]["file_id"])
    assert Image.open(small).size[0] <= 90
    doc = fake.user_document(UID, b"%PDF-1.4 ...", "заявление.pdf", "application/pdf")
    assert (await bot.download(doc["message"]["document"]["file_id"])).read() == b"%PDF-1.4 ..."
    with pytest.raises(TelegramBadRequest, match="invalid file_id"):
        await bot.get_file("nope")
    big = fake.user_document(UID, b"0" * (20 * 1024 * 1024 + 1), "big.bin", "application/octet-stream")
    with pytest.raises(TelegramBadRequest, match="file is too big"):
        await bot.get_file(big["message"]["document"]["file_id"])
    for helper in (fake.user_voice, fake.user_video, fake.user_sticker):
        upd = helper(UID)
        media = next(v for k, v in upd["message"].items() if k in ("voice", "video", "sticker"))
        assert (await bot.download(media["file_id"])).read() == fake.file_bytes(media["file_id"])
    assert fake.user_contact(UID, "+79990001122")["message"]["contact"]["user_id"] == UID


async def test_send_media_group_with_uploads_and_file_ids(fake, bot):
    media = [InputMediaPhoto(media=BufferedInputFile(png(color=c), f"{c}.png"), caption=c)
             for c in ("red", "green", "blue")]
    msgs = await bot.send_media_group(UID, media)
    assert len(msgs) == 3 and len({m.media_group_id for m in msgs}) == 1
    assert [m.caption for m in msgs] == ["red", "green", "blue"]
    sent = fake.sent_messages(UID)
    assert [s["method"] for s in sent] == ["sendMediaGroup"] * 3
    assert Image.open(io.BytesIO(fake.file_bytes(sent[1]["photo"]))).getpixel((0, 0)) == (0, 128, 0)
    # re-sending by file_id works, unknown ids don't
    again = await bot.send_photo(UID, msgs[0].photo[-1].file_id)
    assert again.photo[-1].file_id == msgs[0].photo[-1].file_id
    with pytest.raises(TelegramBadRequest, match="wrong file identifier"):
        await bot.send_photo(UID, "AgACunknown")
    with pytest.raises(TelegramBadRequest):
        await bot.send_media_group(UID, media[:1])
    with pytest.raises(TelegramBadRequest, match="IMAGE_PROCESS_FAILED"):
        await bot.send_photo(UID, BufferedInputFile(b"not an image", "x.jpg"))
    doc = await bot.send_document(UID, BufferedInputFile(b"a,b\n1,2\n", "report.csv"), caption="отчёт")
    assert doc.document.file_name == "report.csv" and doc.document.mime_type == "text/csv"
    with pytest.raises(TelegramBadRequest, match="can't use file of type Photo as Document"):
        await bot.send_document(UID, msgs[0].photo[-1].file_id)


async def test_edit_delete_and_callback_answers(fake, bot):
    msg = await bot.send_message(UID, "Выберите", reply_markup=kb("a", "b"))
    upd = fake.user_callback(UID, msg.message_id, "a")
    with pytest.raises(AssertionError, match="no button"):
        fake.user_callback(UID, msg.message_id, "zzz")
    query_id = upd["callback_query"]["id"]
    with pytest.raises(TelegramBadRequest, match="MESSAGE_TOO_LONG"):
        await bot.answer_callback_query(query_id, text="x" * 201)
    assert await bot.answer_callback_query(query_id, text="Готово")
    with pytest.raises(TelegramBadRequest, match="query is too old"):
        await bot.answer_callback_query(query_id)
    edited = await bot.edit_message_text("Выбрано: <b>a</b>", chat_id=UID, message_id=msg.message_id,
                                         parse_mode="HTML")
    assert edited.text == "Выбрано: a" and edited.reply_markup is None and edited.edit_date
    record = fake.last_message(UID)
    assert record["text"] == "Выбрано: <b>a</b>" and record["edits"][0][0] == "editMessageText"
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_text("Выбрано: <b>a</b>", chat_id=UID, message_id=msg.message_id,
                                    parse_mode="HTML")
    await bot.edit_message_reply_markup(chat_id=UID, message_id=msg.message_id, reply_markup=kb("c"))
    assert fake.messages[(UID, msg.message_id)]["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "c"
    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await bot.edit_message_text("x", chat_id=UID, message_id=999)
    assert await bot.delete_message(UID, msg.message_id)
    assert fake.last_message(UID)["deleted"]
    with pytest.raises(TelegramBadRequest, match="message to delete not found"):
        await bot.delete_message(UID, msg.message_id)
    await bot.send_chat_action(UID, "typing")
    with pytest.raises(TelegramBadRequest):
        await bot.send_chat_action(UID, "dancing")


async def test_commands(fake, bot):
    from aiogram.types import BotCommandScopeChat

    await bot.set_my_commands([BotCommand(command="start", description="Начать")])
    await bot.set_my_commands([BotCommand(command="admin", description="Админ")],
                              scope=BotCommandScopeChat(chat_id=UID))
    assert [c.command for c in await bot.get_my_commands()] == ["start"]
    assert [c.command for c in await bot.get_my_commands(scope=BotCommandScopeChat(chat_id=UID))] == ["admin"]
    with pytest.raises(TelegramBadRequest, match="BOT_COMMAND_INVALID"):
        await bot.set_my_commands([BotCommand(command="Bad-Command", description="x")])
    await bot.delete_my_commands()
    assert await bot.get_my_commands() == []
    assert await bot.close() and await bot.log_out()


async def test_webhook_delivery_retry_and_conflict(fake, bot):
    received, statuses = [], [500, 200, 200]

    async def hook(request: web.Request) -> web.Response:
        received.append((request.headers.get("X-Telegram-Bot-Api-Secret-Token"), await request.json()))
        return web.json_response({}, status=statuses.pop(0) if statuses else 200)

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}/hook"
    try:
        assert await bot.set_webhook(url, secret_token="s3cr3t", drop_pending_updates=True)
        with pytest.raises(TelegramConflictError):
            await bot.get_updates()
        first = fake.user_text(UID, "one")
        second = fake.user_text(UID, "two")
        await fake.wait_for(lambda: len([d for d in fake.webhook_deliveries if d["status"] == 200]) == 2)
        assert [d["status"] for d in fake.webhook_deliveries] == [500, 200, 200]
        assert [u["update_id"] for _, u in received] == [first["update_id"]] * 2 + [second["update_id"]]
        assert {secret for secret, _ in received} == {"s3cr3t"}
        info = await bot.get_webhook_info()
        assert info.url == url and info.pending_update_count == 0 and "500" in info.last_error_message
        assert await bot.delete_webhook()
        fake.user_text(UID, "three")
        assert [u.message.text for u in await bot.get_updates()] == ["three"]
    finally:
        await runner.cleanup()


async def test_dispatcher_polling_end_to_end(fake, bot):
    dp = Dispatcher()

    @dp.message()
    async def echo(message: Message) -> None:
        await message.answer(f"Эхо: <i>{message.text}</i>", parse_mode="HTML", reply_markup=kb("ok"))

    task = asyncio.create_task(dp.start_polling(bot, handle_signals=False, polling_timeout=1,
                                                close_bot_session=False))
    try:
        fake.user_text(UID, "привет")
        msgs = await fake.wait_messages(UID, 2)  # "/start" from the fixture and "привет"
        assert [m["plain"] for m in msgs] == ["Эхо: /start", "Эхо: привет"]
        assert fake.rejected == []
    finally:
        await dp.stop_polling()
        await asyncio.wait_for(task, 5)
    # the cancelled long poll is still parked in the fake; a new poller must not make it answer 409
    assert await bot.get_updates() == []
    assert fake.rejected == []


async def test_webhook_reply_with_method_is_executed(fake, bot):
    """aiogram's SimpleRequestHandler(handle_in_background=False) answers the webhook with a method."""
    from aiogram.webhook.aiohttp_server import SimpleRequestHandler

    dp = Dispatcher()

    @dp.message()
    async def reply_in_response(message: Message):
        return message.answer("ответ в теле вебхука", reply_markup=kb("ok"))

    app = web.Application()
    SimpleRequestHandler(dp, bot, handle_in_background=False, secret_token="tok").register(app, path="/wh")
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        await bot.set_webhook(f"http://127.0.0.1:{runner.addresses[0][1]}/wh", secret_token="tok",
                              drop_pending_updates=True)
        fake.user_text(UID, "hi")
        msgs = await fake.wait_messages(UID, 1)
        assert msgs[0]["text"] == "ответ в теле вебхука" and fake.rejected == []
        assert [d["status"] for d in fake.webhook_deliveries] == [200]
    finally:
        await runner.cleanup()


async def test_wait_for_timeout_is_helpful(fake, bot):
    await bot.send_message(UID, "something")
    with pytest.raises(AssertionError, match="timed out") as exc:
        await fake.wait_messages(UID, 5, timeout=0.2)
    assert "call sendMessage" in str(exc.value)
