"""vk_api wired for a community bot: API 5.199, in-memory config, rate, redirect, timeouts, bounded retries."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import jconfig
import requests
import vk_api
from requests.adapters import HTTPAdapter
from vk_api.exceptions import ApiError, ApiHttpError

from storage.images import MAX_INPUT_BYTES, BadImage

log = logging.getLogger(__name__)

API_VERSION = "5.199"
VK_API_HOSTS = ("https://api.vk.ru/", "https://api.vk.com/")
TIMEOUT = 30.0
RETRY_CODES = {6, 10}  # too many requests per second, internal server error
NETWORK_ERRORS = (requests.ConnectionError, requests.Timeout)


class RedirectAdapter(HTTPAdapter):
    """Send vk_api's hard-coded https://api.vk.ru/method/... to `{base}/method/...`; add a timeout."""

    def __init__(self, base_url: str) -> None:
        super().__init__()
        self.base = base_url.rstrip("/") + "/"

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        for host in VK_API_HOSTS:
            if request.url and request.url.startswith(host):
                request.url = self.base + request.url[len(host):]
                break
        kwargs["timeout"] = kwargs.get("timeout") or TIMEOUT
        return super().send(request, **kwargs)


def error_code(exc: BaseException) -> int | None:
    """VK's error_code of an API error, else None."""
    return exc.code if isinstance(exc, ApiError) else None


def http_status(exc: BaseException) -> int | None:
    return exc.response.status_code if isinstance(exc, ApiHttpError) else None


def is_transient(exc: BaseException) -> bool:
    """Worth retrying: error 6/10, HTTP 5xx, a timeout or a dropped connection."""
    return (error_code(exc) in RETRY_CODES or (http_status(exc) or 0) >= 500
            or isinstance(exc, NETWORK_ERRORS))


def describe(exc: BaseException) -> str:
    """A loggable description that never holds the request values (they carry the token and texts)."""
    if error_code(exc) is not None:
        return f"vk error {error_code(exc)}"
    if http_status(exc) is not None:
        return f"vk HTTP {http_status(exc)}"
    return type(exc).__name__


class VkClient:
    """One community token; every blocking call runs in a worker thread."""

    def __init__(self, token: str, api_url: str = "https://api.vk.ru", rps: float = 20.0, *,
                 attempts: int = 4, backoff: float = 0.25) -> None:
        self.vk = vk_api.VkApi(token=token, api_version=API_VERSION, config=jconfig.MemoryConfig)
        self.vk.RPS_DELAY = 1.0 / rps
        del self.vk.error_handlers[6]  # vk_api would sleep 0.5 s and retry forever; call() backs off instead
        adapter = RedirectAdapter(api_url)
        for host in VK_API_HOSTS:
            self.vk.http.mount(host, adapter)
        self.files = requests.Session()  # uploads and downloads (their URLs come from API answers)
        self.attempts = attempts
        self.backoff = backoff

    async def call(self, method: str, **params: Any) -> Any:
        """Call an API method; 6, 10, HTTP 5xx and network errors are retried with backoff, then raised."""
        values = {k: v for k, v in params.items() if v is not None}
        for attempt in range(1, self.attempts + 1):
            try:
                return await asyncio.to_thread(self.vk.method, method, values)
            except (ApiError, ApiHttpError, *NETWORK_ERRORS) as exc:
                if attempt == self.attempts or not is_transient(exc):
                    raise
                log.info("%s failed (%s), retry %d", method, describe(exc), attempt)
                await asyncio.sleep(self.backoff * 2 ** (attempt - 1))
        raise AssertionError("unreachable")

    async def upload(self, url: str, field: str, filename: str, data: bytes) -> dict[str, Any]:
        def post() -> dict[str, Any]:
            response = self.files.post(url, files={field: (filename, data)}, timeout=TIMEOUT)
            response.raise_for_status()
            return response.json()

        return await asyncio.to_thread(post)

    async def download(self, url: str, limit: int = MAX_INPUT_BYTES) -> bytes:
        def get() -> bytes:
            with self.files.get(url, timeout=TIMEOUT, stream=True) as response:
                response.raise_for_status()
                chunks, size = [], 0
                for chunk in response.iter_content(64 * 1024):
                    size += len(chunk)
                    if size > limit:
                        raise BadImage("file larger than 20 MB")
                    chunks.append(chunk)
                return b"".join(chunks)

        return await asyncio.to_thread(get)

    async def user_names(self, user_ids: list[int]) -> dict[int, str]:
        """Display names of users (empty on failure: a name is nice to have, never required)."""
        if not user_ids:
            return {}
        try:
            users = await self.call("users.get", user_ids=",".join(map(str, user_ids)))
        except (ApiError, ApiHttpError, *NETWORK_ERRORS) as exc:
            log.info("users.get failed: %s", describe(exc))
            return {}
        return {u["id"]: f"{u.get('first_name', '')} {u.get('last_name', '')}".strip() for u in users}

    def close(self) -> None:
        self.vk.http.close()
        self.files.close()
