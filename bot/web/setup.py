"""Wire the web channel into an instance: uploads area, channel, options and routes on its HTTP app."""

from __future__ import annotations

from aiohttp import web

from bot.config import Settings
from bot.metrics import Metrics
from bot.web.channel import WebChannel
from bot.web.guard import WebOptions
from bot.web.routes import WebRoutes
from bot.web.uploads import Uploads
from handlers.context import Services
from handlers.conversation import Conversation


def web_options(s: Settings, *, demo: bool = False) -> WebOptions:
    return WebOptions(allowed_origins=s.web_origins, public_url=s.web_public_url,
                      cookie_samesite=s.web_cookie_samesite,
                      cookie_secure=(s.web_public_url or "").startswith("https://"),
                      rate_per_session=s.web_rate_per_session, rate_per_ip=s.web_rate_per_ip, demo=demo)


def web_channel(s: Settings, services: Services, conversation: Conversation, metrics: Metrics,
                http: web.Application, *, demo: bool = False) -> WebChannel:
    channel = WebChannel(services, conversation, Uploads(s.media_dir / "web-uploads"), metrics=metrics)
    WebRoutes(channel, services, web_options(s, demo=demo)).add_to(http)
    return channel
