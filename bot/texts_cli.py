"""`active-region texts`: check the message catalogs, report what a translator should look at, sync a catalog."""

from __future__ import annotations

import argparse

from babel.messages.pofile import read_po, write_po

from handlers.catalog_check import SOURCE, problems, resident_facing, review, translated_from
from handlers.i18n import DEFAULT, LANGUAGES, LOCALES, catalog


def add_parser(sub) -> None:  # type: ignore[no-untyped-def]
    texts = sub.add_parser("texts", help="message catalogs: check them, review a translation, sync it")
    tsub = texts.add_subparsers(dest="action", required=True)
    tsub.add_parser("check", help="fail on a missing id, differing placeholders, a label over 40 characters, "
                                  "an unused id")
    rv = tsub.add_parser("review", help="untranslated and stale messages of a language, for its reviewer")
    rv.add_argument("lang", nargs="?", default="kv", choices=[x for x in LANGUAGES if x != DEFAULT])
    rv.add_argument("--show", action="store_true", help="print the Russian and the translation of each")
    sy = tsub.add_parser("sync", help="add missing ids to a language's catalog as empty entries with their "
                                      "Russian; --accept marks reviewed entries as made from today's Russian")
    sy.add_argument("lang", choices=[x for x in LANGUAGES if x != DEFAULT])
    sy.add_argument("--accept", nargs="*", default=[], metavar="ID", help="ids whose translation was checked")


def run(args: argparse.Namespace) -> int:
    if args.action == "check":
        found = problems()
        for line in found:
            print(line)
        print(f"{len(found)} problem(s) in {', '.join(LANGUAGES)}" if found else "catalogs OK")
        return 1 if found else 0
    if args.action == "review":
        ru, own = catalog(DEFAULT), catalog(args.lang)
        for title, ids in review(args.lang).items():
            print(f"{title}: {len(ids)}")
            for msg_id in ids:
                print(f"  {msg_id}")
                if args.show:
                    print(f"    ru: {ru.get(msg_id, '')!r}\n    {args.lang}: {own.get(msg_id, '')!r}")
        return 0
    return sync(args.lang, set(args.accept))


def sync(lang: str, accept: set[str]) -> int:
    """Missing resident-facing ids become empty entries (the check keeps failing until they are translated);
    accepted ids get today's Russian as their «ru:» comment."""
    path = LOCALES / f"{lang}.po"
    with path.open("rb") as f:
        po = read_po(f)
    ru = catalog(DEFAULT)
    added = 0
    for msg_id, text in ru.items():
        if resident_facing(msg_id) and msg_id not in po:
            po.add(msg_id, "", auto_comments=[SOURCE + text.replace("\n", "\\n")])
            added += 1
    for msg_id in accept:
        if msg_id in po and msg_id in ru:
            po[msg_id].auto_comments = [SOURCE + ru[msg_id].replace("\n", "\\n")]
            po[msg_id].flags.discard("fuzzy")
    with path.open("wb") as f:
        write_po(f, po, width=0, no_location=True)
    print(f"{path.name}: {added} id(s) added, {len(accept & set(ru))} accepted")
    stale = [m.id for m in po if m.id in ru and translated_from(m.auto_comments) is None]
    if stale:
        print(f"entries without a «ru:» comment: {', '.join(stale)}")
    return 0
