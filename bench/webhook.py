"""Webhook benchmark (issue 7): 1 vs 2 bot instances behind nginx on PostgreSQL, and the inbox's own cost.

    python -m bench.webhook                  # 200 residents per configuration (about 3 minutes)
    python -m bench.webhook --quick          # 40 residents
    python -m bench.webhook --residents 400 --instances 1,2

Each configuration is real `python -m bot run` processes in webhook mode (tests/e2e/multi.py's BotProcess)
on a fresh PostgreSQL database, behind real nginx with deploy/nginx.conf (Nginx). The fake Bot API
server delivers webhooks one at a time, so the residents' updates are POSTed to nginx directly, with
the secret header, by one client task per resident: closed loop, each step after the bot's reply to
the previous one (the text-and-button dialog, 9 updates, no photos). The fake records the replies.

The code has no switch to turn the inbox off, so its cost is measured in-process instead: the time the
channel spends in InboxProcessor.store / replied and the inbox queries (pending read, mark handled,
journal replies), per update, against the whole handling time, one resident at a time.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import tempfile
import time
from collections import Counter
from pathlib import Path

import aiohttp
from sqlalchemy import func, select, text

from bench.common import Databases, machine, make_services, own_cpu, pct, proc_cpu, tree_cpu
from bench.webhook_parts import STEPS, TOKEN, ReplyClock, inbox_cost, race_check
from storage.models import InboxUpdate, Signal
from tests.e2e.multi import SECRET, BotProcess, Nginx, free_port, nginx_binary

STEP_TIMEOUT = 120.0
MAX_CONNECTIONS = 40  # Telegram's default setWebhook max_connections: at most this many POSTs at once
POST_ATTEMPTS = 5  # like Telegram, a failed delivery (non-2xx, timeout) is tried again, here after 1 s


async def resident(fake: ReplyClock, http: aiohttp.ClientSession, url: str, n: int, out: dict,
                   think: float) -> None:
    uid = 30_000_000 + n
    for kind, arg, marker in STEPS:
        if think:
            await asyncio.sleep(think)
        update = fake.update_for(uid, kind, arg.format(n=n))
        future = asyncio.get_running_loop().create_future()
        fake.waiters[uid] = (marker, future)
        started = time.perf_counter()
        try:
            for attempt in range(1, POST_ATTEMPTS + 1):
                async with http.post(url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}) as resp:
                    await resp.read()
                if resp.status == 200:
                    break
                out["retries"][f"HTTP {resp.status}"] += 1
                if attempt == POST_ATTEMPTS:
                    out["errors"][f"HTTP {resp.status}"] += 1
                    return
                await asyncio.sleep(1.0)
            acked = time.perf_counter()
            done = await asyncio.wait_for(future, STEP_TIMEOUT)
        except (TimeoutError, aiohttp.ClientError) as exc:
            out["errors"][type(exc).__name__] += 1
            return
        out["ack"].append((acked - started) * 1000)
        out["reply"].append((done - started) * 1000)


def vm_hwm_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


async def configuration(instances: int, args: argparse.Namespace, dbs: Databases, nginx_bin: str,
                        tmp: Path) -> dict:
    residents = args.residents
    url = await dbs.postgresql()
    front, ports = free_port(), [free_port() for _ in range(instances)]
    work = tmp / f"x{instances}"
    (work / "nginx").mkdir(parents=True)
    async with ReplyClock(token=TOKEN) as fake:
        env = {"PATH": "/usr/bin:/bin", "HOME": str(work), "DATABASE_URL": url, "TELEGRAM_BOT_TOKEN": TOKEN,
               "TELEGRAM_API_URL": fake.base_url, "TELEGRAM_WEBHOOK_URL": f"http://127.0.0.1:{front}/telegram/webhook",
               "TELEGRAM_WEBHOOK_SECRET": SECRET, "MEDIA_DIR": str(work / "media"), "LOG_FORMAT": "json",
               "LOG_LEVEL": "WARNING", "MAX_MESSAGES_PER_MINUTE": "1000"}
        nginx = Nginx(nginx_bin, work / "nginx", front, ports if instances > 1 else ports * 2)
        bots = [BotProcess(f"bot{i}", port, env, work) for i, port in enumerate(ports)]
        nginx.start()
        try:
            for bot in bots:
                bot.start()
            await asyncio.gather(*(bot.healthy() for bot in bots))
            await fake.wait_for(lambda: sum(m == "setWebhook" for m, _ in fake.calls) >= instances, timeout=60)
            fake.webhook = None  # the benchmark POSTs to nginx itself; the fake must not deliver as well
            out: dict = {"ack": [], "reply": [], "errors": Counter(), "retries": Counter()}
            pg = dbs.postmaster_pid()
            cpu0 = ([proc_cpu(b.proc.pid) for b in bots], tree_cpu(pg), tree_cpu(nginx.proc.pid), own_cpu())
            started = time.perf_counter()
            connector = aiohttp.TCPConnector(limit=MAX_CONNECTIONS)
            async with aiohttp.ClientSession(connector=connector) as http:
                target = f"http://127.0.0.1:{front}/telegram/webhook"
                await asyncio.gather(*(resident(fake, http, target, n, out, args.think) for n in range(residents)))
            seconds = time.perf_counter() - started
            cpu = ([proc_cpu(b.proc.pid) - c for b, c in zip(bots, cpu0[0], strict=True)],
                   tree_cpu(pg) - cpu0[1], tree_cpu(nginx.proc.pid) - cpu0[2], own_cpu() - cpu0[3])
            rss = [vm_hwm_mb(b.proc.pid) for b in bots]
        finally:
            for bot in bots:
                bot.terminate()
            nginx.stop()
        check = await database_check(url, work)  # after the bots exit: their backends' statistics are flushed
    updates = len(out["reply"])
    return {"instances": instances, "updates": updates, "seconds": seconds, "rate": updates / seconds,
            "ack": [pct(out["ack"], q) for q in (50, 99)], "reply": [pct(out["reply"], q) for q in (50, 95, 99)],
            "cpu": cpu, "rss": rss, "errors": dict(out["errors"]), "retries": dict(out["retries"]),
            "rejected": len(fake.rejected), **check}


async def database_check(url: str, work: Path) -> dict:
    services = make_services(url, work / "check-media")
    try:
        async with services.uow() as uow:
            signals = await uow.session.scalar(select(func.count(Signal.id)))
            unhandled = await uow.session.scalar(
                select(func.count(InboxUpdate.id)).where(InboxUpdate.handled_at.is_(None)))
            dupes = await uow.session.scalar(select(func.count()).select_from(
                select(InboxUpdate.update_key).group_by(InboxUpdate.update_key).having(func.count() > 1).subquery()))
            xacts = await uow.session.scalar(text(
                "select xact_commit + xact_rollback from pg_stat_database where datname = current_database()"))
    finally:
        await services.db.dispose()
    return {"signals": signals, "unhandled": unhandled, "dupes": dupes, "xacts": xacts}


def report(args: argparse.Namespace, runs: list[dict], cost: dict | None) -> None:
    pause = f", {args.think:g} s pause before each step" if args.think else ", no pauses"
    print(f"\nWEBHOOK: {args.residents} residents x {len(STEPS)} updates per configuration, POSTed to nginx by "
          f"{args.residents} client tasks over at most {MAX_CONNECTIONS} connections (Telegram's default "
          f"max_connections; closed loop{pause}), PostgreSQL, one fresh database each")
    print(f"{'instances':>9} {'updates':>7} {'seconds':>7} {'upd/s':>6} {'vs 1':>5} {'ack p50/p99 ms':>15} "
          f"{'reply p50/p95/p99 ms':>21} {'CPU s: bots':>12} {'postgres':>8} {'nginx':>6} {'bench':>6} "
          f"{'bot RSS MB':>10}")
    base = next((r["rate"] for r in runs if r["instances"] == 1), None)
    for r in runs:
        bots, pg, ngx, own = r["cpu"]
        ratio = f"{r['rate'] / base:.2f}" if base else "-"
        print(f"{r['instances']:9d} {r['updates']:7d} {r['seconds']:7.1f} {r['rate']:6.1f} {ratio:>5} "
              f"{r['ack'][0]:7.0f}/{r['ack'][1]:<7.0f} {r['reply'][0]:7.0f}/{r['reply'][1]:.0f}/{r['reply'][2]:<6.0f}"
              f" {'+'.join(f'{c:.0f}' for c in bots):>12} {pg:8.1f} {ngx:6.1f} {own:6.1f} "
              f"{'/'.join(f'{m:.0f}' for m in r['rss']):>10}")
    print("  ack = POST (waiting for a free connection included) to nginx until its 200 (the update is stored); reply = POST until the fake receives the "
          "bot's answer. CPU s over the run: each bot process, the PostgreSQL server, nginx, and this process "
          "(the fake + clients). The machine has 2 cores for all of them.")
    for r in runs:
        print(f"  {r['instances']} instance(s): signals stored {r['signals']} of {args.residents}; unhandled inbox "
              f"rows {r['unhandled']}; duplicated update keys {r['dupes']}; POSTs retried {r['retries'] or 0}; "
              f"residents given up {r['errors'] or 0}; "
              f"API calls rejected by the fake {r['rejected']}; PostgreSQL transactions per update "
              f"{r['xacts'] / max(1, r['updates']):.1f} (whole run: start-up, pool pings and sweeps included)")
    if cost and "ops" in cost:
        print(f"\nINBOX COST (no switch turns the inbox off, so its own work is timed in-process: "
              f"{cost['updates']} updates, one resident at a time, PostgreSQL, channel.ingest called directly)")
        for name, (ms, calls) in cost["ops"].items():
            print(f"  {name:38} {ms:6.2f} ms per update  ({calls:.1f} calls per update)")
        share = cost["inbox_ms"] / cost["handling_ms"]
        print(f"  inbox total {cost['inbox_ms']:.2f} ms of {cost['handling_ms']:.2f} ms handling per update = "
              f"{share:.0%}; CPU-bound, an instance without it would handle at most about {1 / (1 - share):.2f}x "
              f"the updates/s")
        print(f"  transactions per update: {cost['tx']:.1f} ({cost['inbox_tx']:.1f} of them only for the inbox); "
              f"SQL statements per update: {cost['statements']:.1f}")
    race = (cost or {}).get("race")
    if race:
        print(f"\nTWO INSTANCES, one person: in-process, two channels (own pools) on one database, the same "
              f"{race['updates']} updates dealt to them in turn like nginx: {race.get('duplicate', 0)} "
              f"({race.get('duplicate', 0) / race['updates']:.0%}) were also taken by the other channel's drain, "
              f"which waited for the row lock and then found them handled (wasted turns)")


async def main_async(args: argparse.Namespace) -> None:
    nginx_bin = nginx_binary()
    dbs = Databases()
    tmp = Path(tempfile.mkdtemp(prefix="bench-webhook-"))
    runs: list[dict] = []
    cost = None
    try:
        if await dbs.postgresql() is None:
            print(f"PostgreSQL unavailable: {dbs.pg_problem}")
            return
        if nginx_bin is None:
            print("nginx not installed (apt-get install nginx): skipping the instance runs")
        else:
            for n in args.instances:
                result = await configuration(n, args, dbs, nginx_bin, tmp)
                runs.append(result)
                print(f"  {n} instance(s): {result['updates']} updates, {result['rate']:.1f}/s", flush=True)
        cost = await inbox_cost(dbs, tmp, args.inbox_residents) if args.inbox_residents > 0 else {}
        if 2 in args.instances:
            cost["race"] = await race_check(dbs, tmp, args.residents)
    finally:
        dbs.close()
        shutil.rmtree(tmp, ignore_errors=True)
    report(args, runs, cost)
    print(f"Machine at the end: {machine()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--residents", type=int, default=200, help="concurrent residents per configuration")
    parser.add_argument("--instances", default="1,2", help="configurations to run: 1, 2 or 1,2")
    parser.add_argument("--think", type=float, default=0.0, help="pause before each step (seconds; default none)")
    parser.add_argument("--inbox-residents", type=int, default=20, help="residents for the in-process inbox cost")
    parser.add_argument("--quick", action="store_true", help="40 residents, 5 for the inbox cost")
    args = parser.parse_args()
    if args.quick:
        args.residents, args.inbox_residents = 40, 5
    args.instances = [int(x) for x in args.instances.split(",") if x.strip()]
    if not set(args.instances) <= {1, 2}:
        parser.error("--instances: 1 and/or 2 (deploy/nginx.conf has two upstream servers)")
    print(f"webhook benchmark: instances {args.instances}, {args.residents} residents each; {machine()}", flush=True)
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
