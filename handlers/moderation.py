"""Moderator dialogs: /queue (accept, reject, edit), /review (publish, return), /signal, /extensions."""

from __future__ import annotations

import functools
import re
from collections.abc import Awaitable, Callable
from typing import Any

from handlers import boilerplate, menus
from handlers import staff_texts as st
from handlers import staff_usecases as uc
from handlers.dialog import Turn, action, command, step
from handlers.errors import AlreadyHandled, DomainError, Forbidden, NotFound
from handlers.texts import esc
from handlers.types import Button, Input, Press, Text
from handlers.usecases import moment
from storage import staff_queries as q
from storage.models import Answer, ExtensionRequest, Signal

Handler = Callable[[Turn, Any], Awaitable[None]]
LIST_LIMIT = 60


# ----- helpers shared with the executor dialogs -----
def refusing(fn: Handler) -> Handler:
    """Turn a refused action (DomainError) into a polite reply; nothing was written."""

    @functools.wraps(fn)
    async def wrapper(turn: Turn, args: Any) -> None:
        try:
            await fn(turn, args)
        except DomainError as exc:
            turn.say(st.refusal(exc))

    return wrapper


def ints(args: object, count: int) -> list[int]:
    """The first `count` payload arguments as ids (a malformed payload is simply «not found»)."""
    values = list(args) if isinstance(args, list) else []
    if len(values) < count or not all(v.isdigit() for v in values[:count]):
        raise NotFound()
    return [int(v) for v in values[:count]]


def page_of(args: object) -> int:
    return int(args[0]) if isinstance(args, list) and args and args[0].isdigit() else 0


def leave_step(turn: Turn) -> None:
    """Drop an unfinished staff step (a new staff command or card replaces it)."""
    if turn.state.step.startswith(("mod.", "ex.")):
        turn.state.step = "idle"
    turn.drop("staff")


def staff(turn: Turn) -> dict[str, Any]:
    return dict(turn.data.get("staff") or {})


def today(turn: Turn):  # type: ignore[no-untyped-def]
    return turn.services.now().astimezone(turn.services.config.tz).date()


async def load_signal(turn: Turn, signal_id: int) -> Signal:
    signal = await turn.uow.signals.get(signal_id)
    if signal is None:
        raise NotFound()
    return signal


async def may_read(turn: Turn, organization_id: int | None) -> None:
    """Moderators read everything; executors only their organizations' signals."""
    if turn.has_role("moderator"):
        return
    if turn.has_role("executor") and organization_id in {m.organization_id for m in turn.user.memberships}:
        return
    raise Forbidden()


# ----- /queue -----
@command("queue", role="moderator")
@action("q", role="moderator")
async def queue(turn: Turn, args: object) -> None:
    leave_step(turn)
    s = turn.uow.session
    count = await turn.uow.signals.count_status("new")
    if not count:
        turn.say(st.QUEUE_EMPTY)
        return
    signals = await turn.uow.signals.with_status("new", limit=LIST_LIMIT)
    page = min(page_of(args), menus.page_count(len(signals)) - 1)
    now = turn.services.now()
    lines = [st.QUEUE_TITLE.format(count=count, answers=await q.count_pending_answers(s),
                                   extensions=await q.count_pending_extensions(s))]
    for sig in signals[page * menus.PER_PAGE:(page + 1) * menus.PER_PAGE]:
        lines.append(st.QUEUE_LINE.format(number=sig.number, municipality=esc(sig.municipality.name),
                                          category=esc(sig.category.name), age=st.age(sig.created_at, now)))
    items = [(f"№{sig.number} · {sig.municipality.name}", f"mc:{sig.id}") for sig in signals]
    turn.say("\n".join(lines), st.pager(items, page, "q"))


def moderation_buttons(signal: Signal) -> tuple[tuple[Button, ...], ...]:
    return ((Button(st.ACCEPT, f"acc:{signal.id}"), Button(st.REJECT, f"rej:{signal.id}")),
            (Button(st.EDIT_CATEGORY, f"edc:{signal.id}"), Button(st.EDIT_MUNICIPALITY, f"edm:{signal.id}")))


async def card_text(turn: Turn, signal: Signal, limit: int = st.DESCRIPTION_ON_CARD) -> tuple[str, bool]:
    description, trimmed = st.trim(signal.description, limit)
    earlier = await q.earlier_signals_of(turn.uow.session, signal)
    author = st.AUTHOR_GONE if signal.author_id is None else (
        st.AUTHOR_EARLIER.format(count=earlier) if earlier else st.AUTHOR_FIRST)
    text = st.MOD_CARD.format(
        number=signal.number, status=st.status_name(signal.status), municipality=esc(signal.municipality.name),
        category=esc(signal.category.name), created=moment(signal.created_at, turn.services),
        age=st.age(signal.created_at, turn.services.now()), place=st.place(signal),
        photos=len(signal.photos) or "нет", author=author, description=esc(description))
    return text, trimmed


