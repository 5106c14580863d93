"""Open311 GET routes (discovery, services, requests, tokens, photos) and the mounting of the whole API."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from aiohttp import web

from bot.open311.media import MediaPolicy
from bot.open311.render import error, respond
from handlers import open311_views as views
from handlers.context import Services
from handlers.errors import DomainError
from handlers.open311 import PUBLIC, BadRequest, Missing, resolve_token

PREFIX = "/open311/v2"
FMT = "{fmt:xml|json}"
SPEC = "http://wiki.open311.org/GeoReport_v2"


@dataclass(frozen=True)
class Open311Options:
    public_url: str | None = None  # https://portal.example.ru, when behind a proxy
    contact: str = ""
    key_service: str = ""
    media: MediaPolicy = field(default_factory=MediaPolicy)


SERVICES = web.AppKey("open311_services", Services)
OPTIONS = web.AppKey("open311_options", Open311Options)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def base_url(request: web.Request) -> str:
    configured = request.app[OPTIONS].public_url
    return configured.rstrip("/") if configured else str(request.url.origin())


def api(handler: Handler) -> Handler:
    """Domain errors become the spec's error list in the requested format (XML when unknown)."""

    async def wrapped(request: web.Request) -> web.StreamResponse:
        fmt = request.match_info.get("fmt", "xml")
        try:
            return await handler(request)
        except BadRequest as exc:
            return error(fmt, 400, str(exc))
        except Missing as exc:
            return error(fmt, 404, str(exc))
        except DomainError as exc:
            return error(fmt, 400, str(exc) or "bad request")

    return wrapped


@api
async def discovery(request: web.Request) -> web.Response:
    options, base = request.app[OPTIONS], base_url(request)
    data = {"changeset": "2026-12-01T00:00:00+00:00", "contact": options.contact, "key_service": options.key_service,
            "endpoints": [{"specification": SPEC, "url": f"{base}{PREFIX}", "changeset": "2026-12-01T00:00:00+00:00",
                           "type": "production", "formats": ["text/xml", "application/json"]}]}
    return respond(request.match_info["fmt"], "discovery", None, data)


@api
async def services_list(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    async with services.uow() as uow:
        data = await views.services_list(uow, services)
    return respond(request.match_info["fmt"], "services", "service", data)


@api
async def service_definition(request: web.Request) -> web.Response:
    async with request.app[SERVICES].uow() as uow:
        data = await views.service_definition(uow, request.match_info["code"])
    return respond(request.match_info["fmt"], "service_definition", None, data)


@api
async def requests_list(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    async with services.uow() as uow:
        listing = await views.parse_listing(uow, services, dict(request.query))
        data = await views.requests_list(uow, services, listing, base_url(request))
    return respond(request.match_info["fmt"], "service_requests", "request", data)


@api
async def one_request(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    async with services.uow() as uow:
        data = await views.one_request(uow, services, request.match_info["id"], base_url(request))
    return respond(request.match_info["fmt"], "service_requests", "request", data)


@api
async def token(request: web.Request) -> web.Response:
    async with request.app[SERVICES].uow() as uow:
        number = await resolve_token(uow, request.match_info["token"])
    data = [{"service_request_id": number, "token": request.match_info["token"]}]
    return respond(request.match_info["fmt"], "service_requests", "request", data)


async def photo(request: web.Request) -> web.Response:
    """A public signal's photo (already EXIF-free when stored)."""
    services = request.app[SERVICES]
    number, position = request.match_info["number"], int(request.match_info["position"])
    async with services.uow() as uow:
        key = await uow.public_signals.photo_key(number[:32], position, PUBLIC)
    if key is None:
        return error("xml", 404, "photo: not found")
    return web.Response(body=await services.media.get(key), content_type="image/jpeg",
                        headers={"Cache-Control": "public, max-age=86400", "X-Content-Type-Options": "nosniff"})


async def not_found(request: web.Request) -> web.Response:
    fmt = "json" if request.path.endswith(".json") else "xml"
    return error(fmt, 404, "no such Open311 resource: see discovery.xml")


def mount(app: web.Application, services: Services, options: Open311Options) -> None:
    from bot.open311.post import post_request

    app[SERVICES] = services
    app[OPTIONS] = options
    r = app.router
    r.add_get(f"{PREFIX}/discovery.{FMT}", discovery)
    r.add_get(f"{PREFIX}/services.{FMT}", services_list)
    r.add_get(f"{PREFIX}/services/{{code}}.{FMT}", service_definition)
    r.add_get(f"{PREFIX}/requests.{FMT}", requests_list)
    r.add_post(f"{PREFIX}/requests.{FMT}", post_request)
    r.add_get(f"{PREFIX}/requests/{{id}}.{FMT}", one_request)
    r.add_get(f"{PREFIX}/tokens/{{token}}.{FMT}", token)
    r.add_get(PREFIX + "/media/{number}/{position:[0-9]{1,2}}.jpg", photo)
    r.add_route("*", PREFIX + "/{tail:.*}", not_found)
