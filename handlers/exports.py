"""Admins in the bot: /export sends the signals of a period as a CSV or XLSX document (no personal data),
/opendata sends the monthly aggregates as CSV for publication."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

from handlers.cases import exports as uc
from handlers.dialog import Registry, Turn
from handlers.i18n import staff_text
from handlers.staff_common import leave_step, today
from handlers.stats_period import label, resolve, typed
from handlers.types import FileRef

registry = Registry("exports")
BOT_LIMIT = 100_000  # rows in one document (a CSV of 100,000 is ~37 MB; Telegram takes 50 MB); more: the CLI
MIME = {"csv": "text/csv", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


@registry.command("export", role="admin")
async def export(turn: Turn, args: str) -> None:
    leave_step(turn)
    words = args.split()
    fmt = words.pop().lower() if words and words[-1].lower() in MIME else "xlsx"
    code = typed(" ".join(words))
    span = resolve(code, today(turn)) if code else None
    if span is None:
        turn.say(staff_text("staff-stats-export-usage"))
        return
    tz = turn.services.config.tz
    if await uc.count_signals(turn.uow, tz, *span) > BOT_LIMIT:
        turn.say(staff_text("staff-stats-export-too-big", limit=BOT_LIMIT))
        return
    name = f"signals-{span[0]:%Y%m%d}-{span[1]:%Y%m%d}.{fmt}"
    with tempfile.TemporaryDirectory(prefix="ar-export-") as tmp:
        path = Path(tmp) / name
        rows = await uc.export_signals(turn.uow, tz=tz, first=span[0], last=span[1], fmt=fmt, path=path,
                                       url=turn.services.config.portal_signal_url, today=today(turn))
        data = await asyncio.to_thread(path.read_bytes)
    key = await turn.services.media.put(data)
    turn.say(staff_text("staff-stats-export-ready", period=label(*span), rows=rows), files=(FileRef(name, key, MIME[fmt]),))


@registry.command("opendata", role="admin")
async def opendata(turn: Turn, args: str) -> None:
    leave_step(turn)
    data, rows = await uc.open_data(turn.uow, turn.services.config.tz, turn.services.now())
    if not rows:
        turn.say(staff_text("staff-stats-opendata-empty"))
        return
    key = await turn.services.media.put(data)
    name = f"opendata-{today(turn):%Y%m%d}.csv"
    turn.say(staff_text("staff-stats-opendata-ready", rows=rows), files=(FileRef(name, key, MIME["csv"]),))
