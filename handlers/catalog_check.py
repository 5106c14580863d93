"""Checks of the message catalogs (`active-region texts check`) and the reviewer's report (`texts review`)."""

from __future__ import annotations

import re
from pathlib import Path
from string import Formatter

from babel.messages.pofile import read_po

from handlers.i18n import DEFAULT, LANGUAGES, LOCALES, STAFF_PREFIX, catalog

LABEL_MAX = 40  # VK's limit for a button label (Telegram allows more)
LABEL_PREFIXES = ("btn-", "staff-btn-")  # ids of button labels
SAMPLE = "2026-000123"  # what a placeholder in a label stands for when its length is checked (a signal number)
TRUNCATED = {"organization"}  # label placeholders cut to fit by handlers/menus.label()
SOURCE = "ru: "  # the comment in a translation naming the Russian text it was made from
CODE = Path(__file__).resolve().parent.parent


def placeholders(text: str) -> set[str]:
    """The named fields of a str.format template (ValueError on a broken template)."""
    return {name.split(".")[0].split("[")[0] for _, name, _, _ in Formatter().parse(text) if name is not None}


def label_length(text: str) -> int:
    """A label's length with each placeholder filled by a typical value."""
    total = 0
    for literal, name, _, _ in Formatter().parse(text):
        total += len(literal)
        if name is not None and name not in TRUNCATED:
            total += len(SAMPLE)
    return total


def resident_facing(msg_id: str) -> bool:
    """Staff-only ids (staff-…) may stay Russian; every other id must be in every catalog."""
    return not msg_id.startswith(STAFF_PREFIX)


def problems() -> list[str]:
    """Everything wrong with the catalogs: missing or unknown ids, broken or differing placeholders,
    labels over 40 characters, ids the code never uses. Empty when all is well."""
    found: list[str] = []
    base = catalog(DEFAULT)
    for lang in LANGUAGES:
        messages = catalog(lang)
        for msg_id, text in messages.items():
            try:
                fields = placeholders(text)
            except ValueError as exc:
                found.append(f"{lang}: {msg_id}: broken template ({exc})")
                continue
            if msg_id not in base:
                found.append(f"{lang}: {msg_id}: not in the {DEFAULT} catalog (a typo or a stale entry)")
            elif fields != placeholders(base[msg_id]):
                found.append(f"{lang}: {msg_id}: placeholders {sorted(fields)} differ from {DEFAULT}'s "
                             f"{sorted(placeholders(base[msg_id]))}")
            if msg_id.startswith(LABEL_PREFIXES) and label_length(text) > LABEL_MAX:
                found.append(f"{lang}: {msg_id}: button label of {label_length(text)} characters "
                             f"(at most {LABEL_MAX}): {text!r}")
        found += [f"{lang}: {msg_id}: missing" for msg_id in base
                  if msg_id not in messages and resident_facing(msg_id)]
    found += [f"{DEFAULT}: {msg_id}: never used by the code" for msg_id in unused(base)]
    return found


def unused(messages: dict[str, str]) -> list[str]:
    """Ids no source file names, literally or by a prefix the code completes (f"status.{…}")."""
    source = "".join(p.read_text(encoding="utf-8") for folder in ("handlers", "bot")
                     for p in (CODE / folder).rglob("*.py"))
    prefixes = set(re.findall(r'f"([a-z][a-z0-9_.-]*[.-])\{', source))
    return [i for i in messages if f'"{i}"' not in source and not i.startswith(tuple(prefixes))]


def _flat(text: str) -> str:
    """A text as its «ru:» comment keeps it: newlines as \\n, whitespace runs as one space."""
    return " ".join(text.replace("\n", "\\n").split())


def translated_from(comments: list[str]) -> str | None:
    """The Russian a translation was made from: its «ru:» comment (Babel wraps long comments over lines)."""
    for start, comment in enumerate(comments):
        if comment.startswith(SOURCE):
            return _flat(" ".join([comment[len(SOURCE):], *comments[start + 1:]]))
    return None


def review(lang: str) -> dict[str, list[str]]:
    """For a reviewer of `lang`: ids not translated yet (resident-facing, then staff), entries whose Russian
    changed since they were translated (stale), and entries marked fuzzy."""
    base = catalog(DEFAULT)
    with (LOCALES / f"{lang}.po").open("rb") as f:
        po = read_po(f)
    entries = {m.id: m for m in po if m.id}
    stale, fuzzy = [], []
    for msg_id, m in entries.items():
        source = translated_from(m.auto_comments)
        if m.string and msg_id in base and source is not None and source != _flat(base[msg_id]):
            stale.append(msg_id)
        if m.fuzzy:
            fuzzy.append(msg_id)
    missing = [i for i in base if i not in entries or not entries[i].string]
    return {"untranslated": [i for i in missing if resident_facing(i)],
            "untranslated staff (Russian is shown)": [i for i in missing if not resident_facing(i)],
            "stale (the Russian changed since)": stale, "fuzzy": fuzzy}
