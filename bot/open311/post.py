"""POST requests: an API key within its rate, the form checked, media_url fetched safely, then filed as the bot files."""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web

from bot.open311.media import MediaRefused, fetch_image
from bot.open311.render import error, respond
from bot.open311.routes import OPTIONS, SERVICES, api
from handlers import apikeys
from handlers.errors import Forbidden
from handlers.open311 import BadRequest, file_request, to_draft
from handlers.photos import store_photo
from storage.images import BadImage, sanitize

log = logging.getLogger(__name__)
NOTICE = "Обращение принято и ждёт модерации; номер появится в tokens/{token} после её прохождения."


@api
async def post_request(request: web.Request) -> web.Response:
    fmt = request.match_info["fmt"]
    services, options = request.app[SERVICES], request.app[OPTIONS]
    try:
        form = {k: v for k, v in (await request.post()).items() if isinstance(v, str)}
    except ValueError:
        return error(fmt, 400, "body: expected application/x-www-form-urlencoded")
    try:
        client = await apikeys.admit(services, form.get("api_key") or request.query.get("api_key"))
    except Forbidden as exc:
        return error(fmt, 403, str(exc))
    except apikeys.SlowDown as exc:
        return error(fmt, 429, str(exc), {"Retry-After": str(exc.retry_after)})
    async with services.uow() as uow:  # validate everything cheap before fetching anything
        await to_draft(services, uow, form)
    photo_ids: tuple[int, ...] = ()
    if media_url := form.get("media_url", "").strip():
        photo_ids = (await _photo(services, options.media, media_url),)
    async with services.uow() as uow:
        draft = await to_draft(services, uow, form, photo_ids)
        filing = await file_request(services, uow, client, draft)
        await uow.commit()
    log.info("open311: %s filed signal %s", client.name, filing.number)
    data = [{"token": filing.token, "service_notice": NOTICE.format(token=filing.token), "account_id": None}]
    return respond(fmt, "service_requests", "request", data)


async def _photo(services, policy, url: str) -> int:  # type: ignore[no-untyped-def]
    if len(url) > 2000:
        raise BadRequest("media_url: at most 2000 characters")
    try:
        raw = await fetch_image(url, policy)
        clean = await asyncio.to_thread(sanitize, raw, max_side=services.config.photo_max_side)
    except MediaRefused as exc:
        raise BadRequest(str(exc)) from None
    except BadImage:
        raise BadRequest("media_url: not an image we accept (JPEG, PNG or WebP)") from None
    return await store_photo(services, clean.data, clean.width, clean.height)
