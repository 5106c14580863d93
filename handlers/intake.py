"""The intake dialog: municipality → category → description → photos → location → summary → send."""

from __future__ import annotations

import re

from handlers import menus, nearby, places
from handlers.dialog import Registry, Turn
from handlers.i18n import t
from handlers.texts import esc
from handlers.types import Button, Input, Location, Press, Text
from storage.region import distance_km

registry = Registry("intake")
ORDER = ["intake.municipality", "intake.category", "intake.description", "intake.photos",
         "intake.location", "intake.summary"]


@registry.command("new")
@registry.action("new")
async def new_signal(turn: Turn, _args: object) -> None:
    last = turn.data.get("last_number")
    turn.reset()
    if last:
        turn.set(last_number=last)
    await turn.goto("intake.municipality", page=0)


async def advance(turn: Turn) -> None:
    """Next unanswered step, or back to the summary when a field was being edited; signals already
    filed nearby are offered first (handlers/nearby.py)."""
    if turn.data.get("editing"):
        name = "intake.summary"
        turn.set(editing=False)
    else:
        name = ORDER[ORDER.index(turn.state.step) + 1]
        if name == "intake.location" and turn.data.get("lat") is not None:
            name = "intake.summary"
    if not await nearby.offer(turn, name):
        await turn.goto(name, page=0)


async def go_back(turn: Turn) -> None:
    if turn.data.get("editing"):
        await turn.goto("intake.summary", editing=False)
        return
    index = ORDER.index(turn.state.step)
    if index == 0:
        last = turn.data.get("last_number")
        turn.reset()
        if last:
            turn.set(last_number=last)
        turn.say(t(turn.lang, "cancelled"))
        turn.say(t(turn.lang, "main-menu"), ((Button(t(turn.lang, "btn-new-signal"), "new"),),
                                   (Button(t(turn.lang, "btn-my-signals"), "my"),)))
        return
    await turn.goto(ORDER[index - 1], page=0)


def _page_arg(payload: str, prefix: str) -> int | None:
    match = re.fullmatch(rf"{prefix}:(\d+)", payload)
    return int(match.group(1)) if match else None


# ----- 1. municipality -----
async def ask_municipality(turn: Turn) -> None:
    items = [(places.municipality(turn, m), f"m:{m.id}") for m in await turn.uow.catalog.municipalities()]
    turn.say(t(turn.lang, "ask-municipality"), menus.paged(turn.lang, items, turn.data.get("page", 0), "mp"), ask_location=True)


async def choose(turn: Turn, inp: Input, *, field: str, prefix: str, ask, get, by_name) -> None:  # type: ignore[no-untyped-def]
    """A paged choice from a list: pick by button or by typing the name; ‹ › page; «Назад»."""
    chosen = None
    if isinstance(inp, Press):
        if inp.payload == "back":
            await go_back(turn)
            return
        page = _page_arg(inp.payload, f"{prefix}p")
        if page is not None:
            turn.set(page=page)
            await ask(turn)
            return
        item = _page_arg(inp.payload, prefix)
        chosen = await get(item) if item is not None else None
    elif isinstance(inp, Text):
        chosen = await by_name(inp.text)
    if chosen is None:
        turn.say(t(turn.lang, "hint-buttons"))
        await ask(turn)
        return
    turn.set(**{field: chosen.id})
    await advance(turn)


@registry.step("intake.municipality", prompt=ask_municipality)
async def on_municipality(turn: Turn, inp: Input) -> None:
    if isinstance(inp, Location):
        await _guess_municipality(turn, inp)
        return
    catalog = turn.uow.catalog
    await choose(turn, inp, field="municipality_id", prefix="m", ask=ask_municipality,
                 get=catalog.municipality, by_name=catalog.municipality_by_name)


async def _guess_municipality(turn: Turn, loc: Location) -> None:
    region = turn.services.region
    if not region.bounds.contains(loc.lat, loc.lon):
        turn.say(turn.t("outside-region", region=esc(region_name(turn))))
        await ask_municipality(turn)
        return
    municipalities = await turn.uow.catalog.municipalities()
    nearest = min(municipalities, key=lambda m: distance_km(loc.lat, loc.lon, m.latitude, m.longitude))
    await turn.goto("intake.municipality_confirm", guess=nearest.id, lat=loc.lat, lon=loc.lon)


