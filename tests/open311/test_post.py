"""POST requests: filed through the bot's use case, into the moderator's queue in the bot, answered, published
and closed, all visible through GET; tokens; per-key rate limits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from handlers.cases.jobs import auto_close
from handlers.i18n import t
from storage.models import ApiFiling, ApiKey, OutboxMessage, Signal
from tests.e2e.test_full_cycle import EXE, MOD, consent, setup_staff, wait_text, world
from tests.e2e.tg_harness import TgResident
from tests.open311 import schemas
from tests.open311.harness import FORM, new_key, open311_server


async def test_posted_request_is_moderated_answered_published_and_closed_in_the_bot(services):
    await setup_staff(services)
    secret = await new_key(services, "city system")
    async with world(services) as (tg, _vk, tg_env, _vk_env), open311_server(services) as api:
        mod, exe = TgResident(tg, tg_env, MOD, "Мария"), TgResident(tg, tg_env, EXE, "Иван")
        for person in (mod, exe):
            await consent(person)
        status, posted = await api.post(api_key=secret, **FORM, email="someone@example.org", first_name="Ольга")
        assert status == 200, posted
        schemas.check(posted, schemas.POSTED)
        token = posted[0]["token"]
        status, data = await api.get_json(f"tokens/{token}.json")
        assert status == 200 and data == [{"service_request_id": None, "token": token}]  # waits for moderation

        async with services.uow() as uow:
            signal = await uow.session.scalar(select(Signal))
            filing = await uow.session.get(ApiFiling, signal.id)
            key = await uow.session.get(ApiKey, filing.api_key_id)
        assert signal.source_channel == "open311" and key.name == "city system" and signal.author_id is None
        assert signal.municipality.name == "Сыктывкар" and signal.category.code == "roads"
        await wait_text(tg, MOD, f"Новое обращение №{signal.number}")  # the moderator was notified
        status, _ = await api.get_json(f"requests/{signal.number}.json")
        assert status == 404  # not public before moderation

        await mod.say("/queue")
        await mod.press(f"№{signal.number}")
        await mod.press(t("ru", "staff-btn-accept"))
        await mod.press("✅ Администрация")
        await wait_text(tg, EXE, signal.number)
        status, data = await api.get_json(f"tokens/{token}.json")
        assert data[0]["service_request_id"] == signal.number
        _, data = await api.get_json(f"requests/{signal.number}.json")
        assert data[0]["status"] == "open" and data[0]["status_notes"] is None
        assert data[0]["agency_responsible"] == "Администрация МО ГО «Сыктывкар»" and data[0]["expected_datetime"]

        await exe.say("/tasks")
        await exe.press(f"№{signal.number}")
        await exe.press(t("ru", "staff-btn-answer-button"))
        await exe.press("✖ Отказ с объяснением")
        await exe.say("Яма засыпана щебнем 3 июня, асфальт — до 20 июня.")
        await exe.press("Пропустить")
        await exe.press(t("ru", "staff-btn-submit"))
        await wait_text(tg, MOD, "ждёт проверки")
        _, data = await api.get_json(f"requests/{signal.number}.json")
        assert data[0]["status_notes"] is None  # under review: not published yet
        before = data[0]["updated_datetime"]

        await mod.say("/review")
        await mod.press(f"№{signal.number}")
        await mod.press(t("ru", "staff-btn-publish"))
        _, data = await api.get_json(f"requests/{signal.number}.json")
        assert data[0]["status"] == "open" and data[0]["status_notes"] == "Яма засыпана щебнем 3 июня, асфальт — до 20 июня."
        assert data[0]["updated_datetime"] >= before

        real_clock = services.clock
        services.clock = lambda: real_clock() + timedelta(days=15)
        assert await auto_close(services, after_days=14) == 1
        services.clock = real_clock
        _, data = await api.get_json(f"requests/{signal.number}.json")
        schemas.check(data, schemas.REQUESTS)
        assert data[0]["status"] == "closed" and data[0]["status_notes"].startswith("Яма засыпана")
        async with services.uow() as uow:  # the API client is nobody's chat: no notification is queued for it
            assert not list(await uow.session.scalars(select(OutboxMessage).where(OutboxMessage.channel == "open311")))


async def test_post_in_xml_with_an_address_and_a_jurisdiction(services):
    secret = await new_key(services)
    async with open311_server(services) as api:
        form = {"api_key": secret, "service_code": "housing", "description": "Нет горячей воды в доме третий день",
                "address_string": "Ухта, проспект Ленина, 1"}
        status, root = await api.post("xml", **form)
        assert status == 200 and root.tag == "service_requests" and root.find("request/token").text
        status, root = await api.post("xml", **{**form, "address_string": "ул. Мира, 5", "jurisdiction_id": "inta"})
        assert status == 200
        status, root = await api.post("xml", **{**form, "address_string": "ул. Мира, 5"})
        assert status == 400 and "jurisdiction_id" in root.findtext("error/description")
    async with services.uow() as uow:
        places = [s.municipality.name for s in await uow.session.scalars(select(Signal).order_by(Signal.id))]
    assert places == ["Ухта", "Инта"]


async def test_rate_limit_is_per_key(services):
    now = datetime(2026, 12, 1, 10, 0, 30, tzinfo=UTC)
    services.clock = lambda: now  # one fixed minute, so the window cannot roll over mid-test
    slow, other = await new_key(services, "slow", rate=2), await new_key(services, "other", rate=2)
    async with open311_server(services) as api:
        for _ in range(2):
            status, data = await api.post(api_key=slow, service_code="")
            assert status == 400  # counted, though refused
        status, data = await api.post(api_key=slow, **FORM)
        assert status == 429 and data[0]["code"] == 429 and "rate limit" in data[0]["description"]
        schemas.check(data, schemas.ERRORS)
        status, data = await api.post(api_key=other, **FORM)
        assert status == 200 and data[0]["token"]
        now += timedelta(seconds=60)  # the next minute: the slow key may file again
        status, data = await api.post(api_key=slow, **FORM)
        assert status == 200 and data[0]["token"]
    async with services.uow() as uow:
        assert len(list(await uow.session.scalars(select(Signal)))) == 2
