"""The intake dialog's second half: photos → location → summary → send (the first half: handlers/intake.py)."""

from __future__ import annotations

from handlers import menus, nearby, texts
from handlers.cases.filing import Draft, submit_signal
from handlers.dialog import Registry, Turn
from handlers.errors import RateLimited
from handlers.intake import advance, go_back, region_genitive
from handlers.moments import moment
from handlers.types import Button, Input, Location, Press, StoredPhotos, Text

registry = Registry("intake_finish")
registry.step("intake.nearby", prompt=nearby.ask_nearby)(nearby.on_nearby)


# ----- 4. photos -----
async def ask_photos(turn: Turn) -> None:
    have = len(turn.data.get("photo_ids", []))
    cfg = turn.services.config
    text = texts.ASK_PHOTOS.format(max=cfg.max_photos)
    if have:
        text += "\n" + texts.PHOTOS_ADDED.format(count=have, max=cfg.max_photos)
    action_button = Button(texts.DONE, "done") if have else Button(texts.SKIP, "skip")
    turn.say(text, ((action_button,), menus.nav_row()))


@registry.step("intake.photos", prompt=ask_photos, accepts_photos=True)
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


@registry.step("intake.location", prompt=ask_location)
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


@registry.step("intake.summary", prompt=show_summary)
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
