"""Memory benchmark: the bot's own process (`python -m bot run`) with 1,000 residents mid-dialog.

    python -m bench.memory                    # 1,000 residents, SQLite and PostgreSQL (about 3–4 minutes)
    python -m bench.memory --residents 200 --databases sqlite

The bot runs as a real process in long-polling mode against FakeTelegram (in this process, so the fake's
own memory is not counted). Each resident walks four steps into the intake — /start, consent, /new, a
municipality — and stays there, mid-dialog. Printed per database: the process's RSS right after start-up
(the baseline, measured in the same run), its peak RSS (VmHWM) and RSS at the end, and how many residents
reached the step. The target (issue 10): peak RSS < 250 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.common import Databases, machine
from tests.e2e.multi import RemoteResident, free_port, until
from tests.fakes.telegram_server import FakeTelegram

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "123456:BENCH-MEMORY"
CONCURRENT = 100  # residents walking at the same time


def status_mb(pid: int, field: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def walk(fake: FakeTelegram, user_id: int) -> bool:
    r = RemoteResident(fake, user_id)
    try:
        await r.say("/start", "согласие")
        await r.press("Согласен", "Спасибо")
        await r.say("/new", "Шаг 1")
        await r.press("Сыктывкар", "Шаг 2")
        return True
    except AssertionError:
        return False


def start_bot(env: dict[str, str], workdir: Path) -> subprocess.Popen[bytes]:
    with open(workdir / "bot.log", "wb") as log:  # the child keeps its own descriptor
        return subprocess.Popen([sys.executable, "-m", "bot", "run"], env=env, cwd=workdir, stdout=log,
                                stderr=subprocess.STDOUT)


async def one_database(url: str, residents: int, workdir: Path) -> dict:
    fake = FakeTelegram(token=TOKEN)
    await fake.start()
    port = free_port()
    env = {**os.environ, "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_URL": fake.base_url, "DATABASE_URL": url,
           "HTTP_LISTEN": f"127.0.0.1:{port}", "WEB_ENABLED": "0", "MEDIA_DIR": str(workdir / "media"),
           "LOG_LEVEL": "WARNING", "PYTHONPATH": str(ROOT)}
    env.pop("VK_GROUP_TOKEN", None)
    proc = start_bot(env, workdir)
    try:
        await until(lambda: _polling(fake), 60, "the bot polling")
        await asyncio.sleep(1.0)  # let start-up allocations settle before the baseline
        baseline = status_mb(proc.pid, "VmRSS")
        ok = 0
        for first in range(0, residents, CONCURRENT):
            done = await asyncio.gather(*(walk(fake, 5_000_000 + i)
                                          for i in range(first, min(residents, first + CONCURRENT))))
            ok += sum(done)
        result = {"baseline_mb": baseline, "peak_mb": status_mb(proc.pid, "VmHWM"),
                  "end_mb": status_mb(proc.pid, "VmRSS"), "mid_dialog": ok, "residents": residents}
    finally:
        proc.terminate()
        proc.wait(30)
        await fake.stop()
    return result


async def _polling(fake: FakeTelegram) -> bool:
    return any(method == "getUpdates" for method, _ in fake.calls[-5:])


async def main(args: argparse.Namespace) -> None:
    print(f"memory benchmark: {args.residents} residents mid-dialog; {machine()}", flush=True)
    dbs = Databases()
    try:
        for db in args.databases:
            url = await (dbs.sqlite() if db == "sqlite" else dbs.postgresql())
            if url is None:
                print(f"  {db}: skipped ({dbs.pg_problem})")
                continue
            with tempfile.TemporaryDirectory(prefix="bench-memory-") as tmp:
                r = await one_database(url, args.residents, Path(tmp))
            verdict = "met" if r["peak_mb"] < 250 else "NOT MET"
            print(f"  {db:<10} baseline after start-up {r['baseline_mb']:.0f} MB, peak {r['peak_mb']:.0f} MB "
                  f"(+{r['peak_mb'] - r['baseline_mb']:.0f}), at the end {r['end_mb']:.0f} MB; "
                  f"{r['mid_dialog']}/{r['residents']} residents mid-dialog; target peak < 250 MB: {verdict}",
                  flush=True)
    finally:
        dbs.close()
    print(f"Machine at the end: {machine()}")


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--residents", type=int, default=1000)
    parser.add_argument("--databases", default="sqlite,postgresql")
    args = parser.parse_args()
    args.databases = [d.strip() for d in args.databases.split(",") if d.strip()]
    asyncio.run(main(args))


if __name__ == "__main__":
    cli()
