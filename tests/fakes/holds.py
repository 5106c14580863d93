"""Fault hook shared by the fakes: hold a request until the test releases it, or drop it if its client died."""

from __future__ import annotations

import asyncio

from aiohttp import web

GONE_CHECK = 0.05  # seconds between looks at a held request's socket (aiohttp does not wake a handler)


def client_gone(request: web.Request) -> bool:
    return request.transport is None or request.transport.is_closing()


async def hold(event: asyncio.Event, request: web.Request) -> bool:
    """Wait until ``event`` is set; False when the client went away first (a killed bot process): the
    platform never got that call, so the fake drops it instead of executing it later."""
    while not event.is_set():
        if client_gone(request):
            return False
        try:
            await asyncio.wait_for(event.wait(), GONE_CHECK)
        except TimeoutError:
            continue
    return not client_gone(request)
