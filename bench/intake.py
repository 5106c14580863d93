"""Intake benchmark: N residents file a signal (with a photo) concurrently; each channel x database vs an echo bot.

    python -m bench.intake                    # 500 residents scaled x0.2 = 100; Telegram + VK; SQLite + PostgreSQL
    python -m bench.intake --scale 1          # all 500 residents (about 20 minutes on 2 cores)
    python -m bench.intake --quick            # 30 residents (about 2 minutes)
    python -m bench.intake --channels telegram --databases sqlite --residents 200 --scale 1

Every resident walks the whole dialog (10 updates: /start, consent, /new, municipality, category,
description, a photo, «Готово», a shared location, «Отправить») through the real channel (aiogram /
vk_api over HTTP) against the in-process fake server. Each scenario runs in its own process (so peak
RSS is its own): first SATURATED (all residents at once, no pauses: the throughput), then PACED
(residents pause between steps so the offered load is --paced-load of that bot's own saturated rate:
the latency). The ceiling is a bare echo bot on the same fake in the same run: aiogram Dispatcher
polling FakeTelegram; a synchronous vk_api long-poll loop for FakeVK.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import logging
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, select

from bench.common import Databases, machine, make_services, own_cpu, pct, peak_rss_mb, tree_cpu
from bench.intake_bots import (
    BenchTelegram,
    Run,
    TgEchoResident,
    TgIntakeResident,
    Tracker,
    VkEcho,
    VkEchoResident,
    VkIntakeResident,
    intake_steps,
    tg_echo,
    walk,
)
from bench.intake_profile import PartTimer
from bench.intake_report import report
from bot.telegram.channel import TelegramChannel, make_bot
from bot.vk.channel import VkChannel
from bot.vk.client import VkClient
from handlers.conversation import Conversation
from storage.models import InboxUpdate, Signal
from tests.fakes.vk_server import FakeVK
from tests.images import jpeg_with_gps

ROOT = Path(__file__).resolve().parents[1]
TG_TOKEN, VK_TOKEN, VK_GROUP = "123456:BENCH-INTAKE", "vk-bench-intake", 77
PACED_THINK = 1.5  # mean pause between a paced resident's steps (seconds), before capping residents
CHILD_TIMEOUT = 1800
PROFILE_RESIDENTS = 10  # walked one at a time, after the paced phase, to time each part of an update
# requests of their own for a reply's photo not yet on VK (the save now rides in the reply's execute)
UPLOAD_METHODS = {"photos.getMessagesUploadServer", "photos.saveMessagesPhoto"}


class GcPauses:
    """Full (generation 2) garbage collections while measuring, and how long each paused the loop."""

    def __init__(self) -> None:
        self.pauses: list[float] = []
        self._started = 0.0
        gc.callbacks.append(self._callback)

    def _callback(self, phase: str, info: dict) -> None:
        if info["generation"] != 2:
            return
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.pauses.append((time.perf_counter() - self._started) * 1000)


def hold_aiogram_generics() -> list:
    """WHAT-IF: keep aiogram's Response[...] models alive so pydantic's weak cache cannot drop them."""
    from aiogram.methods.base import Response
    from aiogram.types import File, Message, Update

    return [Response[t] for t in (Message, bool, File, list[Update])]


def make_photos(first_id: int, count: int, side: int) -> list[bytes]:
    """A distinct JPEG (with GPS EXIF) per resident, side x 3/4 side like a phone photo Telegram resized."""
    size = (side, side * 3 // 4)
    return [jpeg_with_gps(color=(n % 256, (n // 256) % 256, (n // 65536) % 256), size=size)
            for n in range(first_id, first_id + count)]


async def phase(fake, run: Run, cls, first_id: int, count: int, side: int, think: float) -> dict:  # type: ignore[no-untyped-def]
    photos = await asyncio.to_thread(make_photos, first_id, count, side)
    rng = random.Random(first_id)
    residents = [cls(fake, run, first_id + i) for i in range(count)]
    first_sample, calls, first_send = len(run.samples), len(fake.calls), len(run.sends)

    async def one(i: int, r) -> bool:  # type: ignore[no-untyped-def]
        if think:
            await asyncio.sleep(rng.uniform(0, think))
        return await walk(r, intake_steps(r, first_id + i, photos[i]), think, rng)

    cpu, started = own_cpu(), time.perf_counter()
    done = await asyncio.gather(*(one(i, r) for i, r in enumerate(residents)))
    seconds = time.perf_counter() - started
    samples = run.samples[first_sample:]
    uploads = sum(m in UPLOAD_METHODS for m, _ in fake.calls[calls:])
    return {"residents": count, "completed": sum(done), "updates": len(samples), "seconds": seconds,
            "rate": len(samples) / seconds, "cpu_ms": (own_cpu() - cpu) * 1000 / max(1, len(samples)),
            "api_calls": (len(fake.calls) - calls) / max(1, len(samples)),
            "api_uploads": uploads / max(1, len(samples)), "samples": samples, "sends": run.sends[first_send:]}


def time_sends(renderer, out: list[float]) -> None:  # type: ignore[no-untyped-def]
    """Record how long each turn's send takes on the platform (first request to last answer, uploads included)."""
    send = renderer.send

    async def timed(*args, **kwargs):  # type: ignore[no-untyped-def]
        started = time.perf_counter()
        try:
            return await send(*args, **kwargs)
        finally:
            out.append(time.perf_counter() - started)

    renderer.send = timed


