"""CPU of one dialog turn without any platform: the same walk as bench.intake minus the photo, per database."""

from __future__ import annotations

import argparse
import asyncio
import gc
import tempfile
import time
from pathlib import Path

from bench.common import Databases, make_services
from handlers.conversation import Conversation
from handlers.types import Command, Peer, Press, Text
from storage.inbox import put_many

STORE = [0.0]


async def walk(conv: Conversation, services, peer: Peer, first_key: int) -> int:  # type: ignore[no-untyped-def]
    """One resident: /start, consent, /new, ... to the description step; returns the number of turns."""
    from handlers.callbacks import sign
    steps = [Command("start"), None, Text("Привет"), Text("ещё раз"), Command("help"), Text("а теперь")]
    n = 0
    for i, inp in enumerate(steps):
        if inp is None:
            inp = Press(sign(services.signing_key, peer.channel, peer.peer_id, "consent"))
        c0 = time.process_time()
        async with services.uow() as uow:
            rows = await put_many(uow.conn, uow.dialect, "telegram", [(f"k{first_key + i}", peer.peer_id, {})])
            await uow.commit()
        STORE[0] += time.process_time() - c0
        await conv.handle(peer, inp, [r.id for r in rows])
        n += 1
    return n


async def run(db: str, residents: int) -> None:
    dbs = Databases()
    url = await (dbs.sqlite() if db == "sqlite" else dbs.postgresql())
    services = make_services(url, Path(tempfile.mkdtemp()) / "media")
    conv = Conversation(services)
    await walk(conv, services, Peer("telegram", 1, "warm"), 0)
    gc.collect()
    gc.freeze()
    STORE[0] = 0.0
    cpu, wall, turns = time.process_time(), time.perf_counter(), 0
    for r in range(residents):
        turns += await walk(conv, services, Peer("telegram", 1000 + r, "Имя"), 100 * (r + 1))
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    print(f"{db}: {turns} turns (+ {turns} inbox stores), CPU {cpu * 1000 / turns:.2f} ms/turn, wall {wall * 1000 / turns:.2f}; of which store {STORE[0] * 1000 / turns:.2f}")
    await services.db.dispose()
    if dbs.pg:
        dbs.pg.stop()


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--db", default="sqlite")
    p.add_argument("--residents", type=int, default=100)
    a = p.parse_args()
    asyncio.run(run(a.db, a.residents))


if __name__ == "__main__":
    main()
