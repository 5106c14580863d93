"""Municipality and category names in the reader's language (the region file's `names`; else the stored name)."""

from __future__ import annotations

from handlers.context import Services
from handlers.dialog import Turn


def named(services: Services, lang: str, key: str, stored: str) -> str:
    """`key` (municipality.<code>, category.<code>) in `lang`, or the stored (Russian) name."""
    return services.region.names.get(lang, {}).get(key, stored)


def _name(turn: Turn, key: str, stored: str) -> str:
    return named(turn.services, turn.lang, key, stored)


def municipality(turn: Turn, m) -> str:  # type: ignore[no-untyped-def]
    return _name(turn, f"municipality.{m.code}", m.name)


def category(turn: Turn, c) -> str:  # type: ignore[no-untyped-def]
    return _name(turn, f"category.{c.code}", c.name)


def category_in(services: Services, lang: str, c) -> str:  # type: ignore[no-untyped-def]
    """A category's name in `lang` outside a dialog turn (notifications)."""
    return named(services, lang, f"category.{c.code}", c.name)
