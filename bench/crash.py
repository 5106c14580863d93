"""Crash benchmark: residents file through a real bot process that is SIGKILLed at random moments.

    python -m bench.crash [--residents 20] [--kills 3] [--channels telegram,vk] [--backends sqlite,postgresql]

Per channel and database: `python -m bot run` against the fake platform server, 20 residents filing a
signal each (random think time), 3 SIGKILLs at random moments of the run, each followed at once by a new
process (as a supervisor would restart it). Printed per run: residents who filed exactly one signal; lost
and duplicated signals; residents who saw an earlier step's question after a later one (steps: consent,
thanks, «Шаг 1..5 из 5», summary, confirmation); residents who saw one message twice (a reply sent just
before a kill and resent after it); and per restart the time from the new process's first poll (getUpdates
or groups.getLongPollServer, as the fake recorded it) to its first reply: max and median (negative: the
reply — a dead process's journaled one — went out before the first poll).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import re
import shutil
import statistics
import tempfile
from pathlib import Path

from sqlalchemy import select

from bench.common import Databases, machine
from storage.db import Database
from storage.models import Signal
from tests.e2e.crash import CrashBot, Person, make_fake

USER_BASE = 20_000
MESSAGES_PER_FILING = 10  # welcome, consent, thanks, 5 step questions, summary, confirmation


async def filing(person: Person, n: int, rng: random.Random, think: float, timeout: float) -> bool:  # noqa: ASYNC109
    for kind, what, expect in person.filing_steps(n):
        await asyncio.sleep(rng.uniform(0, think))  # a person's pace, not a wait for the bot
        try:
            await person.do(kind, what, expect, timeout)
        except AssertionError:
            return False
    return True


async def killer(bot: CrashBot, people: list[Person], rng: random.Random, kills: int, restarts: list[float]) -> None:
    """SIGKILL at random moments (a random point of the run's progress plus a random part of a second)."""
    loop = asyncio.get_running_loop()
    total = len(people) * MESSAGES_PER_FILING
    points = sorted(rng.sample(range(total // 10, total * 9 // 10), kills))
    for point in points:
        await bot.fake.wait_for(lambda p=point: sum(len(x.messages) for x in people) >= p, timeout=600)
        await asyncio.sleep(rng.uniform(0, 0.5))
        bot.kill()
        restarts.append(loop.time())
        bot.start(restarts[-1])


async def signals_per_resident(url: str, residents: int) -> dict[int, int]:
    db = Database(url)
    try:
        async with db.sessions() as session:
            descriptions = list(await session.scalars(select(Signal.description)))
    finally:
        await db.dispose()
    counts = dict.fromkeys(range(residents), 0)
    for text in descriptions:
        if m := re.match(r"Обращение жителя номер (\d+):", text):
            counts[int(m[1])] = counts.get(int(m[1]), 0) + 1
    return counts


async def run(channel: str, backend: str, url: str, args: argparse.Namespace, seed: int) -> dict:
    loop = asyncio.get_running_loop()
    rng = random.Random(seed)
    work = Path(tempfile.mkdtemp(prefix=f"bench-crash-{channel}-"))
    restarts: list[float] = []
    async with make_fake(channel) as fake:
        bot = CrashBot(channel, fake, url, work)
        try:
            bot.start(loop.time())
            await fake.wait_for(lambda: bot.first_poll_since(0) is not None, timeout=60)
            people = [Person(channel, fake, USER_BASE + i) for i in range(args.residents)]
            crashes = asyncio.create_task(killer(bot, people, rng, args.kills, restarts))
            rngs = [random.Random(rng.random()) for _ in people]
            done = await asyncio.gather(*(filing(p, i, rngs[i], args.think, args.step_timeout)
                                          for i, p in enumerate(people)))
            crashes.cancel()
            await asyncio.gather(crashes, return_exceptions=True)
            await bot.stop()
        finally:
            if bot.proc is not None:
                bot.proc.terminate()
        delays, starts = [], []
        for t in restarts:
            polled = bot.first_poll_since(t)
            replies = [m["at"] for p in people for m in p.messages if m["at"] >= t]
            if polled is not None:
                starts.append(polled - t)
                if replies:
                    delays.append(min(replies) - polled)
    counts = await signals_per_resident(url, args.residents)
    shutil.rmtree(work, ignore_errors=True)
    return {"channel": channel, "backend": backend, "residents": args.residents, "kills": len(restarts),
            "finished": sum(done), "once": sum(1 for n in counts.values() if n == 1),
            "lost": sum(1 for n in counts.values() if n == 0), "duplicated": sum(n - 1 for n in counts.values() if n > 1),
            "regressed": sum(1 for p in people if p.steps() != sorted(p.steps())),
            "repeated": sum(1 for p in people if any(a == b for a, b in zip(p.texts(), p.texts()[1:], strict=False))),
            "delays": delays, "starts": starts}


def report(r: dict) -> None:
    d = r["delays"]
    timing = (f"first poll → first reply max {max(d) * 1000:.0f} ms, median {statistics.median(d) * 1000:.0f} ms "
              f"({len(d)} of {r['kills']} restarts polled before the next kill)" if d else "no restart measured")
    start = f"; start → first poll median {statistics.median(r['starts']):.1f} s" if r["starts"] else ""
    print(f"{r['channel']:8} {r['backend']:10} kills {r['kills']}: filed exactly once {r['once']}/{r['residents']} "
          f"(finished {r['finished']}), lost {r['lost']}, duplicated {r['duplicated']}, earlier step after a later "
          f"one {r['regressed']}, saw a message twice {r['repeated']}; {timing}{start}", flush=True)


async def main_async(args: argparse.Namespace) -> None:
    dbs = Databases()
    try:
        for backend in args.backends:
            for channel in args.channels:
                url = await (dbs.sqlite() if backend == "sqlite" else dbs.postgresql())
                if url is None:
                    print(f"{backend}: unavailable ({dbs.pg_problem})")
                    continue
                report(await run(channel, backend, url, args, args.seed + len(channel) + len(backend)))
    finally:
        dbs.close()
    print(f"Machine at the end: {machine()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--residents", type=int, default=20)
    parser.add_argument("--kills", type=int, default=3)
    parser.add_argument("--channels", default="telegram,vk")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--think", type=float, default=0.3, help="a resident's pause before each step, 0..THINK s")
    parser.add_argument("--step-timeout", type=float, default=30.0, help="a resident gives up after this wait")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    args.channels = [c for c in args.channels.split(",") if c]
    args.backends = [b for b in args.backends.split(",") if b]
    print(f"crash benchmark: {args.residents} residents, {args.kills} SIGKILLs per run; {machine()}", flush=True)
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
