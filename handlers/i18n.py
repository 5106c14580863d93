"""Messages by id in the person's language: t(lang, "msg-id", **params) over handlers/locales/<lang>.po."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from babel.messages.pofile import read_po

LOCALES = Path(__file__).with_name("locales")
DEFAULT = "ru"
LANGUAGES = ("ru", "kv")  # Russian and Komi (коми кыв); ISO 639-1 codes, as Telegram reports them
NAMES = {"ru": "Русский", "kv": "Коми кыв"}  # each language in itself: the chooser's labels
STAFF_PREFIX = "staff-"  # staff-only messages: Russian unless a language's catalog has them


class MissingMessage(KeyError):
    """Code asked for an id that the Russian catalog does not have (a typo or a forgotten entry)."""


@cache
def catalog(lang: str) -> dict[str, str]:
    """id → template of one language (read once per process; an empty or fuzzy entry counts as missing)."""
    path = LOCALES / f"{lang}.po"
    if not path.exists():
        return {}
    with path.open("rb") as f:
        po = read_po(f)
    return {m.id: m.string for m in po if m.id and isinstance(m.id, str) and m.string and not m.fuzzy}


def language(lang: str | None) -> str:
    """A supported language code; anything else is the default (Russian)."""
    return lang if lang in LANGUAGES else DEFAULT


def platform_language(code: str | None) -> str:
    """The language to start with when the platform reports `code` (Telegram's language_code): Komi for
    «kv…», Russian otherwise — Babel has no kv locale, so the choice is ours, stored with the person."""
    return "kv" if code and code.lower().replace("_", "-").split("-")[0] == "kv" else DEFAULT


def template(lang: str, msg_id: str) -> str:
    """The raw template: the language's entry, else the Russian one (staff ids, a catalog in progress)."""
    found = catalog(language(lang)).get(msg_id)
    if found is None:
        found = catalog(DEFAULT).get(msg_id)
        if found is None:
            raise MissingMessage(msg_id)
    return found


def t(lang: str, msg_id: str, **params: object) -> str:
    """The message `msg_id` in `lang` with named placeholders filled (values must be escaped already)."""
    text = template(lang, msg_id)
    return text.format(**params) if params else text


def staff_text(msg_id: str, **params: object) -> str:
    """A staff-only message (id `staff-…`): moderators, executors and admins read Russian — no other
    language has a staff catalog yet; when one has, pass the person's language to t() instead."""
    return t(DEFAULT, msg_id, **params)
