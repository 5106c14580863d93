"""Fetch a POSTed media_url without letting it reach inside: http(s) only, every address checked, pinned, bounded."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp.abc import AbstractResolver
from yarl import URL

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolve = Callable[[str, int], Awaitable[list[str]]]
IMAGE_TYPES = ("image/jpeg", "image/png", "image/webp")


class MediaRefused(Exception):
    """The URL or what it serves is not acceptable; the message is safe to show to the API client."""


@dataclass(frozen=True)
class MediaPolicy:
    max_bytes: int = 10 * 1024 * 1024
    max_redirects: int = 3
    timeout: float = 15.0
    # Networks let through despite being private: for tests on 127.0.0.1 only; empty by default.
    allowed_networks: tuple[Network, ...] = field(default_factory=tuple)


def forbidden(address: Address, allowed: Sequence[Network] = ()) -> bool:
    """Private, loopback, link-local, multicast, reserved, unspecified or otherwise not global."""
    if any(address in net for net in allowed):
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    if mapped is not None:
        return forbidden(mapped, allowed)
    return (not address.is_global or address.is_private or address.is_loopback or address.is_link_local
            or address.is_multicast or address.is_reserved or address.is_unspecified)


async def system_resolve(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


class Pinned(AbstractResolver):
    """aiohttp resolves the host to the address we checked, and nothing else (no second DNS answer)."""

    def __init__(self, host: str, address: Address) -> None:
        self.host, self.address = host, address

    async def resolve(self, host: str, port: int = 0, family: int = socket.AF_INET) -> list[dict[str, Any]]:
        if host != self.host:
            raise OSError(f"unexpected host {host}")
        fam = socket.AF_INET6 if self.address.version == 6 else socket.AF_INET
        return [{"hostname": host, "host": str(self.address), "port": port, "family": fam,
                 "proto": 0, "flags": socket.AI_NUMERICHOST}]

    async def close(self) -> None:
        return None


async def checked_address(url: URL, policy: MediaPolicy, resolve: Resolve) -> Address:
    if url.scheme not in ("http", "https") or not url.host:
        raise MediaRefused("media_url: only http:// and https:// addresses")
    if url.user or url.password:
        raise MediaRefused("media_url: credentials in the address are not accepted")
    try:
        addresses = [ipaddress.ip_address(url.host)]
    except ValueError:
        try:
            addresses = [ipaddress.ip_address(a.split("%")[0]) for a in await resolve(url.host, url.port or 80)]
        except (OSError, ValueError):
            raise MediaRefused("media_url: the host name does not resolve") from None
    if not addresses:
        raise MediaRefused("media_url: the host name does not resolve")
    if any(forbidden(a, policy.allowed_networks) for a in addresses):
        raise MediaRefused("media_url: points at a private, loopback or otherwise internal address")
    return addresses[0]


async def fetch_image(raw_url: str, policy: MediaPolicy, resolve: Resolve = system_resolve) -> bytes:
    """The body of an image at `raw_url`, following at most `max_redirects` redirects, each checked."""
    try:
        url = URL(raw_url.strip())
    except ValueError:
        raise MediaRefused("media_url: not a URL") from None
    for _ in range(policy.max_redirects + 1):
        address = await checked_address(url, policy, resolve)
        connector = aiohttp.TCPConnector(resolver=Pinned(url.host or "", address), use_dns_cache=False)
        timeout = aiohttp.ClientTimeout(total=policy.timeout)
        try:
            async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session, \
                    session.get(url, allow_redirects=False, headers={"Accept": ", ".join(IMAGE_TYPES)}) as resp:
                if resp.status in (301, 302, 303, 307, 308) and "Location" in resp.headers:
                    url = url.join(URL(resp.headers["Location"]))
                    continue
                return await _body(resp, policy)
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            raise MediaRefused(f"media_url: could not be fetched ({type(exc).__name__})") from None
    raise MediaRefused(f"media_url: more than {policy.max_redirects} redirects")


async def _body(resp: aiohttp.ClientResponse, policy: MediaPolicy) -> bytes:
    if resp.status != 200:
        raise MediaRefused(f"media_url: the server answered {resp.status}")
    if resp.content_type not in IMAGE_TYPES:
        raise MediaRefused(f"media_url: not an image (JPEG, PNG or WebP), got {resp.content_type[:60]}")
    if (resp.content_length or 0) > policy.max_bytes:
        raise MediaRefused(f"media_url: larger than {policy.max_bytes // (1024 * 1024)} MB")
    data = bytearray()
    async for chunk in resp.content.iter_chunked(64 * 1024):
        data.extend(chunk)
        if len(data) > policy.max_bytes:
            raise MediaRefused(f"media_url: larger than {policy.max_bytes // (1024 * 1024)} MB")
    return bytes(data)