def region_name(turn: Turn) -> str:
    """The region's name in the person's language (the region file's `names`), else as the file has it."""
    region = turn.services.region
    return region.names.get(turn.lang, {}).get("region", region.name)


async def ask_confirm(turn: Turn) -> None:
    guess = await turn.uow.catalog.municipality(turn.data["guess"])
    turn.say(turn.t("municipality-guess", name=esc(places.municipality(turn, guess) if guess else "?")),
             ((Button(t(turn.lang, "btn-yes"), "yes"), Button(t(turn.lang, "btn-no"), "no")), menus.nav_row(turn.lang)))


@registry.step("intake.municipality_confirm", prompt=ask_confirm)
async def on_confirm(turn: Turn, inp: Input) -> None:
    if isinstance(inp, Press) and inp.payload == "yes":
        turn.set(municipality_id=turn.data["guess"])
        turn.drop("guess")
        turn.state.step = "intake.municipality"
        await advance(turn)
    elif isinstance(inp, Press) and inp.payload in ("no", "back"):
        turn.drop("guess", "lat", "lon")
        await turn.goto("intake.municipality", page=0)
    elif isinstance(inp, Location):
        await _guess_municipality(turn, inp)
    else:
        turn.say(t(turn.lang, "hint-buttons"))
        await ask_confirm(turn)


# ----- 2. category -----
async def ask_category(turn: Turn) -> None:
    items = [(places.category(turn, c), f"c:{c.id}") for c in await turn.uow.catalog.categories()]
    turn.say(t(turn.lang, "ask-category"), menus.paged(turn.lang, items, turn.data.get("page", 0), "cp"))


@registry.step("intake.category", prompt=ask_category)
async def on_category(turn: Turn, inp: Input) -> None:
    catalog = turn.uow.catalog
    await choose(turn, inp, field="category_id", prefix="c", ask=ask_category,
                 get=catalog.category, by_name=catalog.category_by_name)


# ----- 3. description -----
async def ask_description(turn: Turn) -> None:
    cfg = turn.services.config
    rows: tuple[tuple[Button, ...], ...] = (menus.nav_row(turn.lang),)
    if turn.data.get("long_description"):
        rows = ((Button(t(turn.lang, "btn-trim"), "trim"),), *rows)
    turn.say(t(turn.lang, "ask-description", min=cfg.description_min, max=cfg.description_max), rows)


@registry.step("intake.description", prompt=ask_description)
async def on_description(turn: Turn, inp: Input) -> None:
    cfg = turn.services.config
    if isinstance(inp, Press) and inp.payload == "back":
        await go_back(turn)
    elif isinstance(inp, Press) and inp.payload == "trim" and turn.data.get("long_description"):
        turn.set(description=trim_text(turn.data["long_description"], cfg.description_max))
        turn.drop("long_description")
        await advance(turn)
    elif isinstance(inp, Text):
        text = inp.text.strip()
        if len(text) < cfg.description_min:
            turn.say(t(turn.lang, "description-too-short", min=cfg.description_min))
        elif len(text) > cfg.description_max:
            turn.set(long_description=text)
            turn.say(t(turn.lang, "description-too-long", max=cfg.description_max, length=len(text)),
                     ((Button(t(turn.lang, "btn-trim"), "trim"),), menus.nav_row(turn.lang)))
        else:
            turn.set(description=text)
            turn.drop("long_description")
            await advance(turn)
    else:
        turn.say(t(turn.lang, "hint-text"))
        await ask_description(turn)


def trim_text(text: str, limit: int) -> str:
    """Cut at the last sentence end (or space) before `limit`."""
    if len(text) <= limit:
        return text
    head = text[:limit]
    for mark in (". ", "! ", "? ", "\n"):
        cut = head.rfind(mark)
        if cut >= limit // 2:
            return head[: cut + 1].strip()
    cut = head.rfind(" ")
    return (head[:cut] if cut >= limit // 2 else head).strip()
