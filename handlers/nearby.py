"""«Already reported nearby?»: before filing, the intake shows open signals of the same category near
the shared location; «Я тоже» joins one (no new signal), «Это другое» goes on with the draft.

The step is registered by handlers/intake_finish.py (its registry); handlers/intake.py's `advance`
calls `offer` before each next step, so it appears as soon as both the place and the category are known."""

from __future__ import annotations

from handlers import texts
from handlers.cases.support import Spot, open_nearby, support_signal
from handlers.dialog import Turn
from handlers.i18n import t
from handlers.moments import moment
from handlers.types import Button, Input, Press

DESCRIPTION_CHARS = 120


def spot(turn: Turn) -> Spot | None:
    """The draft's place and category; None for a typed address — without coordinates there is
    nothing to measure, so nothing is searched (and the resident is not told about it)."""
    d = turn.data
    if d.get("lat") is None or d.get("lon") is None or d.get("category_id") is None:
        return None
    return Spot(d["lat"], d["lon"], d["category_id"])


async def offer(turn: Turn, next_step: str) -> bool:
    """Show the nearby open signals instead of going to `next_step`, once per place and category;
    True when shown."""
    where = spot(turn)
    key = [where.latitude, where.longitude, where.category_id] if where else None
    if where is None or turn.data.get("nearby_checked") == key:
        return False
    turn.set(nearby_checked=key)
    if not await open_nearby(turn.services, turn.uow, where):
        return False
    await turn.goto("intake.nearby", nearby_next=next_step)
    return True


async def ask_nearby(turn: Turn) -> None:
    where = spot(turn)
    found = await open_nearby(turn.services, turn.uow, where) if where else []
    if not found:
        await go_on(turn)
        return
    lines, rows, photos = [t(turn.lang, "nearby-title", count=len(found))], [], []
    for near in found:
        s = near.signal
        short = s.description if len(s.description) <= DESCRIPTION_CHARS else \
            s.description[:DESCRIPTION_CHARS].rstrip() + "…"
        due = t(turn.lang, "my-due", due=moment(s.due_on, turn.services, turn.lang)) if s.due_on else ""
        lines.append(t(turn.lang, "nearby-line", number=s.number, distance=round(near.distance_m),
                                              status=t(turn.lang, f"status.{s.status}"), due=due,
                                              description=texts.esc(short)))
        rows.append((Button(t(turn.lang, "btn-nearby-join", number=s.number), f"join:{s.id}"),))
        if s.photos:
            photos.append(s.photos[0].photo_id)
    rows.append((Button(t(turn.lang, "btn-nearby-other"), "other"), Button(t(turn.lang, "btn-cancel"), "cancel")))
    turn.say("\n\n".join(lines), tuple(rows), photos=tuple(photos))


async def go_on(turn: Turn) -> None:
    """Continue the draft where it was heading."""
    await turn.goto(turn.data.get("nearby_next") or "intake.summary", page=0)


async def on_nearby(turn: Turn, inp: Input) -> None:
    where = spot(turn)
    if isinstance(inp, Press) and inp.payload == "other":
        await go_on(turn)
    elif isinstance(inp, Press) and inp.payload.startswith("join:") and inp.payload[5:].isdigit() and where:
        result = await support_signal(turn.services, turn.uow, turn.user, int(inp.payload[5:]), where)
        if result.outcome == "refused":
            turn.say(t(turn.lang, "nearby-gone"))
            await ask_nearby(turn)
            return
        last = turn.data.get("last_number")
        turn.reset()
        if last:
            turn.set(last_number=last)
        told = {"joined": t(turn.lang, "nearby-joined"), "author": t(turn.lang, "nearby-yours"), "already": t(turn.lang, "nearby-already")}
        turn.say(told[result.outcome].format(number=result.number),
                 ((Button(t(turn.lang, "btn-new-signal"), "new"),), (Button(t(turn.lang, "btn-my-signals"), "my"),)))
    else:
        turn.say(t(turn.lang, "hint-buttons"))
        await ask_nearby(turn)
