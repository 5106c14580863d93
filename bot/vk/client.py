"""vk_api wired for a community bot: a pool of sessions sharing one request pace, execute batches, retries."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any

import jconfig
import requests
import vk_api
from requests.adapters import HTTPAdapter
from vk_api.exceptions import ApiError, ApiHttpError

from bot.vk.batch import MAX_CALLS, Call, NotRun, outcomes, resolve, script
from bot.vk.pace import RequestPace
from storage.images import MAX_INPUT_BYTES, BadImage

log = logging.getLogger(__name__)

API_VERSION = "5.199"
VK_API_HOSTS = ("https://api.vk.ru/", "https://api.vk.com/")
TIMEOUT = 30.0
RETRY_CODES = {6, 10}  # too many requests per second, internal server error
NETWORK_ERRORS = (requests.ConnectionError, requests.Timeout)
VK_ERRORS = (ApiError, ApiHttpError, *NETWORK_ERRORS)
SESSIONS = 4  # requests in flight at once; the pace, not this, sets the rate


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
    """Worth retrying: error 6/10, HTTP 5xx, a timeout, a dropped connection, a call execute never ran."""
    return (error_code(exc) in RETRY_CODES or (http_status(exc) or 0) >= 500
            or isinstance(exc, (*NETWORK_ERRORS, NotRun)))


def names(users: Any) -> dict[int, str]:
    """Display names from a users.get answer."""
    return {u["id"]: f"{u.get('first_name', '')} {u.get('last_name', '')}".strip()
            for u in users or [] if isinstance(u, dict) and "id" in u}


def describe(exc: BaseException) -> str:
    """A loggable description that never holds the request values (they carry the token and texts)."""
    if error_code(exc) is not None:
        return f"vk error {error_code(exc)}"
    if http_status(exc) is not None:
        return f"vk HTTP {http_status(exc)}"
    return type(exc).__name__


class PacedVkApi(vk_api.VkApi):
    """A VkApi whose every API request takes a slot of the shared pace instead of its own RPS_DELAY."""

    RPS_DELAY = 0.0

    def __init__(self, pace: RequestPace | None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.pace = pace

    def method(self, method: str, values: dict | None = None, **kwargs: Any) -> Any:  # type: ignore[override]
        if self.pace is not None:
            self.pace.wait()
        return super().method(method, values, **kwargs)


class VkClient:
    """One community token. API requests go through a small pool of vk_api sessions (each has its own
    lock, so replies to different residents go out side by side) that share one pace of `rps` requests
    per second; blocking calls run in worker threads. `vk` is the long poll's own session."""

    def __init__(self, token: str, api_url: str = "https://api.vk.ru", rps: float = 20.0, *,
                 attempts: int = 4, backoff: float = 0.25, sessions: int = SESSIONS) -> None:
        self.pace = RequestPace(rps)
        self.adapter = RedirectAdapter(api_url)
        self.vk = self._session(token, self.pace)  # paced inside its thread
        self.sessions: list[vk_api.VkApi] = [self._session(token, None) for _ in range(sessions)]
        self._free: asyncio.Queue[vk_api.VkApi] | None = None
        self.files = requests.Session()  # uploads and downloads (their URLs come from API answers)
        self.attempts = attempts
        self.backoff = backoff

    def _session(self, token: str, pace: RequestPace | None) -> vk_api.VkApi:
        vk = PacedVkApi(pace, token=token, api_version=API_VERSION, config=jconfig.MemoryConfig)
        del vk.error_handlers[6]  # vk_api would sleep 0.5 s and retry forever; we back off instead
        for host in VK_API_HOSTS:
            vk.http.mount(host, self.adapter)
        return vk

    async def _request(self, method: str, values: dict[str, Any], *, raw: bool = False) -> Any:
        """One HTTP request on a free pooled session, in its slot of the pace."""
        if self._free is None:  # created on first use: it belongs to the running loop
            self._free = asyncio.Queue()
            for session in self.sessions:
                self._free.put_nowait(session)
        session = await self._free.get()
        try:
            delay = self.pace.reserve()
            if delay > 0:
                await asyncio.sleep(delay)
            return await asyncio.to_thread(session.method, method, values, raw=raw)
        finally:
            self._free.put_nowait(session)

    async def call(self, method: str, **params: Any) -> Any:
        """Call an API method; 6, 10, HTTP 5xx and network errors are retried with backoff, then raised."""
        values = {k: v for k, v in params.items() if v is not None}
        for attempt in range(1, self.attempts + 1):
            try:
                return await self._request(method, values)
            except VK_ERRORS as exc:
                if attempt == self.attempts or not is_transient(exc):
                    raise
                log.info("%s failed (%s), retry %d", method, describe(exc), attempt)
                await asyncio.sleep(self.backoff * 2 ** (attempt - 1))
        raise AssertionError("unreachable")

    async def call_all(self, calls: Sequence[Call]) -> list[Any]:
        """Run `calls` in order: one plain request for a single call, else one `execute` per 25 calls;
        their results (None for a failed optional call). Transient failures are retried (a retried
        execute resends from the first required call that did not go through, the results of the calls
        before it filled in: messages.send dedupes by random_id anyway); the first failed required call is
        raised as an ApiError, as a direct call's would be; optional calls' failures are logged."""
        results: list[Any] = []
        known: dict[Call, Any] = {}  # results of the calls done, for the parameters built from them
        for start in range(0, len(calls), MAX_CALLS):
            chunk = list(calls[start:start + MAX_CALLS])
            done = await self._run(chunk, known)
            known.update(zip(chunk, done, strict=True))
            results += done
        return results

    async def _run(self, calls: list[Call], known: dict[Call, Any]) -> list[Any]:
        calls = resolve(calls, known)
        if len(calls) == 1 and not calls[0].then:
            try:
                return [await self.call(calls[0].method, **calls[0].params)]
            except VK_ERRORS as exc:
                if calls[0].required:
                    raise
                log.info("%s failed: %s", calls[0].method, describe(exc))
                return [None]
        results: list[Any] = []
        for attempt in range(1, self.attempts + 1):
            calls = resolve(calls, known)  # a retry starts after the calls done: fill their results in
            try:
                answer = await self._request("execute", {"code": script(calls)}, raw=True)
            except VK_ERRORS as exc:  # the request as a whole: HTTP, network, an execute-level error
                failed, error = 0, exc
            else:
                done = outcomes(self.vk, calls, answer)
                failed = next((n for n, (c, (_, e)) in enumerate(zip(calls, done, strict=True))
                               if e is not None and c.required), len(calls))
                for call, (result, e) in zip(calls[:failed], done[:failed], strict=True):
                    if e is not None:
                        log.info("%s failed: %s", call.method, describe(e))
                    results.append(result)
                    known[call] = result
                if failed == len(calls):
                    return results
                error = done[failed][1]
                assert error is not None
            if attempt == self.attempts or not is_transient(error):
                raise error
            log.info("execute failed (%s), retry %d", describe(error), attempt)
            calls = calls[failed:]  # what went through before the failure is not sent again
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
        except VK_ERRORS as exc:
            log.info("users.get failed: %s", describe(exc))
            return {}
        return names(users)

    @staticmethod
    def names_call(user_id: int) -> Call:
        """users.get for one person, to go with other calls (optional: a name is nice to have)."""
        return Call("users.get", {"user_ids": str(user_id)}, required=False)

    def close(self) -> None:
        for session in (self.vk, *self.sessions):
            session.http.close()
        self.files.close()
