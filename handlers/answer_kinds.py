"""The first steps of an executor's answer: what it is (fixed, planned with a date, not ours naming who, a
refusal), registered by handlers.tasks in its registry."""

from __future__ import annotations

from datetime import date, timedelta

from handlers import limits
from handlers import staff_format as sf
from handlers.cases import answer_rules as rules
from handlers.dialog import Turn
from handlers.errors import DomainError
from handlers.i18n import staff_text
from handlers.moments import day_month
from handlers.staff_common import staff, today
from handlers.types import Button, Input, Press, Text

QUICK_DAYS = (1, 3, 7, 14, 30, 60)


def _back(turn: Turn) -> Button:
    return sf.back_to(f"tk:{staff(turn)['signal_id']}")


async def ask_kind(turn: Turn) -> None:
    buttons = [Button(staff_text(f"staff-btn-answer-kind-buttons.{code}"), f"kind:{code}") for code in limits.ANSWER_KINDS]
    turn.say(staff_text("staff-answer-ask-kind", number=staff(turn)["number"]),
             (tuple(buttons[:2]), tuple(buttons[2:]), (_back(turn),)))


async def on_kind(turn: Turn, inp: Input) -> None:
    data = staff(turn)
    code = inp.payload[5:] if isinstance(inp, Press) and inp.payload.startswith("kind:") else None
    if code not in rules.KINDS:
        await ask_kind(turn)
        return
    data.update(kind=code, promised_on=None, competent=None)
    following = {"planned": "ex.date", "not_ours": "ex.competent"}.get(code, "ex.text")
    await turn.goto(following, staff=data)


def _last(turn: Turn) -> date:
    return today(turn) + timedelta(days=turn.services.config.answer_date_horizon_days)


async def ask_date(turn: Turn) -> None:
    day, last = today(turn), _last(turn)
    days = [day + timedelta(days=n) for n in QUICK_DAYS if day + timedelta(days=n) <= last]
    buttons = [Button(day_month(d), f"day:{d.isoformat()}") for d in days]
    turn.say(staff_text("staff-answer-ask-date", last=rules.fmt(last)),
             (tuple(buttons[:3]), tuple(buttons[3:]), (_back(turn),)))


async def on_date(turn: Turn, inp: Input) -> None:
    day = today(turn)
    try:
        if isinstance(inp, Press) and inp.payload.startswith("day:"):
            chosen = date.fromisoformat(inp.payload[4:])
        elif isinstance(inp, Text):
            chosen = rules.parse_date(inp.text, day)
        else:
            await ask_date(turn)
            return
        chosen = rules.check_date(chosen, day, turn.services.config.answer_date_horizon_days)
    except ValueError:  # a forged button
        await ask_date(turn)
        return
    except DomainError as refusal:
        turn.say(sf.refusal(refusal))
        return
    await turn.goto("ex.text", staff={**staff(turn), "promised_on": chosen.isoformat()})


async def ask_competent(turn: Turn) -> None:
    turn.say(staff_text("staff-answer-ask-competent", min=limits.COMPETENT_MIN, max=limits.COMPETENT_MAX), ((_back(turn),),))


async def on_competent(turn: Turn, inp: Input) -> None:
    if not isinstance(inp, Text):
        await ask_competent(turn)
        return
    try:
        who = rules.check_competent(inp.text)
    except DomainError as refusal:
        turn.say(sf.refusal(refusal))
        return
    await turn.goto("ex.text", staff={**staff(turn), "competent": who})


def structure(data: dict) -> rules.Structure:  # type: ignore[type-arg]
    promised = data.get("promised_on")
    return rules.Structure(data.get("kind"), date.fromisoformat(promised) if promised else None,
                           data.get("competent"))


def photo_missing(turn: Turn) -> str | None:
    """The refusal when «Устранено» in a photo-required category has no photo yet."""
    data = staff(turn)
    if data.get("kind") == "fixed" and data.get("photo_required") and not data["photo_ids"]:
        return staff_text("staff-answer-photo-required", category=data.get("category", ""))
    return None


def preview_lines(data: dict) -> str:  # type: ignore[type-arg]
    s = structure(data)
    return "".join(f"{line}\n" for line in rules.summary_lines(s.kind, s.promised_on, s.competent))
