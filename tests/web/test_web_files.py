"""Generated files on the web chat: /stats charts and an admin's export arrive as signed same-origin links
that only the person they were sent to can open."""

from __future__ import annotations

import io

from PIL import Image

from bot.demo_data import generate
from handlers import roles
from handlers.charts import DPI, HEIGHT, WIDTH
from handlers.i18n import staff_text
from tests.web.harness import WebVisitor, web_instance
from tests.web.test_web_http import consent


async def test_charts_and_export_as_signed_links(services, db_url, tmp_path):
    async with web_instance(services, db_url, tmp_path) as instance, WebVisitor(instance) as staff, \
            WebVisitor(instance) as stranger:
        await consent(staff)
        async with services.uow() as uow:
            await generate(uow, 120, now=services.now(), tz=services.config.tz)
            await roles.grant(uow, f"web:{staff.peer_id}", "admin")
            await uow.commit()
        await staff.say("/stats")
        await staff.press(staff_text("staff-stats-period.a"))
        files = [f for m in await staff.messages() if m["from"] == "bot" for f in m.get("files", [])]
        assert len(files) == 3 and all(f["image"] for f in files)
        async with staff.http.get(staff.base + files[0]["url"]) as r:
            assert r.status == 200 and r.content_type == "image/png"
            assert Image.open(io.BytesIO(await r.read())).size == (WIDTH * DPI, HEIGHT * DPI)
        await consent(stranger)
        async with stranger.http.get(stranger.base + files[0]["url"]) as r:  # someone else's link
            assert r.status == 404
        async with staff.http.get(staff.base + files[0]["url"].replace("s=", "s=x")) as r:  # tampered
            assert r.status == 404

        await staff.say("/export 01.01.2020 31.12.2029 csv")
        [doc] = [f for m in await staff.messages() if m["from"] == "bot" for f in m.get("files", [])
                 if not f["image"]]
        async with staff.http.get(staff.base + doc["url"]) as r:
            assert r.status == 200 and "attachment" in r.headers["Content-Disposition"]
            body = (await r.read()).decode("utf-8-sig")
        assert body.splitlines()[0].startswith("id,number,detail") and len(body.splitlines()) == 121
