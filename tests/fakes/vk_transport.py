"""Test-only: point a real ``vk_api.VkApi`` at a local fake instead of the real API host.

vk_api 11.x hard-codes ``https://api.vk.ru/method/{name}`` in ``VkApi.method`` (older releases used
``api.vk.com``).  We mount a ``requests`` transport adapter on ``vk_session.http`` that rewrites those
URLs to ``{base_url}/method/{name}``; nothing else in vk_api changes.  The long-poll server and upload
URLs need no redirect: vk_api takes them from the API answers, which the fake points at itself.

The application has its own production copy of this in ``bot/vk/``; this one only serves the fake's
self-tests.
"""

from __future__ import annotations

import requests
from requests.adapters import HTTPAdapter

VK_API_HOSTS = ("https://api.vk.ru/", "https://api.vk.com/")


class _RedirectAdapter(HTTPAdapter):
    def __init__(self, base_url: str) -> None:
        super().__init__()
        self._base = base_url.rstrip("/") + "/"

    def send(self, request: requests.PreparedRequest, **kwargs):  # type: ignore[override]
        for host in VK_API_HOSTS:
            if request.url and request.url.lower().startswith(host):
                request.url = self._base + request.url[len(host):]
                break
        kwargs["proxies"] = {}  # never send loopback traffic through an environment proxy
        return super().send(request, **kwargs)


def redirect_vk_api(vk_session, base_url: str) -> None:
    """Send every ``https://api.vk.ru/...`` request of ``vk_session.http`` to ``base_url`` instead."""
    adapter = _RedirectAdapter(base_url)
    for host in VK_API_HOSTS:
        vk_session.http.mount(host, adapter)
