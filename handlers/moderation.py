"""Moderator dialogs: /queue (accept, reject, edit), /review (publish, return), /signal, /extensions."""

from __future__ import annotations

import functools
import re
from collections.abc import Awaitable, Callable
from typing import Any

from handlers import boilerplate, menus, roles
from handlers import staff_texts as st
from handlers import staff_usecases as uc
from handlers.dialog import Turn, action, command, step
from handlers.errors import AlreadyHandled, DomainError, Forbidden, NotFound
from handlers.texts import esc
from handlers.types import Button, Input, Press, Text
from handlers.usecases import moment
from handlers.workdays import add_workdays
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


async def attempt(turn: Turn, use_case: Awaitable[object]) -> bool:
    """Run a staff use case from a dialog step; True when it went through. A lost race or a revoked
    role ends the step with a refusal; any other refusal (bad input) keeps the person on the step."""
    try:
        await use_case
    except (AlreadyHandled, Forbidden) as exc:
        leave_step(turn)
        turn.say(st.refusal(exc))
        return False
    except DomainError as exc:
        turn.say(st.refusal(exc))
        return False
    return True


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
        raise AlreadyHandled(await uc.who_handled(turn.uow, signal.id, uc.MODERATION))


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
    due = add_workdays(today(turn), days).strftime("%d.%m.%Y")
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


async def _typed(turn: Turn, args: list[str], step_name: str) -> None:
    leave_step(turn)
    signal = await load_signal(turn, *ints(args, 1))
    await _still_new(turn, signal)
    await turn.goto(step_name, staff={"signal_id": signal.id, "number": signal.number})


@action("rjd", role="moderator")
@refusing
async def reject_duplicate(turn: Turn, args: list[str]) -> None:
    await _typed(turn, args, "mod.duplicate")


@action("rjo", role="moderator")
@refusing
async def reject_own(turn: Turn, args: list[str]) -> None:
    await _typed(turn, args, "mod.reason")


async def ask_duplicate(turn: Turn) -> None:
    number = staff(turn)["number"]
    turn.say(st.ASK_DUPLICATE.format(number=number, example=f"{number[:4]}-000123"),
             ((st.back_to(f"rej:{staff(turn)['signal_id']}"),),))


async def ask_reason(turn: Turn) -> None:
    turn.say(st.ASK_REASON.format(number=staff(turn)["number"], min=st.REASON_MIN, max=st.REASON_MAX),
             ((st.back_to(f"rej:{staff(turn)['signal_id']}"),),))


def signal_number(raw: str, year: str) -> str:
    """«№ 2025-123», «2025-000123» or «123» (this year) → 2025-000123."""
    raw = raw.strip().lstrip("№").strip()
    full = re.fullmatch(r"(\d{4})-(\d{1,6})", raw)
    if full:
        return f"{full.group(1)}-{int(full.group(2)):06d}"
    return f"{year}-{int(raw):06d}" if raw.isdigit() and len(raw) <= 6 else raw


@step("mod.duplicate", prompt=ask_duplicate)
async def on_duplicate(turn: Turn, inp: Input) -> None:
    data = staff(turn)
    if not isinstance(inp, Text):
        await ask_duplicate(turn)
        return
    await _typed_reject(turn, data, "duplicate", signal_number(inp.text, data["number"][:4]))


@step("mod.reason", prompt=ask_reason)
async def on_reason(turn: Turn, inp: Input) -> None:
    if not isinstance(inp, Text):
        await ask_reason(turn)
        return
    await _typed_reject(turn, staff(turn), "own", inp.text)


async def _typed_reject(turn: Turn, data: dict[str, Any], code: str, detail: str) -> None:
    await attempt(turn, _rejected(turn, data["signal_id"], code, detail))


