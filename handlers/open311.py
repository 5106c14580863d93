"""Open311 GeoReport v2 on the product side: a filed request becomes a Draft and goes through submit_signal."""

from __future__ import annotations

import math
import secrets
from collections.abc import Mapping
from dataclasses import dataclass

from handlers.apikeys import Client
from handlers.cases.filing import Draft, Filed, submit_signal
from handlers.context import Services
from handlers.errors import DomainError
from handlers.normalize import clean_text
from storage.refcache import Place
from storage.region import distance_km
from storage.uow import UnitOfWork

CHANNEL = "open311"
SPEC_DESCRIPTION_MAX = 4000
# Our lifecycle as Open311 sees it: a signal is public once a moderator accepted it; rejected ones never are.
OPEN = ("in_progress", "answer_review", "answered")
CLOSED = ("closed",)
PUBLIC = OPEN + CLOSED
PUBLIC_STATUS = {status: "open" for status in OPEN} | {status: "closed" for status in CLOSED}


class BadRequest(DomainError):
    """The request is malformed or breaks one of our limits; the message names the field (an HTTP 400)."""


class Missing(DomainError):
    """The thing asked for does not exist or is not public (an HTTP 404)."""


@dataclass(frozen=True)
class Filing:
    token: str
    number: str
    signal_id: int


def _text(form: Mapping[str, str], name: str) -> str:
    value = form.get(name)
    return clean_text(value).strip() if isinstance(value, str) else ""


def _coordinate(form: Mapping[str, str], name: str) -> float | None:
    raw = _text(form, name)
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        raise BadRequest(f"{name}: expected a decimal number (WGS84), got {raw[:40]!r}") from None
    if not math.isfinite(value):
        raise BadRequest(f"{name}: expected a finite number")
    return value


def nearest(places: list[Place], lat: float, lon: float) -> Place:
    """The municipality whose centre is nearest, as the bot guesses it from a shared location."""
    return min(places, key=lambda m: distance_km(lat, lon, m.latitude, m.longitude))


async def to_draft(services: Services, uow: UnitOfWork, form: Mapping[str, str],
                   photo_ids: tuple[int, ...] = ()) -> Draft:
    """Validate a POST requests form with the bot's limits; the municipality comes from the coordinates
    (nearest centre, as in the bot), else from jurisdiction_id (a municipality code), else from a
    municipality or centre named in address_string."""
    cfg = services.config
    code = _text(form, "service_code")
    if not code:
        raise BadRequest("service_code: required")
    category = next((c for c in await uow.catalog.categories() if c.code == code), None)
    if category is None:
        raise BadRequest(f"service_code: unknown service {code[:64]!r} (see services.xml)")
    description = _text(form, "description")
    if len(description) > SPEC_DESCRIPTION_MAX:
        raise BadRequest(f"description: at most {SPEC_DESCRIPTION_MAX} characters (Open311)")
    if len(description) < cfg.description_min:
        raise BadRequest(f"description: at least {cfg.description_min} characters")
    if len(description) > cfg.description_max:
        raise BadRequest(f"description: at most {cfg.description_max} characters here, got {len(description)}")
    lat, lon = _coordinate(form, "lat"), _coordinate(form, "long")
    if (lat is None) != (lon is None):
        raise BadRequest("lat/long: give both or neither")
    address = " ".join(_text(form, "address_string").split()) or None
    if lat is None and address is None:
        raise BadRequest("lat/long or address_string: one of them is required")
    if address is not None and not 5 <= len(address) <= cfg.address_max:
        raise BadRequest(f"address_string: 5-{cfg.address_max} characters")
    places = await uow.catalog.municipalities()
    if lat is not None and lon is not None:
        if not services.region.bounds.contains(lat, lon):
            raise BadRequest(f"lat/long: outside the region ({services.region.name})")
        place = nearest(places, lat, lon)
    else:
        place = _named_place(places, _text(form, "jurisdiction_id"), address or "")
    return Draft(place.id, category.id, description, photo_ids, lat, lon, address)


def _named_place(places: list[Place], jurisdiction: str, address: str) -> Place:
    if jurisdiction:
        found = next((p for p in places if p.code == jurisdiction), None)
        if found is None:
            raise BadRequest(f"jurisdiction_id: unknown municipality code {jurisdiction[:64]!r}")
        return found
    folded = address.casefold()
    for place in places:
        if place.name.casefold() in folded or place.centre.casefold() in folded:
            return place
    raise BadRequest("address_string: name the town or district, or give jurisdiction_id (a municipality "
                     "code: " + ", ".join(p.code for p in places) + ") or lat/long")


async def file_request(services: Services, uow: UnitOfWork, client: Client, draft: Draft) -> Filing:
    """File as the bot does (same use case, moderation queue, moderator notifications), then record the key
    and a token. The key's identity files it but is no resident: it is not kept as the author and hears
    nothing through the outbox; the client polls tokens/ and requests/ instead."""
    author = await uow.users.get_or_create(CHANNEL, client.key_id)
    author.display_name = f"Open311: {client.name}"[:128]
    filed: Filed = await submit_signal(services, uow, author, draft)
    filings = uow.filings
    await filings.detach_author(filed.signal_id, author.id)
    token = secrets.token_urlsafe(24)
    await filings.record(filed.signal_id, client.key_id, token, services.now())
    return Filing(token, filed.number, filed.signal_id)


async def resolve_token(uow: UnitOfWork, token: str) -> str | None:
    """The public number once a moderator accepted the request; None while it waits for moderation."""
    found = await uow.filings.by_token(token) if 0 < len(token) <= 64 else None
    if found is None:
        raise Missing(f"token {token[:64]!r}: unknown")
    status, number = found
    if status == "rejected":
        raise Missing(f"token {token[:64]!r}: the request was not accepted by moderation")
    return number if status in PUBLIC else None
