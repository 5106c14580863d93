"""Protections in front of the web chat: origins, CSRF on every POST, rate limits, security headers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import urlparse

from aiohttp import web

from handlers.i18n import DEFAULT, t
from handlers.peers import FloodGate

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class WebOptions:
    allowed_origins: tuple[str, ...] = ()  # portal pages that may embed the chat
    public_url: str | None = None  # the chat's own public origin behind a proxy
    cookie_samesite: str = "Lax"
    cookie_secure: bool = False
    rate_per_session: int = 60  # POSTs per minute per browser session
    rate_per_ip: int = 300  # POSTs per minute per client address
    demo: bool = False


def error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status, headers={"Cache-Control": "no-store"})


def own_origin(request: web.Request, options: WebOptions) -> str:
    if options.public_url:
        parsed = urlparse(options.public_url)
        return f"{parsed.scheme}://{parsed.netloc}"
    return f"{request.scheme}://{request.host}"


def origin_allowed(request: web.Request, options: WebOptions) -> bool:
    """A browser names the page a POST comes from; only the chat itself and the configured portal pages
    may post. Requests without Origin (not from a browser page) still need the CSRF token."""
    origin = request.headers.get("Origin")
    if request.headers.get("Sec-Fetch-Site") == "cross-site" and origin is None:
        return False
    if origin is None:
        return True
    return origin == own_origin(request, options) or origin in options.allowed_origins


def security_headers(response: web.StreamResponse, options: WebOptions) -> None:
    ancestors = " ".join(("'self'", *options.allowed_origins))
    response.headers.setdefault("Content-Security-Policy", (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; "
        f"connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors {ancestors}"))
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Permissions-Policy", "geolocation=(self), camera=(), microphone=()")


class Limits:
    def __init__(self, options: WebOptions) -> None:
        self.session = FloodGate(options.rate_per_session)  # the dialog's own sliding window, per key
        self.ip = FloodGate(options.rate_per_ip)

    def allow(self, rid: str, address: str | None) -> bool:
        return self.ip.allow(address or "?") and self.session.allow(rid)


LOOPBACK = {"127.0.0.1", "::1"}


def client_address(request: web.Request) -> str:
    """The client's address; behind a proxy on this machine (nginx) the one it passes in X-Real-IP."""
    remote = request.remote or "?"
    if remote in LOOPBACK and request.headers.get("X-Real-IP"):
        return request.headers["X-Real-IP"][:64]
    return remote


def too_fast() -> web.Response:
    return error(429, t(DEFAULT, "too-fast"))
