"""Start a platform channel without crashing the instance: an unreachable platform is retried with
backoff (the channel is "degraded" meanwhile), a rejected token stops that channel with one line."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

FIRST_TRY_SECONDS = 15.0


class TokenRejected(Exception):
    """The platform refused the credentials: retrying cannot help."""


@dataclass
class Plan:
    """How to start one channel: `begin` contacts the platform and starts it; `rejected` tells a refused
    token from anything else (network, 5xx: retried); `variable` names the setting to fix."""

    channel: Any
    begin: Callable[[], Awaitable[None]]
    rejected: Callable[[BaseException], bool]
    variable: str


class Supervisor:
    def __init__(self, on_rejected: Callable[[Any], None], *, base: float = 1.0, cap: float = 60.0) -> None:
        self.on_rejected = on_rejected
        self.base, self.cap = base, cap
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self, plan: Plan) -> None:
        """Try once (bounded in time); if the platform is unreachable, keep trying in the background."""
        try:
            if await asyncio.wait_for(self._attempt(plan, 0), FIRST_TRY_SECONDS):
                return
        except TimeoutError:
            self._degraded(plan, "no answer in time", 0)
        self._tasks.append(asyncio.create_task(self._retry(plan)))

    async def _attempt(self, plan: Plan, attempt: int) -> bool:
        """True when the channel started or was given up on; False to retry."""
        try:
            await plan.begin()
        except TokenRejected as exc:
            self._reject(plan, str(exc))
            return True
        except Exception as exc:  # noqa: BLE001  (classified below, never silently dropped)
            if plan.rejected(exc):
                self._reject(plan, f"{plan.variable}: {plan.channel.name} rejected the token ({_brief(exc)})")
                return True
            self._degraded(plan, _brief(exc), attempt)
            return False
        plan.channel.health = None
        if attempt:
            log.info("channel %s is up after %d retries", plan.channel.name, attempt)
        else:
            log.info("channel %s started", plan.channel.name)
        return True

    def _degraded(self, plan: Plan, why: str, attempt: int) -> None:
        plan.channel.health = "degraded"
        log.warning("channel %s: platform unreachable (%s); retrying in %.0fs, other channels keep running",
                    plan.channel.name, why, self._delay(attempt))

    def _reject(self, plan: Plan, message: str) -> None:
        plan.channel.health = "rejected"
        log.error("%s; this channel is stopped", message)
        self.on_rejected(plan.channel)

    def _delay(self, attempt: int) -> float:
        return min(self.cap, self.base * 2 ** attempt)

    async def _retry(self, plan: Plan) -> None:
        attempt = 0
        while True:
            await asyncio.sleep(self._delay(attempt) * random.uniform(0.8, 1.2))
            attempt += 1
            if await self._attempt(plan, attempt):
                return

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)


def _brief(exc: BaseException) -> str:
    """One short, secret-free phrase: the client libraries' messages name hosts, never tokens."""
    text = str(getattr(exc, "message", None) or exc or type(exc).__name__)
    text = text.removeprefix("HTTP Client says - ").split(" [", 1)[0]
    if "token" in text.lower() or "url:" in text.lower():  # never risk echoing a request URL or a secret
        text = type(exc).__name__
    return text if len(text) <= 120 else text[:117] + "..."
