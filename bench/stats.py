"""Statistics at a million signals: /stats queries, charts and exports against a baseline in the same run.

    python -m bench.stats [--n 1000000] [--databases postgresql,sqlite] [--export-rows 100000]

Per database: generate N signals (bot/demo_data.py), build the monthly rollup, then time each /stats
report (year, all time; without and with a filter; week and 30 days; the residents' public figures) —
against the baseline of the same figures computed exactly from every row (no rollup) and, on
PostgreSQL, a bare `percentile_cont` median over all rows. Then charts, the XLSX/CSV export of about
--export-rows rows in a child process (time and peak RSS, also at a tenth of the rows: flat memory means
the same RSS), and one incremental rollup refresh after an old signal changed."""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import func, select, text

from bench.common import Databases, machine, make_services
from bot.demo_data import generate
from handlers.cases import stats as uc
from handlers.stats_period import resolve
from handlers.stats_view import _chart_inputs, draw
from storage.models import Signal
from storage.repos.stats import Filters

REPEAT = 5


async def timed(make, repeat: int = REPEAT) -> tuple[float, float]:
    """(median, max) milliseconds of `repeat` runs of the coroutine `make()` returns."""
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        await make()
        runs.append((time.perf_counter() - started) * 1000)
    return statistics.median(runs), max(runs)


def line(what: str, ms: tuple[float, float], baseline: float | None = None, target: float | None = None) -> str:
    out = f"  {what:<46} {ms[0]:9.1f} ms (max {ms[1]:8.1f})"
    if baseline:
        out += f"   baseline {baseline:9.1f} ms  ×{baseline / ms[0]:6.1f}"
    if target is not None:
        out += f"   target < {target:.0f} ms: {'met' if ms[1] < target else 'MISSED'}"
    return out


async def bench_database(kind: str, url: str, n: int, export_rows: int, workdir: Path) -> None:
    services = make_services(url, workdir / "media")
    tz, now = services.config.tz, services.now()
    today = now.astimezone(tz).date()
    target = 300.0 if kind == "postgresql" else 2000.0
    print(f"\n== {kind}: {n:,} signals".replace(",", " "))
    started = time.perf_counter()
    async with services.uow() as uow:
        await generate(uow, n, now=now, tz=tz)
        await uow.commit()
    print(f"  generated in {time.perf_counter() - started:.1f} s")
    if kind == "postgresql":
        async with services.uow() as uow:
            await uow.session.execute(text("ANALYZE"))
            await uow.commit()
    started = time.perf_counter()
    async with services.uow() as uow:
        months = await uc.refresh_rollup(uow, tz, now)
        await uow.commit()
    print(f"  rollup built: {months} months in {time.perf_counter() - started:.1f} s (once; then incremental)")

    async def report(period: str, filters: Filters = Filters()):
        async with services.uow() as uow:
            return await uc.report(uow, tz, now, *resolve(period, today), filters)  # type: ignore[misc]

    async def baseline(period: str, filters: Filters = Filters()):
        async with services.uow() as uow:
            first, last = resolve(period, today)  # type: ignore[misc]
            return await uc.raw_buckets(uow, tz, first, last, filters)

    async with services.uow() as uow:
        org = (await uow.catalog.organizations())[0].id
        mun = (await uow.catalog.municipalities())[0].id
    print("  /stats report (exact figures)                       median       max     every row, no rollup")
    for period, name in (("y", "year"), ("a", "all time")):
        base = (await timed(lambda p=period: baseline(p), 1))[0]
        print(line(f"{name}", await timed(lambda p=period: report(p)), base, target))
        for label, flt in (("organization", Filters(organization_id=org)), ("municipality", Filters(municipality_id=mun))):
            base = (await timed(lambda p=period, f=flt: baseline(p, f), 1))[0]
            print(line(f"{name}, one {label}", await timed(lambda p=period, f=flt: report(p, f)), base, target))
    for period, name in (("w", "7 days"), ("m", "30 days")):
        print(line(name, await timed(lambda p=period: report(p)), None, target))

    async def public():
        await report("m")
        await report("a")

    print(line("residents' /stats (30 days + all time)", await timed(public), None, 2 * target))
    if kind == "postgresql":
        async def naive():
            async with services.uow() as uow:
                await uow.session.scalar(select(func.percentile_cont(0.5).within_group(
                    func.extract("epoch", Signal.answered_at - Signal.accepted_at))))
        print(line("bare percentile_cont median, all rows", await timed(naive, 3)))

    whole = await report("a")
    async with services.uow() as uow:
        cat = uow.catalog
        names = {"m": {p.id: p.name for p in await cat.municipalities()},
                 "c": {k.id: k.name for k in await cat.categories()},
                 "o": {o.id: o.name for o in await cat.organizations()}}
    from handlers import charts

    inputs = _chart_inputs(whole, names)
    for name, fn, args in (("overview", charts.overview, inputs[:3]), ("organizations", charts.organizations, (inputs[3],)),
                           ("trend", charts.trend, (inputs[4],))):
        async def render(fn=fn, args=args):
            await asyncio.to_thread(fn, *args)
        print(line(f"chart: {name}", await timed(render), None, 300.0))
    print(line("all three charts (as /stats sends them)", await timed(lambda: draw(whole, names), 3)))

    # an old signal changes: the next report rebuilds its month only
    async with services.uow() as uow:
        sig = await uow.session.scalar(select(Signal).where(Signal.status == "closed").limit(1))
        sig.reopen_count += 1
        uow.signals.audit("reopened", signal_id=sig.id, actor_id=None)
        await uow.commit()

    async def refresh():
        async with services.uow() as uow:
            await uc.refresh_rollup(uow, tz, now)
            await uow.commit()
    print(line("incremental refresh (1 old month changed)", await timed(refresh, 1)))
    print(line("refresh with nothing changed", await timed(refresh)))
    await services.db.dispose()
    await bench_export(url, today, export_rows, workdir, tz)


