"""Executor dialogs: /tasks, answering a task (text → photos → preview → review), requesting an extension."""

from __future__ import annotations

from handlers import menus
from handlers import staff_texts as st
from handlers import staff_usecases as uc
from handlers.dialog import Turn, action, command, step
from handlers.errors import DomainError, Forbidden
from handlers.moderation import attempt, ints, leave_step, load_signal, page_of, refusing, staff, today
from handlers.texts import DONE, SKIP, esc
from handlers.types import Button, Input, Press, StoredPhotos, Text
from storage import staff_queries as q
from storage.models import Answer, Signal

DAY_CHOICES = (3, 5, 10, 15, 20, 30)


def _organizations(turn: Turn) -> set[int]:
    return {m.organization_id for m in turn.user.memberships}


async def _own_task(turn: Turn, signal_id: int) -> Signal:
    signal = await load_signal(turn, signal_id)
    if signal.organization_id not in _organizations(turn):
        raise Forbidden(st.OTHER_ORG)
    return signal


def _in_work(signal: Signal, *statuses: str) -> None:
    if signal.status not in (statuses or ("in_progress",)):
        raise DomainError(st.NOT_IN_WORK.format(number=signal.number, status=st.status_name(signal.status)))


# ----- /tasks -----
@command("tasks", role="executor")
@action("tkp", role="executor")
async def tasks(turn: Turn, args: object) -> None:
    leave_step(turn)
    if not _organizations(turn):
        turn.say(st.NO_ORG)
        return
    signals = await q.tasks(turn.uow.session, _organizations(turn))
    if not signals:
        turn.say(st.TASKS_EMPTY)
        return
    page, day = min(page_of(args), menus.page_count(len(signals)) - 1), today(turn)
    lines = [st.TASKS_TITLE.format(count=len(signals))]
    for s in signals[page * menus.PER_PAGE:(page + 1) * menus.PER_PAGE]:
        lines.append(st.TASK_LINE.format(mark=_mark(s, day), number=s.number, category=esc(s.category.name),
                                         due=st.due_left(s.due_on, day)))
    items = [(f"{_mark(s, day)}№{s.number}", f"tk:{s.id}") for s in signals]
    turn.say("\n".join(lines), st.pager(items, page, "tkp"))


def _mark(signal: Signal, day) -> str:  # type: ignore[no-untyped-def]
    return st.OVERDUE_MARK if signal.due_on and signal.due_on < day else ""


@action("tk", role="executor")
@refusing
async def task_card(turn: Turn, args: list[str]) -> None:
    leave_step(turn)
    signal = await _own_task(turn, *ints(args, 1))
    description, trimmed = st.trim(signal.description, st.DESCRIPTION_ON_CARD)
    text = st.TASK_CARD.format(
        number=signal.number, municipality=esc(signal.municipality.name), category=esc(signal.category.name),
        organization=esc(signal.organization.name if signal.organization else "—"),
        due=st.due_left(signal.due_on, today(turn)), place=st.place(signal),
        photos=len(signal.photos) or "нет", description=esc(description))
    latest = await q.latest_answer(turn.uow.session, signal.id)
    if latest is not None and latest.review_status == "returned" and signal.status == "in_progress":
        text += st.RETURNED_NOTE.format(version=latest.version, details=esc(latest.review_comment or ""))
    rows: list[tuple[Button, ...]] = []
    if signal.status == "in_progress":
        rows.append((Button(st.ANSWER_BUTTON, f"ans:{signal.id}"), Button(st.EXTEND_BUTTON, f"ext:{signal.id}")))
    else:
        text += "\n\n" + st.NOT_IN_WORK.format(number=signal.number, status=st.status_name(signal.status))
    if trimmed:
        rows.append((Button(st.FULL_TEXT, f"ft:{signal.id}"),))
    rows.append((Button(st.TO_TASKS, "tkp:0"),))
    turn.say(text, tuple(rows), photos=tuple(p.photo_id for p in signal.photos))