# ----- change category / municipality -----
@action("edc", role="moderator")
@refusing
async def choose_category(turn: Turn, args: list[str]) -> None:
    signal = await load_signal(turn, *ints(args, 1))
    await _still_new(turn, signal)
    items = [(c.name, f"ecs:{signal.id}:{c.id}") for c in await turn.uow.catalog.categories()]
    turn.say(st.CHOOSE_CATEGORY.format(number=signal.number, current=esc(signal.category.name)),
             st.pager(items, page_of(args[1:]), f"edc:{signal.id}", st.back_to(f"mc:{signal.id}")))


@action("edm", role="moderator")
@refusing
async def choose_municipality(turn: Turn, args: list[str]) -> None:
    signal = await load_signal(turn, *ints(args, 1))
    await _still_new(turn, signal)
    items = [(m.name, f"ems:{signal.id}:{m.id}") for m in await turn.uow.catalog.municipalities()]
    turn.say(st.CHOOSE_MUNICIPALITY.format(number=signal.number, current=esc(signal.municipality.name)),
             st.pager(items, page_of(args[1:]), f"edm:{signal.id}", st.back_to(f"mc:{signal.id}")))


@action("ecs", role="moderator")
@refusing
async def set_category(turn: Turn, args: list[str]) -> None:
    signal_id, category_id = ints(args, 2)
    await uc.edit(turn.services, turn.uow, turn.user, signal_id, category_id=category_id)
    signal = await load_signal(turn, signal_id)
    turn.say(st.CATEGORY_CHANGED.format(number=signal.number, value=esc(signal.category.name)))
    await moderation_card(turn, [str(signal_id)])


@action("ems", role="moderator")
@refusing
async def set_municipality(turn: Turn, args: list[str]) -> None:
    signal_id, municipality_id = ints(args, 2)
    await uc.edit(turn.services, turn.uow, turn.user, signal_id, municipality_id=municipality_id)
    signal = await load_signal(turn, signal_id)
    turn.say(st.MUNICIPALITY_CHANGED.format(number=signal.number, value=esc(signal.municipality.name)))
    await moderation_card(turn, [str(signal_id)])


# ----- /signal N: full card with history -----
@command("signal", role="moderator")
@refusing
async def signal_command(turn: Turn, args: str) -> None:
    leave_step(turn)
    if not args.strip():
        turn.say(st.SIGNAL_USAGE)
        return
    year = str(turn.services.now().astimezone(turn.services.config.tz).year)
    signal = await turn.uow.signals.by_number(signal_number(args.split()[0], year))
    if signal is None:
        raise NotFound()
    await full_card(turn, await load_signal(turn, signal.id))


@action("sg", role="moderator")
@refusing
async def signal_action(turn: Turn, args: list[str]) -> None:
    leave_step(turn)
    await full_card(turn, await load_signal(turn, *ints(args, 1)))


async def full_card(turn: Turn, signal: Signal) -> None:
    text, trimmed = await card_text(turn, signal, limit=900)
    org = signal.organization.name if signal.organization else "—"
    text += st.STAFF_EXTRA.format(organization=esc(org), due=st.due_left(signal.due_on, today(turn)))
    if signal.reject_reason:
        text += st.REJECT_REASON.format(reason=esc(st.trim(signal.reject_reason, 500)[0]))
    published = await q.latest_answer(turn.uow.session, signal.id, ("published",))
    if published is not None:
        text += st.PUBLISHED_ANSWER.format(organization=esc(org), text=esc(st.trim(published.text, 700)[0]))
    text += await history(turn, signal.id)
    rows: list[tuple[Button, ...]] = list(moderation_buttons(signal)) if signal.status == "new" else []
    pending = await q.latest_answer(turn.uow.session, signal.id, ("pending",))
    if pending is not None:
        rows.append((Button(st.CHECK_ANSWER, f"rv:{pending.id}"),))
    if trimmed:
        rows.append((Button(st.FULL_TEXT, f"ft:{signal.id}"),))
    turn.say(text, tuple(rows), photos=tuple(p.photo_id for p in signal.photos))


