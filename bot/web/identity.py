"""Who is on the page: a long random id in a signed cookie, the peer id and CSRF token derived from it."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

COOKIE = "ar_sid"
PERSONA_COOKIE = "ar_persona"
CHANNEL = "web"
PEER_BITS = 56  # a 56-bit peer id fits the BIGINT columns and stays exact in JavaScript
_RID = re.compile(r"^[A-Za-z0-9_-]{43}$")
# Demo personas (only with `run --demo`): fixed identities that hold the staff roles.
PERSONAS = {"moderator": 1001, "executor": 1002}


def _mac(key: bytes, purpose: str, value: str, size: int = 16) -> str:
    digest = hmac.new(key, f"{purpose}:{value}".encode(), hashlib.sha256).digest()[:size]
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def new_cookie(key: bytes) -> str:
    rid = secrets.token_urlsafe(32)  # 256 random bits
    return f"{rid}.{_mac(key, 'sid', rid)}"


def read_cookie(key: bytes, value: str | None) -> str | None:
    """The random id when the cookie is ours and intact, else None."""
    rid, _, sig = (value or "").partition(".")
    if not _RID.match(rid) or not hmac.compare_digest(sig, _mac(key, "sid", rid)):
        return None
    return rid


def peer_of(key: bytes, rid: str) -> int:
    digest = hmac.new(key, f"peer:{rid}".encode(), hashlib.sha256).digest()
    return (int.from_bytes(digest[:8], "big") >> (64 - PEER_BITS)) | (1 << 20)  # never a demo persona id


def csrf_token(key: bytes, rid: str) -> str:
    return _mac(key, "csrf", rid, 24)


def csrf_ok(key: bytes, rid: str, given: str | None) -> bool:
    return hmac.compare_digest((given or "").encode(), csrf_token(key, rid).encode())


def media_sig(key: bytes, peer_id: int, photo_id: int) -> str:
    return _mac(key, "photo", f"{peer_id}:{photo_id}", 12)


def file_sig(key: bytes, peer_id: int, media_key: str, name: str, mime: str) -> str:
    """A generated file's link is good for the person it was sent to only (and that name and type)."""
    return _mac(key, "file", f"{peer_id}:{media_key}:{name}:{mime}", 16)


@dataclass(frozen=True)
class Visitor:
    """One browser: its random id, and the peer it currently speaks as (itself, or a demo persona)."""

    rid: str
    peer_id: int
    persona: str = "resident"