# ----- answering: text → photos → preview → send -----
@action("ans", role="executor")
@refusing
async def answer_start(turn: Turn, args: list[str]) -> None:
    leave_step(turn)
    signal = await _own_task(turn, *ints(args, 1))
    _in_work(signal)
    latest = await q.latest_answer(turn.uow.session, signal.id)
    previous = latest.id if latest is not None and latest.review_status == "returned" else None
    await turn.goto("ex.text", staff={"signal_id": signal.id, "number": signal.number, "photo_ids": [],
                                      "previous": previous})


async def _previous(turn: Turn) -> Answer | None:
    previous_id = staff(turn).get("previous")
    return await turn.uow.session.get(Answer, previous_id) if previous_id else None


def _back(turn: Turn) -> Button:
    return st.back_to(f"tk:{staff(turn)['signal_id']}")


async def ask_text(turn: Turn) -> None:
    text = st.ASK_ANSWER.format(number=staff(turn)["number"], max=st.ANSWER_MAX)
    rows: list[tuple[Button, ...]] = []
    previous = await _previous(turn)
    if previous is not None:
        text += st.PREVIOUS_ANSWER.format(text=esc(st.trim(previous.text, 3000)[0]))
        rows.append((Button(st.KEEP_TEXT, "keep"),))
    turn.say(text, (*rows, (_back(turn),)))


@step("ex.text", prompt=ask_text)
async def on_text(turn: Turn, inp: Input) -> None:
    data = staff(turn)
    previous = await _previous(turn)
    following = "ex.preview" if data.get("editing") else "ex.photos"
    if isinstance(inp, Press) and inp.payload == "keep" and previous is not None:
        await turn.goto(following, staff={**data, "text": previous.text})
    elif isinstance(inp, Text):
        text = inp.text.strip()
        if len(text) > st.ANSWER_MAX:
            turn.say(st.ANSWER_TOO_LONG.format(max=st.ANSWER_MAX, length=len(text)))
        elif len(text) < st.ANSWER_MIN:
            turn.say(st.ANSWER_TOO_SHORT)
        else:
            await turn.goto(following, staff={**data, "text": text})
    else:
        await ask_text(turn)


async def ask_photos(turn: Turn) -> None:
    have, limit = len(staff(turn)["photo_ids"]), turn.services.config.max_photos
    text = st.ASK_ANSWER_PHOTOS.format(max=limit)
    rows: list[tuple[Button, ...]] = [(Button(DONE if have else SKIP, "done"),)]
    previous = await _previous(turn)
    if have:
        text += "\n" + st.ANSWER_PHOTOS_ADDED.format(count=have, max=limit)
    elif previous is not None and previous.photos:
        rows.append((Button(st.KEEP_PHOTOS.format(count=len(previous.photos)), "keepph"),))
    turn.say(text, (*rows, (_back(turn),)))


@step("ex.photos", prompt=ask_photos, accepts_photos=True)
async def on_photos(turn: Turn, inp: Input) -> None:
    data, limit = staff(turn), turn.services.config.max_photos
    if isinstance(inp, Press) and inp.payload == "done":
        await turn.goto("ex.preview")
    elif isinstance(inp, Press) and inp.payload == "keepph" and (previous := await _previous(turn)):
        await turn.goto("ex.preview", staff={**data, "photo_ids": [p.photo_id for p in previous.photos][:limit]})
    elif isinstance(inp, StoredPhotos):
        have = list(data["photo_ids"])
        have += [p for p in inp.photo_ids if p not in have][: limit - len(have)]
        turn.set(staff={**data, "photo_ids": have})
        if inp.bad or inp.failed:
            turn.say(st.refusal(DomainError(_photo_problem(inp))))
        if len(have) >= limit:
            await turn.goto("ex.preview")
        else:
            turn.say(st.ANSWER_PHOTOS_ADDED.format(count=len(have), max=limit),
                     ((Button(DONE, "done"),), (_back(turn),)))
    else:
        await ask_photos(turn)


def _photo_problem(inp: StoredPhotos) -> str:
    from handlers import texts

    return texts.PHOTO_BAD if inp.bad else texts.PHOTOS_FAILED.format(failed=inp.failed)


