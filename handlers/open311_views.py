"""What Open311 GETs show: services and public signals as plain dicts in the spec's field order, no personal data."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from handlers.context import Services
from handlers.i18n import t
from handlers.open311 import CLOSED, OPEN, PUBLIC, PUBLIC_STATUS, BadRequest, Missing
from storage.models import Signal
from storage.repos.open311 import PublicSignals, Query
from storage.uow import UnitOfWork

WINDOW = timedelta(days=90)
MAX_ROWS = 1000
MAX_IDS = 100


def moment(value: datetime | None, services: Services) -> str | None:
    """ISO 8601 with the offset of the region's time zone (W3C form, as the spec asks)."""
    return value.astimezone(services.config.tz).isoformat(timespec="seconds") if value else None


def due_moment(value: date | None, services: Services) -> str | None:
    """A due date as the end of that day in the region's time zone."""
    if value is None:
        return None
    return datetime.combine(value, time(23, 59, 59), services.config.tz).isoformat(timespec="seconds")


async def services_list(uow: UnitOfWork, services: Services) -> list[dict[str, Any]]:
    return [{"service_code": c.code, "service_name": c.name,
             "description": f"Обращения по теме «{c.name}» ({services.region.name})",
             "metadata": False, "type": "realtime", "keywords": ", ".join(c.name.casefold().split()),
             "group": services.region.name} for c in await uow.catalog.categories()]


async def service_definition(uow: UnitOfWork, code: str) -> dict[str, Any]:
    """No category asks extra questions yet, so every definition is a 404, as the spec says for
    services whose metadata is false."""
    known = any(c.code == code for c in await uow.catalog.categories())
    raise Missing(f"service_code {code[:64]!r}: " + ("has no extra attributes (metadata is false)"
                                                     if known else "unknown service"))


@dataclass(frozen=True)
class Listing:
    """A parsed GET requests query."""

    numbers: tuple[str, ...] | None
    query: Query


def parse_datetime(raw: str, name: str) -> datetime:
    try:
        value = datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
    except ValueError:
        raise BadRequest(f"{name}: expected a W3C date-time such as 2026-01-01T00:00:00Z") from None
    if value.tzinfo is None:
        raise BadRequest(f"{name}: give a time zone (Z or +03:00)")
    return value


def _int(raw: str | None, name: str, default: int, low: int, high: int) -> int:
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise BadRequest(f"{name}: a whole number {low}-{high}")
    return int(raw)


async def parse_listing(uow: UnitOfWork, services: Services, params: dict[str, str]) -> Listing:
    """Filters per the spec: service_request_id (overrides the rest), service_code, start_date/end_date
    (at most 90 days, the last 90 by default), status open|closed; page/page_size as an extension."""
    raw_ids = params.get("service_request_id", "").strip()
    now = services.now()
    page_size = _int(params.get("page_size"), "page_size", MAX_ROWS, 1, MAX_ROWS)
    page = _int(params.get("page"), "page", 1, 1, 1_000_000)
    if raw_ids:
        numbers = tuple(dict.fromkeys(n.strip() for n in raw_ids.split(",") if n.strip()))
        if len(numbers) > MAX_IDS:
            raise BadRequest(f"service_request_id: at most {MAX_IDS} ids")
        return Listing(numbers, Query(PUBLIC, now, now))
    start = parse_datetime(params["start_date"], "start_date") if params.get("start_date") else None
    end = parse_datetime(params["end_date"], "end_date") if params.get("end_date") else None
    end = end or (min(start + WINDOW, now) if start else now)
    start = start or end - WINDOW
    if start > end:
        raise BadRequest("start_date: after end_date")
    if end - start > WINDOW:
        raise BadRequest("start_date/end_date: at most 90 days apart")
    statuses: tuple[str, ...] = ()
    for word in filter(None, (s.strip() for s in params.get("status", "").split(","))):
        if word not in ("open", "closed"):
            raise BadRequest("status: open or closed")
        statuses += OPEN if word == "open" else CLOSED
    category_ids = None
    if params.get("service_code", "").strip():
        wanted = {c.strip() for c in params["service_code"].split(",")}
        known = {c.code: c.id for c in await uow.catalog.categories()}
        if unknown := sorted(wanted - set(known)):
            raise BadRequest(f"service_code: unknown service {unknown[0][:64]!r}")
        category_ids = tuple(known[c] for c in wanted)
    return Listing(None, Query(tuple(dict.fromkeys(statuses)) or PUBLIC, start, end, category_ids,
                               page_size, (page - 1) * page_size))


async def requests_list(uow: UnitOfWork, services: Services, listing: Listing, base_url: str) -> list[dict]:
    repo = uow.public_signals
    if listing.numbers is not None:
        rows = await repo.by_numbers(listing.numbers, PUBLIC)
    else:
        rows = await repo.page(listing.query)
    return await render_rows(repo, services, rows, base_url)


async def one_request(uow: UnitOfWork, services: Services, number: str, base_url: str) -> list[dict]:
    repo = uow.public_signals
    rows = await repo.by_numbers([number], PUBLIC) if len(number) <= 32 else []
    if not rows:
        raise Missing(f"service_request_id {number[:32]!r}: not found")
    return await render_rows(repo, services, rows, base_url)


async def render_rows(repo: PublicSignals, services: Services, rows: Sequence[Signal],
                      base_url: str) -> list[dict[str, Any]]:
    ids = [s.id for s in rows]
    answers, supporters, changes = (await repo.published_answers(ids), await repo.supporters(ids),
                                    await repo.last_changes(ids))
    return [{
        "service_request_id": s.number,
        "status": PUBLIC_STATUS[s.status],
        "status_notes": answers.get(s.id),
        "service_name": s.category.name,
        "service_code": s.category.code,
        "description": s.description,
        "agency_responsible": s.organization.name if s.organization else None,
        "service_notice": t("ru", f"status.{s.status}"),
        "requested_datetime": moment(s.created_at, services),
        "updated_datetime": moment(max(filter(None, (changes.get(s.id), s.created_at))), services),
        "expected_datetime": due_moment(s.due_on, services),
        "address": s.address,
        "address_id": None,
        "zipcode": None,
        "lat": s.latitude,
        "long": s.longitude,
        "media_url": f"{base_url}/open311/v2/media/{s.number}/0.jpg" if s.photos else None,
        "supporters": supporters.get(s.id, 0),
    } for s in rows]
