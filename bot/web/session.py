"""Resolve the visitor of a request from its cookies, and give a new visitor their cookie."""

from __future__ import annotations

from aiohttp import web

from bot.web.guard import WebOptions
from bot.web.identity import COOKIE, PERSONA_COOKIE, PERSONAS, Visitor, new_cookie, peer_of, read_cookie

NEW_COOKIE = web.RequestKey("web_new_cookie", str)
COOKIE_DAYS = 365


def visitor(request: web.Request, key: bytes, options: WebOptions) -> Visitor | None:
    """The visitor named by the request's (or a just-issued) cookie; None without a valid one."""
    raw = request.get(NEW_COOKIE) or request.cookies.get(COOKIE)
    rid = read_cookie(key, raw)
    if rid is None:
        return None
    persona = request.cookies.get(PERSONA_COOKIE, "resident") if options.demo else "resident"
    if persona in PERSONAS:
        return Visitor(rid, PERSONAS[persona], persona)
    return Visitor(rid, peer_of(key, rid))


def ensure_cookie(request: web.Request, key: bytes) -> str | None:
    """On a page or session load without a valid cookie, issue one (set on the response later)."""
    if read_cookie(key, request.cookies.get(COOKIE)) is None:
        request[NEW_COOKIE] = new_cookie(key)
        return request[NEW_COOKIE]
    return None


def set_cookie(response: web.StreamResponse, name: str, value: str, options: WebOptions) -> None:
    response.set_cookie(name, value, max_age=COOKIE_DAYS * 86400, path="/", httponly=True,
                        samesite=options.cookie_samesite, secure=options.cookie_secure or None)