def summarize(result: dict, inbox: dict[str, tuple[float, float]]) -> dict:
    samples = result.pop("samples")
    sends = [s * 1000 for s in result.pop("sends")]
    result["send"] = (pct(sends, 50), pct(sends, 99)) if sends else None
    ms = [s.latency * 1000 for s in samples]
    result["latency"] = {q: pct(ms, q) for q in (50, 95, 99)} | {"max": max(ms, default=float("nan"))}
    kinds: dict[str, list[float]] = {}
    for s in samples:
        kinds.setdefault(s.kind, []).append(s.latency * 1000)
    result["kinds"] = {k: (pct(v, 50), pct(v, 99)) for k, v in kinds.items()}
    parts: dict[str, list[float]] = {"fetch": [], "queue": [], "turn": []}
    for s in samples:
        if s.key in inbox:
            received, handled = inbox[s.key]
            parts["fetch"].append((received - s.pushed) * 1000)
            parts["queue"].append((handled - received) * 1000)
            parts["turn"].append((s.pushed + s.latency - handled) * 1000)
    result["inbox"] = {k: (pct(v, 50), pct(v, 99)) for k, v in parts.items() if v}
    return result


async def scenario(spec: dict) -> dict:
    """One channel x bot x database, in this process: saturated, then paced."""
    channel, bot, n = spec["channel"], spec["bot"], spec["residents"]
    what_if = spec.get("what_if", [])
    held = hold_aiogram_generics() if "generics" in what_if else []
    if "gc-freeze" in what_if:
        gc.collect()
        gc.freeze()  # everything imported so far leaves the collector's view
    tmp = Path(tempfile.mkdtemp(prefix="bench-intake-"))
    fake = BenchTelegram(TG_TOKEN) if channel == "telegram" else FakeVK(VK_TOKEN, group_id=VK_GROUP)
    await fake.start()
    run, services, stop, live = Run(Tracker()), None, None, None
    if bot == "intake":
        services = make_services(spec["url"], tmp / "media")
        if channel == "telegram":
            live = TelegramChannel(make_bot(TG_TOKEN, fake.base_url), services, Conversation(services))
        else:
            client = VkClient(VK_TOKEN, fake.base_url, rps=spec["vk_rps"], backoff=0.05)
            live = VkChannel(client, services, Conversation(services), VK_GROUP)
            time_sends(live.renderer, run.sends)
        live.handled = run.tracker
        await live.start()
        gc.collect()
        gc.freeze()  # as `active-region run` does after start-up
        stop, cls = live.stop, TgIntakeResident if channel == "telegram" else VkIntakeResident
    elif channel == "telegram":
        echo_bot, dp = make_bot(TG_TOKEN, fake.base_url), tg_echo(run)
        polling = asyncio.create_task(dp.start_polling(echo_bot, handle_signals=False, close_bot_session=False))

        async def stop() -> None:
            await dp.stop_polling()
            await asyncio.gather(polling, return_exceptions=True)
            await echo_bot.session.close()

        cls = TgEchoResident
    else:
        echo = VkEcho(fake, run, spec["vk_rps"])
        echo.start()
        stop, cls = echo.stop, VkEchoResident
    pauses, pg = GcPauses(), spec.get("pg_pid")
    db_cpu = tree_cpu(pg) if pg else 0.0
    try:
        prof_out = os.environ.get("BENCH_CPROFILE") if bot == "intake" else None
        if prof_out:
            import cProfile
            prof = cProfile.Profile()
            prof.enable()
        sat = await phase(fake, run, cls, 1_000_000, n, spec["photo_side"], 0.0)
        if prof_out:
            prof.disable()
            prof.dump_stats(f"{prof_out}.{channel}.{spec['db']}")
        target = max(spec["paced_load"] * sat["rate"], 1.0)
        count = min(n, max(5, round(target * PACED_THINK)))
        paced = await phase(fake, run, cls, 2_000_000, count, spec["photo_side"], count / target)
        paced["offered"] = target
        db_cpu = (tree_cpu(pg) - db_cpu) * 1000 / (sat["updates"] + paced["updates"]) if pg else None
        if bot == "intake":  # one resident at a time, every part of the channel timed
            timer = PartTimer()
            timer.attach(live)
            try:
                quiet = [await phase(fake, run, cls, 3_000_000 + i, 1, spec["photo_side"], 0.0)
                         for i in range(PROFILE_RESIDENTS)]
            finally:
                timer.detach()
            updates = sum(q["updates"] for q in quiet)
            profile = timer.per_update(updates) | {
                "total": sum(q["seconds"] for q in quiet) * 1000 / max(1, updates),
                "cpu": sum(q["cpu_ms"] * q["updates"] for q in quiet) / max(1, updates),
                "residents": sum(q["completed"] for q in quiet)}
    finally:
        await stop()
        await fake.stop()
    inbox, signals = {}, None
    if services is not None:
        async with services.uow() as uow:
            rows = await uow.session.execute(select(InboxUpdate.update_key, InboxUpdate.received_at,
                                                    InboxUpdate.handled_at).where(InboxUpdate.channel == channel))
            inbox = {k: (r.timestamp(), h.timestamp()) for k, r, h in rows if h is not None}
            signals = await uow.session.scalar(select(func.count(Signal.id)))
        await services.db.dispose()
    shutil.rmtree(tmp, ignore_errors=True)
    failures = run.failures[:5]
    return {**{k: spec[k] for k in ("channel", "bot", "db")}, "saturated": summarize(sat, inbox),
            "profile": profile if bot == "intake" else None,
            "paced": summarize(paced, inbox), "signals": signals, "rejected": len(fake.rejected),
            "failures": len(run.failures), "failure_examples": failures, "rss_mb": peak_rss_mb(),
            "gc": [len(pauses.pauses), max(pauses.pauses, default=0.0), sum(pauses.pauses)], "held": len(held),
            "db_cpu_ms": db_cpu}