async def history(turn: Turn, signal_id: int, keep: int = 12) -> str:
    events = list(await turn.uow.signals.history(signal_id))[-keep:]
    if not events:
        return ""
    who = await q.names(turn.uow.session, (e.actor_id for e in events))
    lines = []
    for e in events:
        actor = f" ({esc(who[e.actor_id])})" if e.actor_id in who else ""
        details = _details(e.details or {})
        lines.append(st.HISTORY_LINE.format(when=moment(e.created_at, turn.services),
                                            action=st.AUDIT.get(e.action, e.action), actor=actor,
                                            details=f": {esc(details)}" if details else ""))
    return st.HISTORY_TITLE + "\n" + "\n".join(lines)


def _details(details: dict[str, Any]) -> str:
    parts = [str(details[k]) for k in ("organization", "reason", "comment", "new_due") if details.get(k)]
    if details.get("reasons"):
        parts.insert(0, ", ".join(st.RETURN_LABELS.get(r, r) for r in details["reasons"]))
    return st.trim(" · ".join(parts), 100)[0]


# ----- /review -----
@command("review", role="moderator")
@action("rvl", role="moderator")
async def review_list(turn: Turn, args: object) -> None:
    leave_step(turn)
    pending = await q.pending_answers(turn.uow.session, LIST_LIMIT)
    if not pending:
        turn.say(st.REVIEW_EMPTY)
        return
    page = min(page_of(args), menus.page_count(len(pending)) - 1)
    orgs = {o.id: o.name for o in await turn.uow.catalog.organizations()}
    lines = [st.REVIEW_TITLE.format(count=await q.count_pending_answers(turn.uow.session))]
    for answer, signal in pending[page * menus.PER_PAGE:(page + 1) * menus.PER_PAGE]:
        organization = esc(orgs.get(answer.organization_id or 0, "—"))
        lines.append(st.REVIEW_LINE.format(number=signal.number, organization=organization,
                                           due=st.due_left(signal.due_on, today(turn))))
    items = [(f"№{signal.number}", f"rv:{answer.id}") for answer, signal in pending]
    turn.say("\n".join(lines), st.pager(items, page, "rvl"))


async def _pending_answer(turn: Turn, answer_id: int) -> Answer:
    answer = await turn.uow.session.get(Answer, answer_id, populate_existing=True)
    if answer is None:
        raise NotFound()
    if answer.review_status != "pending":
        reviewer = await turn.uow.users.by_id(answer.reviewer_id) if answer.reviewer_id else None
        raise AlreadyHandled(q.display(reviewer) if reviewer else None)
    return answer


@action("rv", role="moderator")
@refusing
async def review_card(turn: Turn, args: list[str]) -> None:
    leave_step(turn)
    answer = await _pending_answer(turn, *ints(args, 1))
    signal = await load_signal(turn, answer.signal_id)
    similar = await boilerplate.check_answer(turn.uow.session, answer)
    warning = st.BOILERPLATE_WARNING.format(percent=round(similar.best * 100), matches=similar.matches) \
        if similar.is_boilerplate else ""
    author = await turn.uow.users.by_id(answer.author_id) if answer.author_id else None
    org = await turn.uow.catalog.organization(answer.organization_id) if answer.organization_id else None
    description = st.trim(signal.description, 600)[0]
    body, trimmed = st.trim(answer.text, st.ANSWER_ON_CARD)
    text = st.REVIEW_CARD.format(
        number=signal.number, version=answer.version, municipality=esc(signal.municipality.name),
        category=esc(signal.category.name), executor=esc(q.display(author) if author else "—"),
        organization=esc(org.name if org else "—"), due=st.due_left(signal.due_on, today(turn)),
        warning=warning, description=esc(description), photos=len(answer.photos) or "нет", text=esc(body))
    rows = [(Button(st.PUBLISH, f"pub:{answer.id}"), Button(st.RETURN, f"ret:{answer.id}"))]
    if trimmed:
        rows.append((Button(st.FULL_ANSWER, f"fa:{answer.id}"),))
    rows += [(Button(st.OPEN_SIGNAL, f"sg:{signal.id}"),), (Button(st.TO_LIST, "rvl:0"),)]
    turn.say(text, tuple(rows), photos=tuple(p.photo_id for p in answer.photos))