async def _period_for(url: str, rows: int, tz) -> date:  # type: ignore[no-untyped-def]
    """The local day from which about `rows` signals were filed up to now."""
    from storage.db import Database

    db = Database(url)
    try:
        async with db.sessions() as s:
            cut = await s.scalar(select(Signal.created_at).order_by(Signal.created_at.desc())
                                 .offset(rows - 1).limit(1))
    finally:
        await db.dispose()
    return cut.astimezone(tz).date() if cut else date(2000, 1, 1)


async def bench_export(url: str, today: date, rows: int, workdir: Path, tz) -> None:  # type: ignore[no-untyped-def]
    for fmt in ("xlsx", "csv"):
        for count in (rows // 10, rows):
            first = await _period_for(url, count, tz)
            out = workdir / f"export-{count}.{fmt}"
            env = {"DATABASE_URL": url, "PATH": "/usr/bin:/bin", "MEDIA_DIR": str(workdir / "media")}
            started = time.perf_counter()
            res = await asyncio.to_thread(subprocess.run, [sys.executable, "-c", _CHILD, "export", "signals", "--from", first.isoformat(),
                                  "--to", (today + timedelta(days=1)).isoformat(), "--format", fmt, "-o", str(out)],
                                 capture_output=True, text=True, env=env)
            took = time.perf_counter() - started
            written = res.stdout.strip() or res.stderr.strip()[-200:]
            peak = [line for line in res.stderr.splitlines() if line.startswith("PEAK_RSS_KB ")]
            rss = f"peak RSS {int(peak[-1].split()[1]) / 1024:.0f} MB" if peak else "peak RSS unknown"
            print(f"  export {fmt:<4} {written:<60} {took:6.1f} s (incl. ~2 s start-up), {rss}, "
                  f"file {out.stat().st_size / 1e6:.1f} MB" if out.exists() else f"  export failed: {written}")


# the CLI in a child process that prints its own peak RSS (VmHWM) when it exits; getrusage's ru_maxrss
# would not do: Linux carries it over fork and exec from the parent, here the benchmark at a million rows
_CHILD = ("import atexit, re, sys, pathlib; atexit.register(lambda: print('PEAK_RSS_KB', re.search("
          "r'VmHWM:\\s+(\\d+)', pathlib.Path('/proc/self/status').read_text())[1], file=sys.stderr)); "
          "from bot.cli import main; sys.exit(main(sys.argv[1:]))")


async def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--n", type=int, default=1_000_000)
    p.add_argument("--databases", default="postgresql,sqlite")
    p.add_argument("--export-rows", type=int, default=100_000)
    args = p.parse_args()
    print(f"bench.stats — {machine()}")
    dbs = Databases()
    try:
        for kind in args.databases.split(","):
            url = await (dbs.postgresql() if kind == "postgresql" else dbs.sqlite())
            if url is None:
                print(f"\n== {kind}: skipped ({dbs.pg_problem})")
                continue
            await bench_database(kind, url, args.n, args.export_rows, dbs.dir)
    finally:
        dbs.close()


if __name__ == "__main__":
    asyncio.run(main())
