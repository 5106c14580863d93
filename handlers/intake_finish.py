"""The intake dialog's second half: photos → location → summary → send (the first half: handlers/intake.py)."""

from __future__ import annotations

from handlers import menus, nearby, places
from handlers.cases.filing import Draft, submit_signal
from handlers.dialog import Registry, Turn
from handlers.errors import RateLimited
from handlers.i18n import t
from handlers.intake import advance, go_back, region_name
from handlers.moments import moment
from handlers.texts import esc
from handlers.types import Button, Input, Location, Press, StoredPhotos, Text

registry = Registry("intake_finish")
registry.step("intake.nearby", prompt=nearby.ask_nearby)(nearby.on_nearby)


# ----- 4. photos -----
async def ask_photos(turn: Turn) -> None:
    have = len(turn.data.get("photo_ids", []))
    cfg = turn.services.config
    text = t(turn.lang, "ask-photos", max=cfg.max_photos)
    if have:
        text += "\n" + t(turn.lang, "photos-added", count=have, max=cfg.max_photos)
    action_button = Button(t(turn.lang, "btn-done"), "done") if have else Button(t(turn.lang, "btn-skip"), "skip")
    turn.say(text, ((action_button,), menus.nav_row(turn.lang)))


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
            turn.say(t(turn.lang, "photos-limit", max=cfg.max_photos))
        if inp.bad:
            turn.say(t(turn.lang, "photo-bad"))
        if inp.failed:
            turn.say(t(turn.lang, "photos-failed", failed=inp.failed))
        if len(have) >= cfg.max_photos:
            await advance(turn)
        else:
            turn.say(t(turn.lang, "photos-added", count=len(have), max=cfg.max_photos),
                     ((Button(t(turn.lang, "btn-done"), "done"),), menus.nav_row(turn.lang)))
    else:
        turn.say(t(turn.lang, "hint-photo"))
        await ask_photos(turn)


# ----- 5. location -----
async def ask_location(turn: Turn) -> None:
    turn.say(t(turn.lang, "ask-location"), (menus.nav_row(turn.lang),), ask_location=True)


@registry.step("intake.location", prompt=ask_location)
async def on_location(turn: Turn, inp: Input) -> None:
    cfg = turn.services.config
    if isinstance(inp, Press) and inp.payload == "back":
        await go_back(turn)
    elif isinstance(inp, Location):
        if not turn.services.region.bounds.contains(inp.lat, inp.lon):
            turn.say(turn.t("location-outside", region=esc(region_name(turn))))
            await ask_location(turn)
            return
        turn.set(lat=inp.lat, lon=inp.lon, address=None)
        await advance(turn)
    elif isinstance(inp, Text) and not inp.text.startswith("/"):
        address = " ".join(inp.text.split())
        if len(address) < 5:
            turn.say(t(turn.lang, "address-too-short"))
        elif len(address) > cfg.address_max:
            turn.say(t(turn.lang, "address-too-long", max=cfg.address_max))
        else:
            turn.set(address=address, lat=None, lon=None)
            await advance(turn)
            return
        await ask_location(turn)
    else:
        turn.say(t(turn.lang, "hint-location"))
        await ask_location(turn)


# ----- 6. summary and send -----
async def show_summary(turn: Turn) -> None:
    d = turn.data
    municipality = await turn.uow.catalog.municipality(d["municipality_id"])
    category = await turn.uow.catalog.category(d["category_id"])
    if d.get("lat") is not None:
        place = t(turn.lang, "coordinates", lat=d["lat"], lon=d["lon"])
    else:
        place = esc(d.get("address") or turn.t("no-place"))
    photos = tuple(d.get("photo_ids", []))
    text = t(turn.lang, "summary",
        municipality=esc(places.municipality(turn, municipality) if municipality else "?"),
        category=esc(places.category(turn, category) if category else "?"),
        place=place, photos=len(photos) or turn.t("none"), description=esc(d.get("description", "")))
    turn.say(text, (
        (Button(t(turn.lang, "btn-send"), "send"),),
        (Button(t(turn.lang, "btn-edit-municipality"), "edit:m"), Button(t(turn.lang, "btn-edit-category"), "edit:c")),
        (Button(t(turn.lang, "btn-edit-description"), "edit:d"), Button(t(turn.lang, "btn-edit-photos"), "edit:p")),
        (Button(t(turn.lang, "btn-edit-location"), "edit:l"), Button(t(turn.lang, "btn-cancel"), "cancel")),
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
        turn.say(t(turn.lang, "hint-buttons"))
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
    turn.say(t(turn.lang, "submitted", number=filed.number, days=turn.services.config.deadline_workdays,
                                    due=moment(filed.expected_due, turn.services, turn.lang)),
             ((Button(t(turn.lang, "btn-new-signal"), "new"),), (Button(t(turn.lang, "btn-my-signals"), "my"),)))
