"""The intake dialog: municipality → category → description → photos → location → summary → send."""

from __future__ import annotations

import re

from handlers import menus, texts
from handlers.dialog import Turn, action, command, step
from handlers.errors import RateLimited
from handlers.types import Button, Input, Location, Press, StoredPhotos, Text
from handlers.usecases import Draft, moment, submit_signal
from storage.region import distance_km

ORDER = ["intake.municipality", "intake.category", "intake.description", "intake.photos",
         "intake.location", "intake.summary"]


@command("new")
@action("new")
async def new_signal(turn: Turn, _args: object) -> None:
    last = turn.data.get("last_number")
    turn.reset()
    if last:
        turn.set(last_number=last)
    await turn.goto("intake.municipality", page=0)


async def advance(turn: Turn) -> None:
    """Next unanswered step, or back to the summary when a field was being edited."""
    if turn.data.get("editing"):
        await turn.goto("intake.summary", editing=False)
        return
    index = ORDER.index(turn.state.step) + 1
    name = ORDER[index]
    if name == "intake.location" and turn.data.get("lat") is not None:
        name = "intake.summary"
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
        turn.say(texts.CANCELLED)
        turn.say(texts.MAIN_MENU, ((Button(texts.NEW_SIGNAL_BUTTON, "new"),),
                                   (Button(texts.MY_SIGNALS_BUTTON, "my"),)))
        return
    await turn.goto(ORDER[index - 1], page=0)


def _page_arg(payload: str, prefix: str) -> int | None:
    match = re.fullmatch(rf"{prefix}:(\d+)", payload)
    return int(match.group(1)) if match else None


# ----- 1. municipality -----
async def ask_municipality(turn: Turn) -> None:
    items = [(m.name, f"m:{m.id}") for m in await turn.uow.catalog.municipalities()]
    turn.say(texts.ASK_MUNICIPALITY, menus.paged(items, turn.data.get("page", 0), "mp"), ask_location=True)


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
        turn.say(texts.HINT_BUTTONS)
        await ask(turn)
        return
    turn.set(**{field: chosen.id})
    await advance(turn)


@step("intake.municipality", prompt=ask_municipality)
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
        turn.say(texts.OUTSIDE_REGION.format(region=texts.esc(region_genitive(turn))))
        await ask_municipality(turn)
        return
    municipalities = await turn.uow.catalog.municipalities()
    nearest = min(municipalities, key=lambda m: distance_km(loc.lat, loc.lon, m.latitude, m.longitude))
    await turn.goto("intake.municipality_confirm", guess=nearest.id, lat=loc.lat, lon=loc.lon)


def region_genitive(turn: Turn) -> str:
    name = turn.services.region.name
    return "Республики Коми" if name == "Республика Коми" else f"региона «{name}»"


async def ask_confirm(turn: Turn) -> None:
    guess = await turn.uow.catalog.municipality(turn.data["guess"])
    turn.say(texts.MUNICIPALITY_GUESS.format(locative=texts.esc(guess.locative if guess else "?")),
             ((Button(texts.YES, "yes"), Button(texts.NO, "no")), menus.nav_row()))


@step("intake.municipality_confirm", prompt=ask_confirm)
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
        turn.say(texts.HINT_BUTTONS)
        await ask_confirm(turn)


# ----- 2. category -----
async def ask_category(turn: Turn) -> None:
    items = [(c.name, f"c:{c.id}") for c in await turn.uow.catalog.categories()]
    turn.say(texts.ASK_CATEGORY, menus.paged(items, turn.data.get("page", 0), "cp"))


@step("intake.category", prompt=ask_category)
async def on_category(turn: Turn, inp: Input) -> None:
    catalog = turn.uow.catalog
    await choose(turn, inp, field="category_id", prefix="c", ask=ask_category,
                 get=catalog.category, by_name=catalog.category_by_name)


# ----- 3. description -----
async def ask_description(turn: Turn) -> None:
    cfg = turn.services.config
    rows: tuple[tuple[Button, ...], ...] = (menus.nav_row(),)
    if turn.data.get("long_description"):
        rows = ((Button(texts.TRIM_BUTTON, "trim"),), *rows)
    turn.say(texts.ASK_DESCRIPTION.format(min=cfg.description_min, max=cfg.description_max), rows)


@step("intake.description", prompt=ask_description)
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
            turn.say(texts.DESCRIPTION_TOO_SHORT.format(min=cfg.description_min))
        elif len(text) > cfg.description_max:
            turn.set(long_description=text)
            turn.say(texts.DESCRIPTION_TOO_LONG.format(max=cfg.description_max, length=len(text)),
                     ((Button(texts.TRIM_BUTTON, "trim"),), menus.nav_row()))
        else:
            turn.set(description=text)
            turn.drop("long_description")
            await advance(turn)
    else:
        turn.say(texts.HINT_TEXT)
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


# ----- 4. photos -----
async def ask_photos(turn: Turn) -> None:
    have = len(turn.data.get("photo_ids", []))
    cfg = turn.services.config
    text = texts.ASK_PHOTOS.format(max=cfg.max_photos)
    if have:
        text += "\n" + texts.PHOTOS_ADDED.format(count=have, max=cfg.max_photos)
    action_button = Button(texts.DONE, "done") if have else Button(texts.SKIP, "skip")
    turn.say(text, ((action_button,), menus.nav_row()))


