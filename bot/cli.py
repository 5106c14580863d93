"""The `active-region` command: run the bot, manage the database, roles, organizations and routes."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence

from bot.config import ConfigError, load_settings

EXIT_CONFIG = 2


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="active-region", description="Active Region bot: web chat, Telegram and VK intake "
                                "for a regional citizen-feedback portal.")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser("run", help="start the configured channels and the notifier",
                         description="Start the web chat, Telegram and/or VK (whichever tokens are set) and "
                         "the notifier.")
    run.add_argument("--demo", action="store_true",
                     help="seed a demo organization, routes and staff, and add a persona switch to the web "
                     "chat (refused unless bound to loopback)")

    db = sub.add_parser("db", help="database: upgrade, seed, check").add_subparsers(dest="action", required=True)
    db.add_parser("upgrade", help="apply migrations up to the newest")
    db.add_parser("seed", help="load region reference data (idempotent)")
    db.add_parser("check", help="verify that models and migrations agree")
    cp = db.add_parser("copy", help="copy all data into another (empty) database, e.g. SQLite → PostgreSQL",
                       description="Copy every row from DATABASE_URL (or --source) into TARGET, "
                       "which is migrated first and must be empty.")
    cp.add_argument("target", help="e.g. postgresql+asyncpg://bot:secret@127.0.0.1/active_region")
    cp.add_argument("--source", help="defaults to DATABASE_URL")

    roles = sub.add_parser("roles", help="grant, revoke and list staff roles").add_subparsers(
        dest="action", required=True)
    for name in ("grant", "revoke"):
        r = roles.add_parser(name, help=f"{name} a role",
                             description="ROLE is executor, moderator or admin; WHO is channel:id, "
                             "e.g. telegram:123456789 or vk:987654.")
        r.add_argument("role", choices=["executor", "moderator", "admin"])
        r.add_argument("who", help="channel:id, e.g. telegram:123456789")
        r.add_argument("--org", help="organization name (executors belong to one or more)")
    roles.add_parser("list", help="list people with staff roles")

    orgs = sub.add_parser("orgs", help="answering organizations").add_subparsers(dest="action", required=True)
    add = orgs.add_parser("add", help="add an organization")
    add.add_argument("name")
    orgs.add_parser("list", help="list organizations")

    routes = sub.add_parser("routes", help="routing rules: municipality × category → organization")
    rsub = routes.add_subparsers(dest="action", required=True)
    rset = rsub.add_parser("set", help="route a municipality and category ('*' for all) to an organization")
    rset.add_argument("municipality", help="municipality name or '*'")
    rset.add_argument("category", help="category name or '*'")
    rset.add_argument("organization")
    rsub.add_parser("list", help="list routing rules")

    outbox = sub.add_parser("outbox", help="notifications: list failed ones, retry them").add_subparsers(
        dest="action", required=True)
    ol = outbox.add_parser("list", help="notifications by state (default: failed)")
    ol.add_argument("--failed", action="store_const", const="failed", dest="state", default="failed")
    ol.add_argument("--state", choices=["pending", "sending", "sent", "failed", "undeliverable"], dest="state")
    ol.add_argument("--limit", type=int, default=100)
    orr = outbox.add_parser("retry", help="queue failed notifications again (all, or the given ids)")
    orr.add_argument("ids", nargs="*", type=int)

    inbox = sub.add_parser("inbox", help="incoming updates: list poison ones set aside, queue them again")
    isub = inbox.add_subparsers(dest="action", required=True)
    il = isub.add_parser("failed", help="updates whose handling failed (newest first), with the error class")
    il.add_argument("--limit", type=int, default=50)
    ir = isub.add_parser("retry", help="put failed updates back in their person's queue (after a fix)")
    ir.add_argument("ids", nargs="+", type=int)

    keys = sub.add_parser("apikeys", help="Open311 API keys: add, revoke, list").add_subparsers(
        dest="action", required=True)
    ka = keys.add_parser("add", help="issue a key (printed once; only its hash is stored)")
    ka.add_argument("name", help="who uses it, e.g. 'portal website'")
    ka.add_argument("--rate", type=int, help="requests per minute (default OPEN311_KEY_RATE, 60)")
    kr = keys.add_parser("revoke", help="revoke a key: its requests get 403 from then on")
    kr.add_argument("name")
    keys.add_parser("list", help="keys with their rate, use and state (never the secret)")

    jobs = sub.add_parser("jobs", help="scheduled jobs: list them, run one now").add_subparsers(
        dest="action", required=True)
    jobs.add_parser("list", help="the scheduled jobs and when they run")
    jr = jobs.add_parser("run", help="run one job now (idempotent: a second run the same day adds nothing)")
    jr.add_argument("name", help="e.g. remind_due, overdue_list, digest, auto_close, followup, outbox_sweep")

    signals = sub.add_parser("signals", help="look at signals").add_subparsers(dest="action", required=True)
    sl = signals.add_parser("list", help="latest signals")
    sl.add_argument("--status", choices=["new", "rejected", "in_progress", "answer_review", "answered", "closed"])
    sl.add_argument("--limit", type=int, default=50)
    ss = signals.add_parser("show", help="one signal with its history")
    ss.add_argument("number", help="public number, e.g. 2026-000123")

    from bot import texts_cli

    texts_cli.add_parser(sub)

    from bot.export_cli import add_parsers

    add_parsers(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "texts":  # the catalogs only: no settings, no database
        from bot import texts_cli

        return texts_cli.run(args)
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"active-region: configuration error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    from bot.logs import configure

    configure(settings.log_level, settings.log_format)
    from bot import commands

    try:
        return asyncio.run(commands.dispatch(settings, args))
    except commands.UsageError as exc:
        print(f"active-region: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
