"""Split long reply markup at paragraph, line, sentence or word boundaries (limits differ per channel)."""

from __future__ import annotations

import re

_TAG = re.compile(r"<(/?)([a-z]+)[^>]*>")


def _balanced(chunk: str) -> bool:
    depth: list[str] = []
    for closing, name in _TAG.findall(chunk):
        if closing:
            if not depth or depth[-1] != name:
                return False
            depth.pop()
        else:
            depth.append(name)
    return not depth


def split_text(text: str, limit: int) -> list[str]:
    """Pieces of at most `limit` characters, cut where a reader would expect and never inside a tag."""
    pieces: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        cut = _best_cut(rest, limit)
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        pieces.append(rest)
    return pieces


def _best_cut(text: str, limit: int) -> int:
    head = text[:limit]
    for separator in ("\n\n", "\n", ". ", "! ", "? ", "; ", ", ", " "):
        position = head.rfind(separator)
        while position > limit // 3:
            cut = position + len(separator.rstrip(" ")) if separator.strip() else position
            cut = max(cut, 1)
            if _balanced(text[:cut]) and not _inside_entity(text, cut):
                return cut
            position = head.rfind(separator, 0, position)
    cut = limit
    while cut > 1 and (_inside_entity(text, cut) or text[cut - 1] == "<"):
        cut -= 1
    return cut


def _inside_entity(text: str, cut: int) -> bool:
    """True when `cut` falls inside an HTML entity (&amp;) or a tag."""
    amp = text.rfind("&", max(0, cut - 8), cut)
    if amp != -1 and ";" not in text[amp:cut] and ";" in text[cut:cut + 8]:
        return True
    lt = text.rfind("<", 0, cut)
    return lt != -1 and text.rfind(">", 0, cut) < lt
