"""Signed button payloads: a payload only counts when pressed by the person it was sent to."""

from __future__ import annotations

import base64
import hashlib
import hmac

SEPARATOR = "|"
MAX_PAYLOAD_BYTES = 50  # 64-byte Telegram callback_data minus the signature


def _sig(key: bytes, channel: str, peer_id: int, payload: str) -> str:
    mac = hmac.new(key, f"{channel}:{peer_id}:{payload}".encode(), hashlib.sha256).digest()[:9]
    return base64.urlsafe_b64encode(mac).decode()


def sign(key: bytes, channel: str, peer_id: int, payload: str) -> str:
    if len(payload.encode()) > MAX_PAYLOAD_BYTES or SEPARATOR in payload:
        raise ValueError(f"payload {payload!r} is too long or contains {SEPARATOR!r}")
    return f"{payload}{SEPARATOR}{_sig(key, channel, peer_id, payload)}"


def verify(key: bytes, channel: str, peer_id: int, data: object) -> str | None:
    """The payload when `data` was signed for this peer, else None (forged, edited or replayed).

    Never raises: `data` comes from the platform as a modified client sent it (any characters, any type)."""
    if not isinstance(data, str):
        return None
    payload, sep, sig = data.rpartition(SEPARATOR)
    if not sep or not payload or len(payload) > MAX_PAYLOAD_BYTES:
        return None
    try:
        expected = _sig(key, channel, peer_id, payload)
    except UnicodeEncodeError:  # lone surrogates: not something we ever signed
        return None
    return payload if hmac.compare_digest(sig.encode("utf-8", "replace"), expected.encode()) else None
