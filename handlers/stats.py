"""/stats: moderators and admins pick a period and a municipality, category or organization and get a
summary with PNG charts; residents get the region's public figures (30 days and all time)."""

from __future__ import annotations

from datetime import date, timedelta

from handlers import menus
from handlers.cases import stats as uc
from handlers.dialog import Registry, Turn
from handlers.i18n import DEFAULT, staff_text
from handlers.staff_common import leave_step, today
from handlers.stats_period import DASH, label, resolve, typed
from handlers.stats_view import draw, public, summary
from handlers.types import Button, FileRef, Input, Text
from storage.repos.stats import Filters

PERIODS = ("w", "m", "q", "y", "a")

registry = Registry("stats")
FILTER_KINDS = ("m", "c", "o")


def is_staff(turn: Turn) -> bool:
    return turn.has_role("moderator") or turn.has_role("admin")


def _buttons(period: str, flt: str) -> tuple[tuple[Button, ...], ...]:
    """Periods (keeping the filter), custom dates, filters (keeping the period): at most 10 buttons."""
    codes = list(PERIODS)  # week, month, quarter, year, all time
    rows = [tuple(Button(staff_text(f"staff-stats-period.{c}"), f"st:{c}:{flt}") for c in codes[:3]),
            (*(Button(staff_text(f"staff-stats-period.{c}"), f"st:{c}:{flt}") for c in codes[3:]), Button(staff_text("staff-stats-dates"), f"sd:{flt}"))]
    if period:
        kinds = (Button(staff_text("staff-stats-by-municipality"), f"sf:{period}:m:0"), Button(staff_text("staff-stats-by-category"), f"sf:{period}:c:0"))
        last = (Button(staff_text("staff-stats-by-organization"), f"sf:{period}:o:0"),)
        rows += [kinds, (*last, Button(staff_text("staff-stats-no-filter"), f"st:{period}:")) if flt else last]
    return tuple(rows)


def _filters(flt: str) -> Filters | None:
    if not flt:
        return Filters()
    kind, ident = flt[:1], flt[1:]
    if kind not in FILTER_KINDS or not ident.isdigit():
        return None
    key = {"m": "municipality_id", "c": "category_id", "o": "organization_id"}[kind]
    return Filters(**{key: int(ident)})


async def _names(turn: Turn) -> dict[str, dict[int, str]]:
    cat = turn.uow.catalog
    return {"m": {p.id: p.name for p in await cat.municipalities()},
            "c": {k.id: k.name for k in await cat.categories()},
            "o": {o.id: o.name for o in await cat.organizations()}}


@registry.command("stats")
async def stats(turn: Turn, args: str) -> None:
    leave_step(turn)
    if not is_staff(turn):
        await _public(turn)
        return
    turn.say(staff_text("staff-stats-choose"), _buttons("", ""))


async def _public(turn: Turn) -> None:
    tz, now, day = turn.services.config.tz, turn.services.now(), today(turn)
    recent = await uc.report(turn.uow, tz, now, day - timedelta(days=29), day)
    overall = await uc.report(turn.uow, tz, now, date(2000, 1, 1), day)
    turn.say(public(recent, overall, turn.lang))


@registry.action("st")
async def show(turn: Turn, args: list[str]) -> None:
    """st:<period>:<filter>: the report of a period, optionally of one municipality/category/organization."""
    leave_step(turn)
    if not is_staff(turn):
        turn.say(turn.t("stats-staff-only"))
        return
    period, flt = (args + ["", ""])[:2]
    span, filters = resolve(period, today(turn)), _filters(flt)
    if span is None or filters is None:
        turn.say(staff_text("staff-stats-choose"), _buttons("", ""))
        return
    names = await _names(turn)
    scope = ""
    if flt:
        name = names[flt[0]].get(int(flt[1:]))
        scope = staff_text("staff-stats-scope", name=name or DASH)
    report = await uc.report(turn.uow, turn.services.config.tz, turn.services.now(), *span, filters)
    when = label(report.start, report.end)
    if not report.total["n"]["filed"]:
        turn.say(staff_text("staff-stats-empty", period=when, scope=scope), _buttons(period, flt))
        return
    files = []
    for file_name, png in await draw(report, names):
        files.append(FileRef(file_name, await turn.services.media.put(png), "image/png"))
    text = summary(report, staff_text("staff-stats-title", period=when, scope=scope), names["o"])
    turn.say(text, _buttons(period, flt), files=tuple(files))


@registry.action("sf")
async def choose_filter(turn: Turn, args: list[str]) -> None:
    """sf:<period>:<kind>:<page>: the municipalities, categories or organizations to narrow to."""
    if not is_staff(turn):
        turn.say(turn.t("stats-staff-only"))
        return
    period, kind, page = (args + ["", "", "0"])[:3]
    if kind not in FILTER_KINDS or resolve(period, today(turn)) is None:
        turn.say(staff_text("staff-stats-choose"), _buttons("", ""))
        return
    items = [(name, f"st:{period}:{kind}{ident}") for ident, name in (await _names(turn))[kind].items()]
    number = int(page) if page.isdigit() else 0
    rows = menus.paged(DEFAULT, items, number, f"sf:{period}:{kind}", back=False)[:-1]
    turn.say(staff_text(f"staff-stats-filter.{kind}"), (*rows, (Button(staff_text("staff-stats-back-to-stats"), f"st:{period}:"),)))


@registry.action("sd")
async def ask_dates(turn: Turn, args: list[str]) -> None:
    if not is_staff(turn):
        turn.say(turn.t("stats-staff-only"))
        return
    flt = args[0] if args and _filters(args[0]) is not None else ""
    await turn.goto("mod.stats_dates", stats_filter=flt)


async def _dates_prompt(turn: Turn) -> None:
    turn.say(staff_text("staff-stats-ask-dates"))


@registry.step("mod.stats_dates", prompt=_dates_prompt)
async def dates(turn: Turn, inp: Input) -> None:
    code = typed(inp.text) if isinstance(inp, Text) else None
    if code is None:
        turn.say(staff_text("staff-stats-bad-dates"))
        return
    flt = str(turn.data.get("stats_filter") or "")
    turn.state.step = "idle"
    turn.drop("stats_filter")
    await show(turn, [code, flt])
