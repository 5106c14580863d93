"""Moderators' queue: /queue, a new signal's card, accept (route), reject with a reason, correct it."""

from __future__ import annotations

from typing import Any

from handlers import limits, menus
from handlers import staff_format as sf
from handlers.cases import queue as uc
from handlers.cases.staff_rules import MODERATION, who_handled
from handlers.dialog import Registry, Turn
from handlers.errors import AlreadyHandled, NotFound
from handlers.i18n import staff_text
from handlers.moments import day
from handlers.signal_card import card_text, full_card, moderation_buttons
from handlers.staff_common import (
    LIST_LIMIT,
    attempt,
    ints,
    leave_step,
    load_signal,
    page_of,
    refusing,
    signal_number,
    staff,
    today,
)
from handlers.texts import esc
from handlers.types import Button, Input, Text
from handlers.workdays import add_workdays
from storage.models import Signal

registry = Registry("queue")


@registry.command("queue", role="moderator")
@registry.action("q", role="moderator")
async def queue(turn: Turn, args: object) -> None:
    leave_step(turn)
    count = await turn.uow.signals.count_status("new")
    if not count:
        turn.say(staff_text("staff-queue-empty"))
        return
    signals = await turn.uow.signals.with_status("new", limit=LIST_LIMIT)
    page = min(page_of(args), menus.page_count(len(signals)) - 1)
    now = turn.services.now()
    lines = [staff_text("staff-queue-title", count=count, answers=await turn.uow.answers.count_pending(),
                                   extensions=await turn.uow.extensions.count_pending())]
    for sig in signals[page * menus.PER_PAGE:(page + 1) * menus.PER_PAGE]:
        lines.append(staff_text("staff-queue-line", number=sig.number, municipality=esc(sig.municipality.name),
                                          category=esc(sig.category.name), age=sf.age(sig.created_at, now)))
    items = [(f"№{sig.number} · {sig.municipality.name}", f"mc:{sig.id}") for sig in signals]
    turn.say("\n".join(lines), sf.pager(items, page, "q"))


@registry.action("mc", role="moderator")
@refusing
async def moderation_card(turn: Turn, args: list[str]) -> None:
    leave_step(turn)
    signal = await load_signal(turn, *ints(args, 1))
    if signal.status != "new":
        await full_card(turn, signal)
        return
    text, trimmed = await card_text(turn, signal)
    rows = list(moderation_buttons(signal))
    if trimmed:
        rows.append((Button(staff_text("staff-btn-full-text"), f"ft:{signal.id}"),))
    rows.append((Button(staff_text("staff-btn-to-queue"), "q:0"),))
    turn.say(text, tuple(rows), photos=tuple(p.photo_id for p in signal.photos))


async def _still_new(turn: Turn, signal: Signal) -> None:
    if signal.status != "new":
        raise AlreadyHandled(await who_handled(turn.uow, signal.id, MODERATION))


# ----- accept -----
@registry.action("acc", role="moderator")
@refusing
async def accept_start(turn: Turn, args: list[str]) -> None:
    leave_step(turn)
    signal = await load_signal(turn, *ints(args, 1))
    await _still_new(turn, signal)
    org = await turn.uow.catalog.route(signal.municipality_id, signal.category_id)
    if org is None:
        turn.say(staff_text("staff-accept-no-route", municipality=esc(signal.municipality.name),
                                           category=esc(signal.category.name)))
        await organizations(turn, [str(signal.id), "0"])
        return
    days = turn.services.config.deadline_workdays
    due = day(add_workdays(today(turn), days))
    turn.say(staff_text("staff-accept-confirm", number=signal.number, organization=esc(org.name), due=due, days=days), (
        (Button(menus.label(staff_text("staff-btn-accept-to", organization=org.name)), f"aco:{signal.id}:{org.id}"),),
        (Button(staff_text("staff-btn-other-organization"), f"acl:{signal.id}:0"),),
        (sf.back_to(f"mc:{signal.id}"),)))


@registry.action("acl", role="moderator")
@refusing
async def organizations(turn: Turn, args: list[str]) -> None:
    signal_id, page = ints(args, 1)[0], page_of(args[1:])
    signal = await load_signal(turn, signal_id)
    orgs = await turn.uow.catalog.organizations()
    if not orgs:
        turn.say(staff_text("staff-no-orgs"))
        return
    items = [(o.name, f"aco:{signal.id}:{o.id}") for o in orgs]
    turn.say(staff_text("staff-choose-org", number=signal.number),
             sf.pager(items, page, f"acl:{signal.id}", sf.back_to(f"mc:{signal.id}")))


@registry.action("aco", role="moderator")
@refusing
async def accept(turn: Turn, args: list[str]) -> None:
    signal_id, organization_id = ints(args, 2)
    done = await uc.accept(turn.services, turn.uow, turn.user, signal_id, organization_id)
    text = staff_text("staff-accepted", number=done.number, organization=esc(done.organization),
                              due=day(done.due_on), executors=done.executors)
    if not done.executors:
        text += staff_text("staff-no-executors", organization=esc(done.organization))
    turn.say(text, ((Button(staff_text("staff-btn-to-queue"), "q:0"),),))