async def show_preview(turn: Turn) -> None:
    data = staff(turn)
    turn.say(st.PREVIEW.format(number=data["number"], photos=len(data["photo_ids"]) or "нет",
                               text=esc(st.trim(data["text"], 3800)[0])),
             ((Button(st.SUBMIT, "submit"),), (Button(st.EDIT_TEXT, "edt"), Button(st.EDIT_PHOTOS, "edp")),
              (_back(turn),)), photos=tuple(data["photo_ids"]))


@step("ex.preview", prompt=show_preview)
async def on_preview(turn: Turn, inp: Input) -> None:
    data = staff(turn)
    if isinstance(inp, Press) and inp.payload == "edt":
        await turn.goto("ex.text", staff={**data, "editing": True})
    elif isinstance(inp, Press) and inp.payload == "edp":
        await turn.goto("ex.photos", staff={**data, "photo_ids": []})
    elif isinstance(inp, Press) and inp.payload == "submit":
        if await attempt(turn, uc.submit_answer(turn.services, turn.uow, turn.user, data["signal_id"],
                                                data["text"], data["photo_ids"])):
            leave_step(turn)
            turn.say(st.SUBMITTED.format(number=data["number"]), ((Button(st.TO_TASKS, "tkp:0"),),))
    else:
        await show_preview(turn)


# ----- extension: reason → working days -----
@action("ext", role="executor")
@refusing
async def extension_start(turn: Turn, args: list[str]) -> None:
    leave_step(turn)
    signal = await _own_task(turn, *ints(args, 1))
    _in_work(signal, "in_progress", "answer_review")
    if await q.pending_extension_for(turn.uow.session, signal.id) is not None:
        raise DomainError(st.EXT_ALREADY.format(number=signal.number))
    due = signal.due_on.strftime("%d.%m.%Y") if signal.due_on else "—"
    await turn.goto("ex.ext_reason", staff={"signal_id": signal.id, "number": signal.number, "due": due})


async def ask_ext_reason(turn: Turn) -> None:
    data = staff(turn)
    turn.say(st.ASK_EXT_REASON.format(number=data["number"], due=data["due"]), ((_back(turn),),))


@step("ex.ext_reason", prompt=ask_ext_reason)
async def on_ext_reason(turn: Turn, inp: Input) -> None:
    if not isinstance(inp, Text):
        await ask_ext_reason(turn)
    elif not st.REASON_MIN <= len(inp.text.strip()) <= st.REASON_MAX:
        turn.say(st.REASON_LENGTH.format(min=st.REASON_MIN, max=st.REASON_MAX))
    else:
        await turn.goto("ex.ext_days", staff={**staff(turn), "reason": inp.text.strip()})


async def ask_ext_days(turn: Turn) -> None:
    days = [Button(str(n), f"d:{n}") for n in DAY_CHOICES]
    turn.say(st.ASK_EXT_DAYS.format(max=uc.MAX_EXTENSION), (tuple(days[:3]), tuple(days[3:]), (_back(turn),)))


@step("ex.ext_days", prompt=ask_ext_days)
async def on_ext_days(turn: Turn, inp: Input) -> None:
    raw = inp.payload[2:] if isinstance(inp, Press) and inp.payload.startswith("d:") else \
        inp.text.strip() if isinstance(inp, Text) else ""
    if not raw.isdigit() or not 1 <= int(raw) <= uc.MAX_EXTENSION:
        turn.say(st.EXT_DAYS_BAD.format(max=uc.MAX_EXTENSION))
        await ask_ext_days(turn)
        return
    data = staff(turn)
    try:
        await uc.request_extension(turn.services, turn.uow, turn.user, data["signal_id"], data["reason"], int(raw))
    except DomainError as exc:
        leave_step(turn)
        turn.say(st.refusal(exc))
        return
    leave_step(turn)
    turn.say(st.EXT_REQUESTED.format(number=data["number"], days=int(raw)), ((Button(st.TO_TASKS, "tkp:0"),),))
