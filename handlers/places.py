"""Municipality and category names in the reader's language (the region file's `names`; else the stored name)."""

from __future__ import annotations

from handlers.dialog import Turn


def _name(turn: Turn, key: str, stored: str) -> str:
    return turn.services.region.names.get(turn.lang, {}).get(key, stored)


def municipality(turn: Turn, m) -> str:  # type: ignore[no-untyped-def]
    return _name(turn, f"municipality.{m.code}", m.name)


def category(turn: Turn, c) -> str:  # type: ignore[no-untyped-def]
    return _name(turn, f"category.{c.code}", c.name)