@step("intake.photos", prompt=ask_photos, accepts_photos=True)
async def on_photos(turn: Turn, inp: Input) -> None:
    cfg = turn.services.config
    if isinstance(inp, Press) and inp.payload == "back":
        await go_back(turn)
    elif isinstance(inp, Press) and inp.payload in ("skip", "done"):
        await advance(turn)
    elif isinstance(inp, StoredPhotos):
        have = list(turn.data.get("photo_ids", []))
        new = [p for p in inp.photo_ids if p not in have]
        room = cfg.max_photos - len(have)
        have.extend(new[:room])
        turn.set(photo_ids=have)
        if len(new) > room:
            turn.say(texts.PHOTOS_LIMIT.format(max=cfg.max_photos))
        if inp.bad:
            turn.say(texts.PHOTO_BAD)
        if inp.failed:
            turn.say(texts.PHOTOS_FAILED.format(failed=inp.failed))
        if len(have) >= cfg.max_photos:
            await advance(turn)
        else:
            turn.say(texts.PHOTOS_ADDED.format(count=len(have), max=cfg.max_photos),
                     ((Button(texts.DONE, "done"),), menus.nav_row()))
    else:
        turn.say(texts.HINT_PHOTO)
        await ask_photos(turn)


# ----- 5. location -----
async def ask_location(turn: Turn) -> None:
    turn.say(texts.ASK_LOCATION, (menus.nav_row(),), ask_location=True)


@step("intake.location", prompt=ask_location)
async def on_location(turn: Turn, inp: Input) -> None:
    cfg = turn.services.config
    if isinstance(inp, Press) and inp.payload == "back":
        await go_back(turn)
    elif isinstance(inp, Location):
        if not turn.services.region.bounds.contains(inp.lat, inp.lon):
            turn.say(texts.LOCATION_OUTSIDE.format(region=texts.esc(region_genitive(turn))))
            await ask_location(turn)
            return
        turn.set(lat=inp.lat, lon=inp.lon, address=None)
        await advance(turn)
    elif isinstance(inp, Text) and not inp.text.startswith("/"):
        address = " ".join(inp.text.split())
        if len(address) < 5:
            turn.say(texts.ADDRESS_TOO_SHORT)
        elif len(address) > cfg.address_max:
            turn.say(texts.ADDRESS_TOO_LONG.format(max=cfg.address_max))
        else:
            turn.set(address=address, lat=None, lon=None)
            await advance(turn)
            return
        await ask_location(turn)
    else:
        turn.say(texts.HINT_LOCATION)
        await ask_location(turn)


# ----- 6. summary and send -----
async def show_summary(turn: Turn) -> None:
    d = turn.data
    municipality = await turn.uow.catalog.municipality(d["municipality_id"])
    category = await turn.uow.catalog.category(d["category_id"])
    if d.get("lat") is not None:
        place = texts.COORDINATES.format(lat=d["lat"], lon=d["lon"])
    else:
        place = texts.esc(d.get("address") or texts.NO_PLACE)
    photos = tuple(d.get("photo_ids", []))
    text = texts.SUMMARY.format(
        municipality=texts.esc(municipality.name if municipality else "?"),
        category=texts.esc(category.name if category else "?"),
        place=place, photos=len(photos) or "нет", description=texts.esc(d.get("description", "")))
    turn.say(text, (
        (Button(texts.SEND, "send"),),
        (Button(texts.EDIT_MUNICIPALITY, "edit:m"), Button(texts.EDIT_CATEGORY, "edit:c")),
        (Button(texts.EDIT_DESCRIPTION, "edit:d"), Button(texts.EDIT_PHOTOS, "edit:p")),
        (Button(texts.EDIT_LOCATION, "edit:l"), Button(texts.CANCEL, "cancel")),
    ), photos=photos)


EDIT_TARGETS = {"m": "intake.municipality", "c": "intake.category", "d": "intake.description",
                "p": "intake.photos", "l": "intake.location"}


@step("intake.summary", prompt=show_summary)
async def on_summary(turn: Turn, inp: Input) -> None:
    if isinstance(inp, Press) and inp.payload == "send":
        await _send(turn)
    elif isinstance(inp, Press) and inp.payload.startswith("edit:") and inp.payload[5:] in EDIT_TARGETS:
        target = inp.payload[5:]
        if target == "p":
            turn.set(photo_ids=[])
        if target == "l":
            turn.set(lat=None, lon=None, address=None)
        await turn.goto(EDIT_TARGETS[target], editing=True, page=0)
    elif isinstance(inp, Press) and inp.payload == "back":
        await turn.goto("intake.location" if turn.data.get("lat") is None else "intake.photos", page=0)
    else:
        turn.say(texts.HINT_BUTTONS)
        await show_summary(turn)


async def _send(turn: Turn) -> None:
    d = turn.data
    draft = Draft(d["municipality_id"], d["category_id"], d["description"], tuple(d.get("photo_ids", [])),
                  d.get("lat"), d.get("lon"), d.get("address"))
    try:
        filed = await submit_signal(turn.services, turn.uow, turn.user, draft)
    except RateLimited as exc:
        turn.say(str(exc))
        return
    turn.reset()
    turn.set(last_number=filed.number)
    turn.say(texts.SUBMITTED.format(number=filed.number, days=turn.services.config.deadline_workdays,
                                    due=moment(filed.expected_due, turn.services)),
             ((Button(texts.NEW_SIGNAL_BUTTON, "new"),), (Button(texts.MY_SIGNALS_BUTTON, "my"),)))
