"""Open311 options from Settings, and mounting the API on the instance's HTTP app."""

from __future__ import annotations

from ipaddress import ip_network

from aiohttp import web

from bot.config import Settings
from bot.open311.media import MediaPolicy
from bot.open311.routes import Open311Options, mount
from handlers.context import Services


def options(settings: Settings) -> Open311Options:
    networks = tuple(ip_network(n.strip()) for n in settings.open311_media_allow_networks.split(",") if n.strip())
    return Open311Options(
        public_url=settings.open311_public_url or settings.web_public_url, contact=settings.open311_contact,
        media=MediaPolicy(max_bytes=settings.open311_media_max_mb * 1024 * 1024, allowed_networks=networks))


def mount_open311(app: web.Application, services: Services, settings: Settings) -> None:
    mount(app, services, options(settings))
