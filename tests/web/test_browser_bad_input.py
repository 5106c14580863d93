"""Bad input through the page in a real browser: HTML in text, a forged CSRF token, a foreign origin, an
over-size upload and a burst get the same clear answers as on the other channels; the chat embeds."""

from __future__ import annotations

from contextlib import asynccontextmanager

from aiohttp import web
from sqlalchemy import func, select

from handlers.i18n import t
from storage.models import InboxUpdate
from tests.web.browser import ChatPage
from tests.web.harness import free_port, web_instance

HOSTILE = '<img src=x onerror="alert(1)"><b>жирный</b> & <script>alert(2)</script>'


@asynccontextmanager
async def site(html: str):
    """A page on another origin (another port): a portal that embeds the chat, or a hostile one."""
    async def page(_request: web.Request) -> web.Response:
        return web.Response(text=html, content_type="text/html")

    app = web.Application()
    app.router.add_get("/", page)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


async def test_bad_input_in_the_browser(services, db_url, tmp_path, browser, backend):
    async with web_instance(services, db_url, tmp_path, web_rate_per_session=40) as instance:
        chat = await ChatPage.open(browser, instance.base_url)
        await chat.click("Согласен")
        await chat.say(HOSTILE)  # shown as the text it is; nothing runs, no element is made from it
        mine = chat.page.locator("#log li.msg--me").last
        assert await mine.inner_text() == HOSTILE
        assert await chat.page.locator("#log img, #log script").count() == 0 and chat.dialogs == []

        async def forge(route):
            await route.continue_(headers={**route.request.headers, "x-csrf-token": "forged"})

        await chat.page.route("**/web/api/send", forge)
        await chat.page.fill("#text", "/help")
        await chat.page.press("#text", "Enter")
        await chat.expect_text(t("ru", "web-csrf"))
        await chat.page.unroute("**/web/api/send")

        await chat.say("/new")
        await chat.click("Сыктывкар")
        await chat.click("Дороги")
        await chat.say("Разбит тротуар у школы № 3, дети ходят по проезжей части")
        await chat.attach([("huge.jpg", b"\xff\xd8\xff" + bytes(20 * 1024 * 1024 + 10), "image/jpeg")])
        await chat.expect_text(t("ru", "photo-bad"))  # as Telegram and VK answer a file over 20 MB
        await chat.screenshot(f"web-chat-bad-input-{backend}.png")

        answers = await chat.page.evaluate("""async () => {
            const s = await (await fetch('/web/api/session')).json();
            const send = (i) => fetch('/web/api/send', {method: 'POST', headers: {'X-CSRF-Token': s.csrf,
                'Content-Type': 'application/json'}, body: JSON.stringify({kind: 'text', text: 'флуд ' + i})});
            const out = [];
            for (let i = 0; i < 40; i++) { const r = await send(i); out.push([r.status, (await r.json()).error || '']); }
            return out;
        }""")
        assert {tuple(a) for a in answers if a[0] != 202} == {(429, t("ru", "too-fast"))}
        await chat.expect_text(t("ru", "too-fast"))  # the dialog's own flood gate, as on Telegram and VK
        assert chat.foreign_requests() == []


async def test_embedded_on_an_allowed_portal_and_refused_elsewhere(services, db_url, tmp_path, browser):
    port = free_port()
    async with site(f'<h1>Портал</h1><script src="http://127.0.0.1:{port}/web/embed.js" defer></script>') as portal:
        async with web_instance(services, db_url, tmp_path, web_allowed_origins=portal,
                                http_listen=f"127.0.0.1:{port}") as instance, site("<h1>Чужой сайт</h1>") as evil:
            page = await (await browser.new_context()).new_page()
            await page.goto(portal + "/")
            await page.get_by_role("button", name="Сообщить о проблеме").click()
            frame = page.frame_locator("iframe[title='Чат «Активный регион»']")
            await frame.locator("#log li", has_text="согласие").last.wait_for()  # the chat runs in the frame
            await frame.get_by_role("button", name="Согласен").last.click()
            await frame.locator("#log li", has_text="Спасибо").last.wait_for()

            other = await (await browser.new_context()).new_page()
            await other.goto(evil + "/")
            async with other.expect_response(lambda r: "/web/api/send" in r.url) as caught:
                await other.evaluate(f"""() => fetch('{instance.base_url}/web/api/send', {{method: 'POST',
                    mode: 'no-cors', credentials: 'include', headers: {{'Content-Type': 'text/plain'}},
                    body: JSON.stringify({{kind: 'text', text: '/forget'}})}})""")
            response = await caught.value
            assert response.status == 403  # (t("ru", "web-origin"); an opaque answer's body is not readable there)
            async with services.uow() as uow:
                stored = await uow.session.scalar(select(func.count(InboxUpdate.id)))
            assert stored == 2  # /start and the consent press from the portal; nothing from the other site