# ----- reject -----
@registry.action("rej", role="moderator")
@refusing
async def reject_start(turn: Turn, args: list[str]) -> None:
    leave_step(turn)
    signal = await load_signal(turn, *ints(args, 1))
    await _still_new(turn, signal)
    sid = signal.id
    labels = {code: staff_text(f"staff-btn-reject-labels.{code}") for code in limits.REJECT_CODES}
    turn.say(staff_text("staff-reject-choose", number=signal.number), (
        (Button(labels["vague"], f"rjt:{sid}:vague"), Button(labels["competence"], f"rjt:{sid}:competence")),
        (Button(labels["abuse"], f"rjt:{sid}:abuse"), Button(labels["duplicate"], f"rjd:{sid}")),
        (Button(labels["own"], f"rjo:{sid}"),),
        (sf.back_to(f"mc:{sid}"),)))


@registry.action("rjt", role="moderator")
@refusing
async def reject_template(turn: Turn, args: list[str]) -> None:
    (signal_id,) = ints(args, 1)
    code = args[1] if len(args) > 1 and args[1] in ("vague", "competence", "abuse") else None
    if code is None:
        raise NotFound()
    await _rejected(turn, signal_id, code, None)


async def _rejected(turn: Turn, signal_id: int, code: str, detail: str | None) -> None:
    signal = await load_signal(turn, signal_id)
    reason = await uc.reject(turn.services, turn.uow, turn.user, signal_id, code, detail)
    leave_step(turn)
    turn.say(staff_text("staff-rejected", number=signal.number, reason=esc(reason)), ((Button(staff_text("staff-btn-to-queue"), "q:0"),),))


async def _typed(turn: Turn, args: list[str], step_name: str) -> None:
    leave_step(turn)
    signal = await load_signal(turn, *ints(args, 1))
    await _still_new(turn, signal)
    await turn.goto(step_name, staff={"signal_id": signal.id, "number": signal.number})


@registry.action("rjd", role="moderator")
@refusing
async def reject_duplicate(turn: Turn, args: list[str]) -> None:
    await _typed(turn, args, "mod.duplicate")


@registry.action("rjo", role="moderator")
@refusing
async def reject_own(turn: Turn, args: list[str]) -> None:
    await _typed(turn, args, "mod.reason")


async def ask_duplicate(turn: Turn) -> None:
    number = staff(turn)["number"]
    turn.say(staff_text("staff-ask-duplicate", number=number, example=f"{number[:4]}-000123"),
             ((sf.back_to(f"rej:{staff(turn)['signal_id']}"),),))


async def ask_reason(turn: Turn) -> None:
    turn.say(staff_text("staff-ask-reason", number=staff(turn)["number"], min=limits.REASON_MIN, max=limits.REASON_MAX),
             ((sf.back_to(f"rej:{staff(turn)['signal_id']}"),),))


@registry.step("mod.duplicate", prompt=ask_duplicate)
async def on_duplicate(turn: Turn, inp: Input) -> None:
    data = staff(turn)
    if not isinstance(inp, Text):
        await ask_duplicate(turn)
        return
    await _typed_reject(turn, data, "duplicate", signal_number(inp.text, data["number"][:4]))


@registry.step("mod.reason", prompt=ask_reason)
async def on_reason(turn: Turn, inp: Input) -> None:
    if not isinstance(inp, Text):
        await ask_reason(turn)
        return
    await _typed_reject(turn, staff(turn), "own", inp.text)


async def _typed_reject(turn: Turn, data: dict[str, Any], code: str, detail: str) -> None:
    await attempt(turn, _rejected(turn, data["signal_id"], code, detail))


# ----- change category / municipality -----
@registry.action("edc", role="moderator")
@refusing
async def choose_category(turn: Turn, args: list[str]) -> None:
    signal = await load_signal(turn, *ints(args, 1))
    await _still_new(turn, signal)
    items = [(c.name, f"ecs:{signal.id}:{c.id}") for c in await turn.uow.catalog.categories()]
    turn.say(staff_text("staff-choose-category", number=signal.number, current=esc(signal.category.name)),
             sf.pager(items, page_of(args[1:]), f"edc:{signal.id}", sf.back_to(f"mc:{signal.id}")))


@registry.action("edm", role="moderator")
@refusing
async def choose_municipality(turn: Turn, args: list[str]) -> None:
    signal = await load_signal(turn, *ints(args, 1))
    await _still_new(turn, signal)
    items = [(m.name, f"ems:{signal.id}:{m.id}") for m in await turn.uow.catalog.municipalities()]
    turn.say(staff_text("staff-choose-municipality", number=signal.number, current=esc(signal.municipality.name)),
             sf.pager(items, page_of(args[1:]), f"edm:{signal.id}", sf.back_to(f"mc:{signal.id}")))


@registry.action("ecs", role="moderator")
@refusing
async def set_category(turn: Turn, args: list[str]) -> None:
    signal_id, category_id = ints(args, 2)
    await uc.edit(turn.services, turn.uow, turn.user, signal_id, category_id=category_id)
    signal = await load_signal(turn, signal_id)
    turn.say(staff_text("staff-category-changed", number=signal.number, value=esc(signal.category.name)))
    await moderation_card(turn, [str(signal_id)])


@registry.action("ems", role="moderator")
@refusing
async def set_municipality(turn: Turn, args: list[str]) -> None:
    signal_id, municipality_id = ints(args, 2)
    await uc.edit(turn.services, turn.uow, turn.user, signal_id, municipality_id=municipality_id)
    signal = await load_signal(turn, signal_id)
    turn.say(staff_text("staff-municipality-changed", number=signal.number, value=esc(signal.municipality.name)))
    await moderation_card(turn, [str(signal_id)])
