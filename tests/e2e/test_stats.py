"""/stats end to end on Telegram and VK: staff pick a period and a filter and get a summary with PNG charts;
residents get public figures only and cannot reach staff statistics, even with a button signed for them."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from bot.demo_data import generate
from handlers import roles
from handlers.callbacks import sign
from handlers.charts import DPI, HEIGHT, WIDTH
from handlers.i18n import staff_text, t
from tests.e2e.test_intake_scenarios import consent

MOD, RES = 8301, 8302
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


async def _world(env, n: int = 400):
    async with env.services.uow() as uow:
        await generate(uow, n, now=env.services.now(), tz=env.services.config.tz)
        await roles.grant(uow, f"{env.channel_name}:{MOD}", "moderator")
        await uow.commit()
    mod, resident = env.resident(MOD, "Мария"), env.resident(RES, "Иван")
    await consent(mod)
    await consent(resident)
    return mod, resident


def _pngs(env, person) -> list[bytes]:
    """The pictures the bot sent to `person` (the largest size on Telegram, the uploaded file on VK)."""
    if env.channel_name == "telegram":
        return [env.fake.file_bytes(m["photo"]) for m in person.messages if m.get("photo")]
    return [u["data"] for u in env.fake._uploads.values() if u["kind"] == "photo"]


async def test_staff_stats_with_charts_and_filters(env):
    mod, _ = await _world(env)
    await mod.say("/stats")
    assert staff_text("staff-stats-choose").replace("<b>", "").replace("</b>", "") in mod.last_text()
    before = mod.photos_received()
    await mod.press(staff_text("staff-stats-period.y"))
    summary = next(x for x in mod.texts() if x.startswith("Статистика ·"))
    assert "Подано:" in summary and "медиана" in summary and "Организации" in summary
    assert mod.photos_received() - before == 3  # overview, organizations, monthly trend
    pngs = _pngs(env, mod)
    assert len(pngs) == 3
    for png in pngs:
        assert png.startswith(PNG_MAGIC)
        assert Image.open(io.BytesIO(png)).size == (WIDTH * DPI, HEIGHT * DPI)

    await mod.press(staff_text("staff-stats-by-municipality"))
    await mod.press("Ухта")
    assert any(x.startswith("Статистика ·") and "· Ухта" in x for x in mod.texts()[-6:])


async def test_empty_period_says_so_without_charts(env):
    mod, _ = await _world(env, 50)
    await mod.say("/stats")
    await mod.press(staff_text("staff-stats-dates"))
    before = mod.photos_received()
    await mod.say("01.01.2001 – 31.12.2001")
    assert "обращений не было" in mod.last_text()
    assert mod.photos_received() == before
    await mod.press(staff_text("staff-stats-dates"))
    await mod.say("вчера и сегодня")
    assert "Не получилось прочитать даты" in mod.last_text()


async def test_resident_gets_public_figures_and_no_staff_statistics(env):
    _, resident = await _world(env, 120)
    await resident.say("/stats")
    text = resident.last_text()
    assert "в цифрах" in text and "За 30 дней" in text and "За всё время" in text
    assert resident.photos_received() == 0
    assert "Житель" not in text  # no names
    # a button signed for the resident themself, then a forged one: neither reaches staff figures
    for payload in ("st:a:", "sf:a:o:0", "sd:"):
        data = sign(env.services.signing_key, env.channel_name, RES, payload)
        msg = resident.messages[-1]
        await resident.press_data(msg["message_id"], data, check=False)
        assert t("ru", "stats-staff-only") in resident.last_text()
    await resident.press_data(resident.messages[-1]["message_id"], "st:a:|forged", check=False)
    assert not any(x.startswith("Статистика ·") or "Подано:" in x for x in resident.texts())
    assert resident.photos_received() == 0


@pytest.mark.parametrize("command", ["/export 01.01.2020 31.12.2030 csv", "/opendata"])
async def test_resident_cannot_export(env, command):
    _, resident = await _world(env, 20)
    await resident.say(command)
    assert not any(m.get("document") or "doc" in str(m.get("attachment") or "") for m in resident.messages)


async def test_admin_gets_export_and_open_data_documents(env):
    async with env.services.uow() as uow:
        await generate(uow, 150, now=env.services.now(), tz=env.services.config.tz)
        await roles.grant(uow, f"{env.channel_name}:{MOD}", "admin")
        await uow.commit()
    admin = env.resident(MOD, "Анна")
    await consent(admin)
    await admin.say("/export")
    assert "Выгрузка обращений" in admin.last_text()
    await admin.say("/export 01.01.2020 31.12.2029 csv")
    await admin.say("/opendata")

    def documents() -> list:
        if env.channel_name == "telegram":
            return [m["document"] for m in admin.messages if m.get("document")]
        return [a for m in admin.messages for a in (m["attachment"] or "").split(",") if a.startswith("doc")]

    assert len(documents()) == 2, admin.texts()[-4:]
    assert any("строк — 150" in x for x in admin.texts())
