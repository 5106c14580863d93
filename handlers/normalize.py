"""Inputs cleaned before any dialog sees them, the same on every channel: control characters, Unicode form."""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import replace

from handlers.types import Command, Input, Location, Peer, Text, Unsupported

_SURROGATE = re.compile("[\ud800-\udfff]")
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # C0 and C1 except tab (\x09) and newline (\x0a)


def clean_text(text: str) -> str:
    """NFC text without NUL and other control characters (tab and newline kept, CR as newline);
    lone surrogates become U+FFFD. PostgreSQL and SQLite then store exactly the same thing."""
    text = _SURROGATE.sub("\ufffd", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return unicodedata.normalize("NFC", _CONTROL.sub("", text))


def clean_input(inp: Input) -> Input:
    if isinstance(inp, Text):
        text = clean_text(inp.text)
        return Text(text) if text.strip() else Unsupported("other")
    if isinstance(inp, Command):
        name = clean_text(inp.name)
        return Command(name, clean_text(inp.args)) if name else Unsupported("unknown_command")
    if isinstance(inp, Location):
        if not (math.isfinite(inp.lat) and math.isfinite(inp.lon)):
            return Unsupported("other")
    return inp


def clean_peer(peer: Peer) -> Peer:
    """Platform-supplied display names get the same treatment as texts."""
    if peer.display_name is None:
        return peer
    name = clean_text(peer.display_name).strip()
    return replace(peer, display_name=name or None)