@action("fa")
@refusing
async def full_answer(turn: Turn, args: list[str]) -> None:
    answer = await turn.uow.session.get(Answer, ints(args, 1)[0])
    if answer is None:
        raise NotFound()
    await may_read(turn, answer.organization_id)
    turn.say(esc(answer.text))


@action("pub", role="moderator")
@refusing
async def publish(turn: Turn, args: list[str]) -> None:
    leave_step(turn)
    (answer_id,) = ints(args, 1)
    signal, told = await uc.publish_answer(turn.services, turn.uow, turn.user, answer_id)
    turn.say(st.PUBLISHED.format(number=signal.number, count=told), ((Button(st.TO_LIST, "rvl:0"),),))


@action("ret", role="moderator")
@refusing
async def return_start(turn: Turn, args: list[str]) -> None:
    leave_step(turn)
    answer = await _pending_answer(turn, *ints(args, 1))
    signal = await load_signal(turn, answer.signal_id)
    await turn.goto("mod.return", staff={"answer_id": answer.id, "number": signal.number, "reasons": [],
                                         "comment": None})


async def ask_return(turn: Turn) -> None:
    data = staff(turn)
    chosen = [st.RETURN_LABELS[r] for r in data["reasons"]]
    buttons = [Button(("✓ " if code in data["reasons"] else "") + label, f"rr:{code}")
               for code, label in st.RETURN_LABELS.items()]
    turn.say(st.RETURN_PROMPT.format(number=data["number"], chosen=esc(", ".join(chosen) or st.NOTHING_CHOSEN),
                                     comment=esc(data["comment"] or st.NO_COMMENT)),
             (tuple(buttons[:2]), tuple(buttons[2:]), (Button(st.RETURN_SEND, "rrsend"),),
              (st.back_to(f"rv:{data['answer_id']}"),)))


@step("mod.return", prompt=ask_return)
async def on_return(turn: Turn, inp: Input) -> None:
    data = staff(turn)
    if isinstance(inp, Press) and inp.payload.startswith("rr:") and inp.payload[3:] in st.RETURN_LABELS:
        code = inp.payload[3:]
        data["reasons"] = [r for r in data["reasons"] if r != code] if code in data["reasons"] \
            else [*data["reasons"], code]
        turn.set(staff=data)
    elif isinstance(inp, Text):
        if len(inp.text.strip()) > st.REASON_MAX:
            turn.say(st.COMMENT_LENGTH.format(max=st.REASON_MAX))
        else:
            turn.set(staff={**data, "comment": inp.text.strip() or None})
    elif isinstance(inp, Press) and inp.payload == "rrsend":
        if await attempt(turn, uc.return_answer(turn.services, turn.uow, turn.user, data["answer_id"],
                                                data["reasons"], data["comment"])):
            leave_step(turn)
            turn.say(st.RETURNED.format(number=data["number"]), ((Button(st.TO_LIST, "rvl:0"),),))
        if turn.state.step != "mod.return":
            return
    await ask_return(turn)


# ----- extension requests -----
@command("extensions", role="moderator")
@action("exl", role="moderator")
async def extensions(turn: Turn, args: object) -> None:
    leave_step(turn)
    pending = await q.pending_extensions(turn.uow.session, LIST_LIMIT)
    if not pending:
        turn.say(st.EXT_EMPTY)
        return
    page = min(page_of(args), menus.page_count(len(pending)) - 1)
    items = [(f"№{signal.number} · +{request.workdays} раб. дн.", f"ex:{request.id}")
             for request, signal in pending]
    turn.say(st.EXT_TITLE.format(count=await q.count_pending_extensions(turn.uow.session)),
             st.pager(items, page, "exl"))