async def child(spec: dict, dbs: Databases) -> dict:
    if spec.get("db") == "postgresql":
        spec = {**spec, "pg_pid": dbs.postmaster_pid()}
    cmd = [sys.executable, "-m", "bench.intake", "--child", json.dumps(spec)]
    proc = await asyncio.create_subprocess_exec(*cmd, cwd=ROOT, stdout=asyncio.subprocess.PIPE,
                                                stderr=asyncio.subprocess.PIPE)
    try:
        out, err = await asyncio.wait_for(proc.communicate(), CHILD_TIMEOUT)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        return {**spec, "error": f"timed out after {CHILD_TIMEOUT} s"}
    lines = [line for line in out.decode().splitlines() if line.startswith("RESULT ")]
    log_lines = err.decode(errors="replace").splitlines()
    if proc.returncode != 0 or not lines:
        return {**spec, "error": f"exit {proc.returncode}: " + " | ".join(log_lines[-6:])}
    result = json.loads(lines[-1][len("RESULT "):])
    result["log_lines"] = len(log_lines)
    result["log_examples"] = log_lines[:3]
    return result


async def orchestrate(args: argparse.Namespace) -> None:
    base = {"residents": args.residents, "paced_load": args.paced_load, "photo_side": args.photo_side,
            "vk_rps": args.vk_rps, "what_if": args.what_if}
    dbs, results, notes = Databases(), [], []
    started = time.perf_counter()
    try:
        for channel in args.channels:
            runs = [("echo", None)] + [("intake", db) for db in args.databases]
            for bot, db in runs:
                url = None
                if db == "sqlite":
                    url = await dbs.sqlite()
                elif db == "postgresql":
                    url = await dbs.postgresql()
                    if url is None:
                        notes.append(f"PostgreSQL skipped: {dbs.pg_problem}")
                        continue
                spec = {**base, "channel": channel, "bot": bot, "db": db, "url": url}
                result = await child(spec, dbs)
                results.append(result)
                where = f"{channel} {bot}" + (f" on {db}" if db else "")
                if "error" in result:
                    print(f"  {where}: FAILED {result['error']}", flush=True)
                else:
                    sat = result["saturated"]
                    print(f"  {where}: {sat['updates']} updates, {sat['rate']:.0f}/s saturated "
                          f"({time.perf_counter() - started:.0f} s so far)", flush=True)
    finally:
        dbs.close()
    report(args, results, sorted(set(notes)))
    print(f"Machine at the end: {machine()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--residents", type=int, default=500, help="residents in the saturated phase (nominal)")
    parser.add_argument("--scale", type=float, default=0.2,
                        help="run this fraction of --residents (default 0.2: 100 of 500, a few minutes; 1 = all)")
    parser.add_argument("--quick", action="store_true", help="a small run: 30 residents")
    parser.add_argument("--channels", default="telegram,vk", help="comma-separated: telegram,vk")
    parser.add_argument("--databases", default="sqlite,postgresql", help="comma-separated: sqlite,postgresql")
    parser.add_argument("--paced-load", type=float, default=0.5,
                        help="paced phase: offered load as a fraction of the bot's own saturated rate")
    parser.add_argument("--photo-side", type=int, default=1280,
                        help="longer side of each resident's JPEG (Telegram's largest photo size is 1280)")
    parser.add_argument("--vk-rps", type=float, default=1000.0,
                        help="vk_api's client pacing for both VK bots (real community limit: 20/s)")
    parser.add_argument("--what-if", default="", help="diagnostics, comma-separated (not what the product does): "
                        "generics = hold aiogram's Response[...] models alive; gc-freeze = gc.freeze() after imports")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
        print("RESULT " + json.dumps(asyncio.run(scenario(json.loads(args.child)))), flush=True)
        return
    args.nominal = args.residents
    args.residents = 30 if args.quick else max(1, round(args.residents * args.scale))
    args.what_if = [w.strip() for w in args.what_if.split(",") if w.strip()]
    args.channels = [c.strip() for c in args.channels.split(",") if c.strip()]
    args.databases = [d.strip() for d in args.databases.split(",") if d.strip()]
    scaled = "" if args.residents == args.nominal else f" (SCALED: {args.nominal} x {args.scale:g}; --scale 1 for all)"
    scaled = " (QUICK run)" if args.quick else scaled
    print(f"intake benchmark: {args.residents} residents{scaled} x 10 updates, channels {args.channels}, "
          f"databases {args.databases}; {machine()}", flush=True)
    asyncio.run(orchestrate(args))


if __name__ == "__main__":
    main()
