"""Every error the API answers (400, 403, 404, 429), as the spec's {code, description} list in JSON and XML."""

from __future__ import annotations

import pytest

from tests.open311 import flow, schemas
from tests.open311.harness import FORM, new_key, open311_server

LONG = "Очень длинное описание проблемы. " * 70  # > 2,000 characters (ours), < 4,000 (the spec's)


async def expect(api, fmt: str, code_: int, needle: str, *, path: str | None = None, post: dict | None = None,
                 **params) -> None:
    if post is not None:
        got, data = await api.post(fmt, **post)
    elif fmt == "json":
        got, data = await api.get_json(path, **params)
    else:
        got, data = await api.get_xml(path, **params)
    if fmt == "json":
        schemas.check(data, schemas.ERRORS)
        code, description = data[0]["code"], data[0]["description"]
    else:
        assert data.tag == "errors" and [c.tag for c in data[0]] == ["code", "description"]
        code, description = int(data.findtext("error/code")), data.findtext("error/description")
    assert (got, code) == (code_, code_) and needle in description, (got, code, description)


@pytest.mark.parametrize("fmt", ["json", "xml"])
async def test_every_error(services, fmt):
    staff = await flow.make_staff(services)
    rejected = await flow.file_from_bot(services, "Реклама чего-то совсем постороннего здесь")
    await flow.reject(services, rejected)
    waiting = await flow.file_from_bot(services, "Не горит фонарь у школы номер 5 третий день")
    secret = await new_key(services, "k")
    revoked = await new_key(services, "gone")
    async with services.uow() as uow:
        from handlers import apikeys

        await apikeys.revoke(services, uow, "gone")
        await uow.commit()
    assert staff.org_id
    async with open311_server(services) as api:
        # 400: bad queries and forms, our own limits included
        await expect(api, fmt, 400, "90 days", path=f"requests.{fmt}", start_date="2026-01-01T00:00:00Z",
                     end_date="2026-06-01T00:00:00Z")
        await expect(api, fmt, 400, "start_date", path=f"requests.{fmt}", start_date="yesterday")
        await expect(api, fmt, 400, "time zone", path=f"requests.{fmt}", end_date="2026-01-01T00:00:00")
        await expect(api, fmt, 400, "status", path=f"requests.{fmt}", status="pending")
        await expect(api, fmt, 400, "service_code", path=f"requests.{fmt}", service_code="nope")
        await expect(api, fmt, 400, "page_size", path=f"requests.{fmt}", page_size="5000")
        for form, needle in (({**FORM, "service_code": ""}, "service_code: required"),
                             ({**FORM, "service_code": "unicorns"}, "unknown service"),
                             ({**FORM, "description": "яма"}, "at least 10"),
                             ({**FORM, "description": LONG}, "at most 2000 characters here"),
                             ({**FORM, "description": LONG * 2}, "at most 4000 characters (Open311)"),
                             ({**FORM, "lat": "55.75", "long": "37.61"}, "outside the region"),
                             ({**FORM, "long": ""}, "both or neither"),
                             ({**FORM, "lat": "north"}, "decimal number"),
                             ({k: v for k, v in FORM.items() if k not in ("lat", "long")}, "address_string"),
                             ({**FORM, "address_string": "x" * 400}, "address_string: 5-300"),
                             ({**FORM, "lat": "", "long": "", "address_string": "ул. Мира, 5",
                               "jurisdiction_id": "atlantis"}, "jurisdiction_id: unknown"),
                             ({**FORM, "media_url": "ftp://example.org/a.jpg"}, "media_url: only http")):
            await expect(api, fmt, 400, needle, post={"api_key": secret, **form})
        # 403: no key, a wrong key, a revoked key
        await expect(api, fmt, 403, "api_key", post=FORM)
        await expect(api, fmt, 403, "api_key", post={"api_key": "ar_wrong", **FORM})
        await expect(api, fmt, 403, "api_key", post={"api_key": revoked, **FORM})
        # 404: unknown or non-public things
        for hidden in (rejected, waiting):
            await expect(api, fmt, 404, "not found", path=f"requests/{await flow.number_of(services, hidden)}.{fmt}")
        await expect(api, fmt, 404, "not found", path=f"requests/2026-999999.{fmt}")
        await expect(api, fmt, 404, "no extra attributes", path=f"services/roads.{fmt}")
        await expect(api, fmt, 404, "unknown service", path=f"services/unicorns.{fmt}")
        await expect(api, fmt, 404, "unknown", path=f"tokens/no-such-token.{fmt}")
        await expect(api, fmt, 404, "no such Open311 resource", path=f"everything.{fmt}")
    async with services.uow() as uow:
        from sqlalchemy import func, select

        from storage.models import Signal

        assert await uow.session.scalar(select(func.count(Signal.id))) == 2  # no refused request was filed
