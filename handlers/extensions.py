"""Extending a due date, both sides: an executor asks (reason → working days), a moderator decides."""

from __future__ import annotations

from handlers import limits, menus
from handlers import staff_format as sf
from handlers.cases import extensions as uc
from handlers.dialog import Registry, Turn
from handlers.errors import DomainError, NotFound
from handlers.i18n import staff_text
from handlers.moments import day, moment
from handlers.staff_common import (
    LIST_LIMIT,
    ints,
    leave_step,
    load_signal,
    page_of,
    refusing,
    staff,
    today,
)
from handlers.tasks import back_button, in_work, own_task
from handlers.texts import esc
from handlers.types import Button, Input, Press, Text
from handlers.workdays import add_workdays

registry = Registry("extensions")
DAY_CHOICES = (3, 5, 10, 15, 20, 30)


# ----- moderator: /extensions, a request's card, approve or decline -----
@registry.command("extensions", role="moderator")
@registry.action("exl", role="moderator")
async def extensions(turn: Turn, args: object) -> None:
    leave_step(turn)
    pending = await turn.uow.extensions.pending(LIST_LIMIT)
    if not pending:
        turn.say(staff_text("staff-ext-empty"))
        return
    page = min(page_of(args), menus.page_count(len(pending)) - 1)
    items = [(f"№{signal.number} · +{request.workdays} раб. дн.", f"ex:{request.id}")
             for request, signal in pending]
    turn.say(staff_text("staff-ext-title", count=await turn.uow.extensions.count_pending()),
             sf.pager(items, page, "exl"))


@registry.action("ex", role="moderator")
@refusing
async def extension_card(turn: Turn, args: list[str]) -> None:
    request = await turn.uow.extensions.get(ints(args, 1)[0], fresh=True)
    if request is None:
        raise NotFound()
    signal = await load_signal(turn, request.signal_id)
    requester = await turn.uow.users.by_id(request.requested_by) if request.requested_by else None
    new_due = add_workdays(signal.due_on or today(turn), request.workdays)
    text = staff_text("staff-ext-card",
        number=signal.number, organization=esc(signal.organization.name if signal.organization else "—"),
        executor=esc(sf.display(requester) if requester else "—"), due=sf.due_left(signal.due_on, today(turn)),
        days=request.workdays, new_due=day(new_due), reason=esc(request.reason))
    rows: tuple[tuple[Button, ...], ...] = ((Button(staff_text("staff-btn-ext-approve"), f"exa:{request.id}"),
                                             Button(staff_text("staff-btn-ext-decline"), f"exd:{request.id}")),) \
        if request.status == "pending" else ()
    turn.say(text, (*rows, (Button(staff_text("staff-btn-open-signal"), f"sg:{signal.id}"),), (Button(staff_text("staff-btn-to-list"), "exl:0"),)))


@registry.action("exa", role="moderator")
@refusing
async def approve_extension(turn: Turn, args: list[str]) -> None:
    signal, _ = await uc.decide_extension(turn.services, turn.uow, turn.user, ints(args, 1)[0], True)
    turn.say(staff_text("staff-ext-approved", number=signal.number, due=moment(signal.due_on, turn.services)),
             ((Button(staff_text("staff-btn-to-list"), "exl:0"),),))


@registry.action("exd", role="moderator")
@refusing
async def decline_extension(turn: Turn, args: list[str]) -> None:
    signal, _ = await uc.decide_extension(turn.services, turn.uow, turn.user, ints(args, 1)[0], False)
    turn.say(staff_text("staff-ext-declined", number=signal.number), ((Button(staff_text("staff-btn-to-list"), "exl:0"),),))


# ----- executor: request an extension (reason → working days) -----
@registry.action("ext", role="executor")
@refusing
async def extension_start(turn: Turn, args: list[str]) -> None:
    leave_step(turn)
    signal = await own_task(turn, *ints(args, 1))
    in_work(signal, "in_progress", "answer_review")
    if await turn.uow.extensions.pending_for(signal.id) is not None:
        raise DomainError("staff-ext-already", number=signal.number)
    due = day(signal.due_on)
    await turn.goto("ex.ext_reason", staff={"signal_id": signal.id, "number": signal.number, "due": due})


async def ask_ext_reason(turn: Turn) -> None:
    data = staff(turn)
    turn.say(staff_text("staff-ask-ext-reason", number=data["number"], due=data["due"]), ((back_button(turn),),))


@registry.step("ex.ext_reason", prompt=ask_ext_reason)
async def on_ext_reason(turn: Turn, inp: Input) -> None:
    if not isinstance(inp, Text):
        await ask_ext_reason(turn)
    elif not limits.REASON_MIN <= len(inp.text.strip()) <= limits.REASON_MAX:
        turn.say(staff_text("staff-reason-length", min=limits.REASON_MIN, max=limits.REASON_MAX))
    else:
        await turn.goto("ex.ext_days", staff={**staff(turn), "reason": inp.text.strip()})


async def ask_ext_days(turn: Turn) -> None:
    days = [Button(str(n), f"d:{n}") for n in DAY_CHOICES]
    turn.say(staff_text("staff-ask-ext-days", max=uc.MAX_EXTENSION), (tuple(days[:3]), tuple(days[3:]), (back_button(turn),)))


@registry.step("ex.ext_days", prompt=ask_ext_days)
async def on_ext_days(turn: Turn, inp: Input) -> None:
    raw = inp.payload[2:] if isinstance(inp, Press) and inp.payload.startswith("d:") else \
        inp.text.strip() if isinstance(inp, Text) else ""
    if not raw.isdigit() or not 1 <= int(raw) <= uc.MAX_EXTENSION:
        turn.say(staff_text("staff-ext-days-bad", max=uc.MAX_EXTENSION))
        await ask_ext_days(turn)
        return
    data = staff(turn)
    try:
        await uc.request_extension(turn.services, turn.uow, turn.user, data["signal_id"], data["reason"], int(raw))
    except DomainError as exc:
        leave_step(turn)
        turn.say(sf.refusal(exc))
        return
    leave_step(turn)
    turn.say(staff_text("staff-ext-requested", number=data["number"], days=int(raw)), ((Button(staff_text("staff-btn-to-tasks"), "tkp:0"),),))
