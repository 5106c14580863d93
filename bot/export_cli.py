"""`active-region export signals|opendata`, `stats refresh` and `demo-data N`: statistics from the command line."""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date
from pathlib import Path

from bot.config import Settings
from handlers.cases import exports as uc
from handlers.cases.stats import refresh_rollup
from handlers.context import Services

BAR = 30


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    export = sub.add_parser("export", help="export signals (CSV/XLSX) or open data (CSV)").add_subparsers(
        dest="action", required=True)
    es = export.add_parser("signals", help="one row per signal filed in a period",
                           description="One row per signal filed from --from to --to (local dates, inclusive): "
                           "FixMyStreet's columns and ours. Names and channel ids only with --with-personal-data.")
    es.add_argument("--from", dest="first", type=date.fromisoformat, required=True, help="YYYY-MM-DD")
    es.add_argument("--to", dest="last", type=date.fromisoformat, required=True, help="YYYY-MM-DD")
    es.add_argument("--format", choices=["csv", "xlsx"], default="csv")
    es.add_argument("--with-personal-data", action="store_true",
                    help="add the author's name, channel and id (152-ФЗ: only for an admin who needs them)")
    es.add_argument("-o", "--output", type=Path, help="file to write (default signals-FROM-TO.FORMAT)")
    eo = export.add_parser("opendata", help="monthly aggregates without personal data, for publication")
    eo.add_argument("-o", "--output", type=Path, default=Path("opendata.csv"))
    stats = sub.add_parser("stats", help="statistics rollup").add_subparsers(dest="action", required=True)
    stats.add_parser("refresh", help="bring the monthly rollup up to date (every past month the first time)")
    stats.add_parser("rebuild", help="rebuild the whole rollup (e.g. nightly: /forget deletes leave no event)")
    demo = sub.add_parser("demo-data", help="add N realistic generated signals (for a demo or the benchmark)")
    demo.add_argument("n", type=int)
    demo.add_argument("--seed", type=int, default=13)


def progress_bar(total: int, out=sys.stderr):  # type: ignore[no-untyped-def]
    """A callback drawing «[#####-----]  45 % 45 000 / 100 000» on one terminal line."""
    started = time.monotonic()

    def show(done: int) -> None:
        part = done / total if total else 1.0
        filled = int(BAR * part)
        out.write(f"\r[{'#' * filled}{'-' * (BAR - filled)}] {part:4.0%} {done:,} / {total:,} "
                  f"({time.monotonic() - started:.1f} s)".replace(",", " "))
        out.flush()
        if done >= total:
            out.write("\n")

    return show


async def run(settings: Settings, services: Services, args: argparse.Namespace) -> int:
    tz, now = services.config.tz, services.now()
    if args.command == "demo-data":
        from bot.demo_data import generate

        async with services.uow() as uow:
            n = await generate(uow, args.n, now=now, tz=tz, seed=args.seed, progress=progress_bar(args.n))
            await uow.commit()
        async with services.uow() as uow:
            months = await refresh_rollup(uow, tz, now)
            await uow.commit()
        print(f"generated {n} signals; statistics rollup: {months} months rebuilt")
        return 0
    if args.command == "stats":
        async with services.uow() as uow:
            if args.action == "rebuild":
                await uow.stats.forget_watermark()
            months = await refresh_rollup(uow, tz, now)
            await uow.commit()
        print(f"statistics rollup: {months} months rebuilt")
        return 0
    if args.action == "opendata":
        async with services.uow() as uow:
            data, rows = await uc.open_data(uow, tz, now)
            await uow.commit()
        args.output.write_bytes(data)
        print(f"{args.output}: {rows} rows")
        return 0
    if args.first > args.last:
        print("active-region: --from is after --to", file=sys.stderr)
        return 2
    output = args.output or Path(f"signals-{args.first:%Y%m%d}-{args.last:%Y%m%d}.{args.format}")
    today = now.astimezone(tz).date()
    async with services.uow() as uow:
        total = await uc.count_signals(uow, tz, args.first, args.last)
        bar = progress_bar(total) if total >= 10_000 and sys.stderr.isatty() else None
        rows = await uc.export_signals(uow, tz=tz, first=args.first, last=args.last, fmt=args.format, path=output,
                                       url=services.config.portal_signal_url, today=today,
                                       personal=args.with_personal_data, progress=bar)
    print(f"{output}: {rows} signals" + (" (with personal data)" if args.with_personal_data else ""))
    return 0
