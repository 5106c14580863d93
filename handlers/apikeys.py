"""Open311 API keys: issue, revoke, list, and admit a request (valid key, within its per-minute limit)."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from handlers.context import Services
from handlers.errors import DomainError, Forbidden, RateLimited
from storage.models import ApiKey
from storage.uow import UnitOfWork

NAME_MAX = 64
RATE_MAX = 10_000


@dataclass(frozen=True)
class Client:
    """The API client behind an admitted request."""

    key_id: int
    name: str


async def add(services: Services, uow: UnitOfWork, name: str, rate_per_minute: int) -> tuple[ApiKey, str]:
    """A new key; the secret is returned once and only its hash is stored."""
    name = " ".join(name.split())
    if not 0 < len(name) <= NAME_MAX:
        raise DomainError(f"key name: 1-{NAME_MAX} characters")
    if not 0 < rate_per_minute <= RATE_MAX:
        raise DomainError(f"rate: 1-{RATE_MAX} requests per minute")
    keys = uow.api_keys
    if await keys.named(name) is not None:
        raise DomainError(f"a key named {name!r} exists already")
    secret = "ar_" + secrets.token_urlsafe(32)
    return await keys.add(name, secret, rate_per_minute, services.now()), secret


async def revoke(services: Services, uow: UnitOfWork, name: str) -> ApiKey:
    key = await uow.api_keys.named(" ".join(name.split()))
    if key is None:
        raise DomainError(f"no key named {name!r}")
    if key.revoked_at is None:
        key.revoked_at = services.now()
    return key


async def listing(uow: UnitOfWork) -> Sequence[tuple[ApiKey, int]]:
    keys = uow.api_keys
    return [(key, await keys.filings_of(key.id)) for key in await keys.listing()]


class SlowDown(RateLimited):
    def __init__(self, retry_after: int) -> None:
        super().__init__(f"rate limit exceeded: try again in {retry_after} s")
        self.retry_after = retry_after


async def admit(services: Services, secret: str | None) -> Client:
    """Count the request against its key (its own transaction, committed even if the request then fails).

    Forbidden without a valid key; SlowDown once the key used up this minute's requests."""
    if not secret or len(secret) > 200:
        raise Forbidden("api_key: missing or invalid")
    now = services.now()
    async with services.uow() as uow:
        keys = uow.api_keys
        key = await keys.active(secret)
        if key is None:
            raise Forbidden("api_key: missing or invalid")
        client, rate = Client(key.id, key.name), key.rate_per_minute
        count = await keys.count_hit(key.id, now)
        await uow.commit()
    if count > rate:
        raise SlowDown(60 - now.second)
    return client