@action("ex", role="moderator")
@refusing
async def extension_card(turn: Turn, args: list[str]) -> None:
    request = await turn.uow.session.get(ExtensionRequest, ints(args, 1)[0], populate_existing=True)
    if request is None:
        raise NotFound()
    signal = await load_signal(turn, request.signal_id)
    requester = await turn.uow.users.by_id(request.requested_by) if request.requested_by else None
    new_due = add_workdays(signal.due_on or today(turn), request.workdays)
    text = st.EXT_CARD.format(
        number=signal.number, organization=esc(signal.organization.name if signal.organization else "—"),
        executor=esc(q.display(requester) if requester else "—"), due=st.due_left(signal.due_on, today(turn)),
        days=request.workdays, new_due=new_due.strftime("%d.%m.%Y"), reason=esc(request.reason))
    rows: tuple[tuple[Button, ...], ...] = ((Button(st.EXT_APPROVE, f"exa:{request.id}"),
                                             Button(st.EXT_DECLINE, f"exd:{request.id}")),) \
        if request.status == "pending" else ()
    turn.say(text, (*rows, (Button(st.OPEN_SIGNAL, f"sg:{signal.id}"),), (Button(st.TO_LIST, "exl:0"),)))


@action("exa", role="moderator")
@refusing
async def approve_extension(turn: Turn, args: list[str]) -> None:
    signal, _ = await uc.decide_extension(turn.services, turn.uow, turn.user, ints(args, 1)[0], True)
    turn.say(st.EXT_APPROVED.format(number=signal.number, due=moment(signal.due_on, turn.services)),
             ((Button(st.TO_LIST, "exl:0"),),))


@action("exd", role="moderator")
@refusing
async def decline_extension(turn: Turn, args: list[str]) -> None:
    signal, _ = await uc.decide_extension(turn.services, turn.uow, turn.user, ints(args, 1)[0], False)
    turn.say(st.EXT_DECLINED.format(number=signal.number), ((Button(st.TO_LIST, "exl:0"),),))


# ----- admins: /grant, /revoke -----
@command("grant", role="admin")
@refusing
async def grant(turn: Turn, args: str) -> None:
    await _change_role(turn, args, granting=True)


@command("revoke", role="admin")
@refusing
async def revoke(turn: Turn, args: str) -> None:
    await _change_role(turn, args, granting=False)


async def _change_role(turn: Turn, args: str, *, granting: bool) -> None:
    parts = args.split(maxsplit=2)
    if len(parts) < 2:
        turn.say(st.GRANT_USAGE)
        return
    role, who, org_name = parts[0].lower(), parts[1].lower(), parts[2] if len(parts) > 2 else None
    if role not in roles.ROLES:
        raise DomainError(st.UNKNOWN_ROLE.format(role=esc(role)))
    try:
        channel, external_id = roles.parse_identity(who)
    except DomainError:
        raise DomainError(st.BAD_IDENTITY) from None
    org = await q.organization_named(turn.uow.session, org_name) if org_name else None
    if org_name and org is None:
        known = ", ".join(o.name for o in await turn.uow.catalog.organizations()) or "—"
        raise NotFound(st.ORG_UNKNOWN.format(name=esc(org_name), known=esc(st.trim(known, 1500)[0])))
    name = org.name if org else None
    suffix = st.ORG_SUFFIX.format(organization=esc(name)) if name else ""
    if granting:
        if role == "executor" and org is None:
            raise DomainError(st.NEED_ORG)
        await roles.grant(turn.uow, who, role, name, actor_id=turn.user.id)
        turn.say(st.GRANTED.format(who=esc(who), role=st.ROLE_NAMES[role], org=suffix))
        return
    if role == "admin" and (channel, external_id) == (turn.user.channel, turn.user.external_id):
        raise DomainError(st.SELF_REVOKE)
    if await turn.uow.users.get(channel, external_id) is None:
        raise NotFound(st.NOBODY.format(who=esc(who)))
    await roles.revoke(turn.uow, who, role, name, actor_id=turn.user.id)
    turn.say(st.REVOKED.format(who=esc(who), role=st.ROLE_NAMES[role], org=suffix))