@action("mc", role="moderator")
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
        rows.append((Button(st.FULL_TEXT, f"ft:{signal.id}"),))
    rows.append((Button(st.TO_QUEUE, "q:0"),))
    turn.say(text, tuple(rows), photos=tuple(p.photo_id for p in signal.photos))


@action("ft")
@refusing
async def full_text(turn: Turn, args: list[str]) -> None:
    signal = await load_signal(turn, *ints(args, 1))
    await may_read(turn, signal.organization_id)
    turn.say(f"<b>№{signal.number}</b>\n\n{esc(signal.description)}")


async def _still_new(turn: Turn, signal: Signal) -> None:
    if signal.status != "new":
        raise AlreadyHandled(await uc._who(turn.uow, signal.id, uc.MODERATION))


# ----- accept -----
@action("acc", role="moderator")
@refusing
async def accept_start(turn: Turn, args: list[str]) -> None:
    leave_step(turn)
    signal = await load_signal(turn, *ints(args, 1))
    await _still_new(turn, signal)
    org = await turn.uow.catalog.route(signal.municipality_id, signal.category_id)
    if org is None:
        turn.say(st.ACCEPT_NO_ROUTE.format(municipality=esc(signal.municipality.name),
                                           category=esc(signal.category.name)))
        await organizations(turn, [str(signal.id), "0"])
        return
    days = turn.services.config.deadline_workdays
    due = uc.add_workdays(today(turn), days).strftime("%d.%m.%Y")
    turn.say(st.ACCEPT_CONFIRM.format(number=signal.number, organization=esc(org.name), due=due, days=days), (
        (Button(menus.label(st.ACCEPT_TO.format(organization=org.name)), f"aco:{signal.id}:{org.id}"),),
        (Button(st.OTHER_ORGANIZATION, f"acl:{signal.id}:0"),),
        (st.back_to(f"mc:{signal.id}"),)))


@action("acl", role="moderator")
@refusing
async def organizations(turn: Turn, args: list[str]) -> None:
    signal_id, page = ints(args, 1)[0], page_of(args[1:])
    signal = await load_signal(turn, signal_id)
    orgs = await turn.uow.catalog.organizations()
    if not orgs:
        turn.say(st.NO_ORGS)
        return
    items = [(o.name, f"aco:{signal.id}:{o.id}") for o in orgs]
    turn.say(st.CHOOSE_ORG.format(number=signal.number),
             st.pager(items, page, f"acl:{signal.id}", st.back_to(f"mc:{signal.id}")))


@action("aco", role="moderator")
@refusing
async def accept(turn: Turn, args: list[str]) -> None:
    signal_id, organization_id = ints(args, 2)
    done = await uc.accept(turn.services, turn.uow, turn.user, signal_id, organization_id)
    text = st.ACCEPTED.format(number=done.number, organization=esc(done.organization),
                              due=done.due_on.strftime("%d.%m.%Y"), executors=done.executors)
    if not done.executors:
        text += st.NO_EXECUTORS.format(organization=esc(done.organization))
    turn.say(text, ((Button(st.TO_QUEUE, "q:0"),),))


# ----- reject -----
@action("rej", role="moderator")
@refusing
async def reject_start(turn: Turn, args: list[str]) -> None:
    leave_step(turn)
    signal = await load_signal(turn, *ints(args, 1))
    await _still_new(turn, signal)
    sid, labels = signal.id, st.REJECT_LABELS
    turn.say(st.REJECT_CHOOSE.format(number=signal.number), (
        (Button(labels["vague"], f"rjt:{sid}:vague"), Button(labels["competence"], f"rjt:{sid}:competence")),
        (Button(labels["abuse"], f"rjt:{sid}:abuse"), Button(labels["duplicate"], f"rjd:{sid}")),
        (Button(labels["own"], f"rjo:{sid}"),),
        (st.back_to(f"mc:{sid}"),)))


@action("rjt", role="moderator")
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
    turn.say(st.REJECTED.format(number=signal.number, reason=esc(reason)), ((Button(st.TO_QUEUE, "q:0"),),))


@action("rjd", role="moderator")
@action("rjo", role="moderator")
@refusing
async def reject_typed(turn: Turn, args: list[str]) -> None:
    leave_step(turn)
    signal = await load_signal(turn, *ints(args, 1))
    await _still_new(turn, signal)
    kind = "mod.duplicate" if turn.data.get("_menu") is None or True else ""
    del kind
    await turn.goto(_typed_step(turn), staff={"signal_id": signal.id, "number": signal.number})


def _typed_step(turn: Turn) -> str:
    return "mod.duplicate" if turn.state.data.get("_pressed") == "rjd" else "mod.reason"
