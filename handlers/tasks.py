"""Executors' tasks: /tasks, a task's card, answering it (kind → text → photos → preview → review)."""

from __future__ import annotations

from handlers import answer_kinds as ak
from handlers import limits, menus
from handlers import staff_format as sf
from handlers.cases import review as uc
from handlers.dialog import Registry, Turn
from handlers.errors import DomainError, Forbidden
from handlers.i18n import DEFAULT, staff_text, t
from handlers.signal_card import supporters_line
from handlers.staff_common import attempt, ints, leave_step, load_signal, page_of, refusing, staff, today
from handlers.texts import esc
from handlers.types import Button, Input, Press, StoredPhotos, Text
from storage.models import Answer, Signal

registry = Registry("tasks")


def _organizations(turn: Turn) -> set[int]:
    return set(turn.user.organization_ids)


async def own_task(turn: Turn, signal_id: int) -> Signal:
    signal = await load_signal(turn, signal_id)
    if signal.organization_id not in _organizations(turn):
        raise Forbidden("staff-other-org")
    return signal


def in_work(signal: Signal, *statuses: str) -> None:
    if signal.status not in (statuses or ("in_progress",)):
        raise DomainError("staff-not-in-work", number=signal.number, status=sf.status_name(signal.status))


# ----- /tasks -----
BY_DUE, BY_AFFECTED = "d", "a"  # the two orders, carried in the list's own buttons (tkp:<order>:<page>)


@registry.command("tasks", role="executor")
@registry.action("tkp", role="executor")
async def tasks(turn: Turn, args: object) -> None:
    leave_step(turn)
    if not _organizations(turn):
        turn.say(staff_text("staff-no-org"))
        return
    order = args[0] if isinstance(args, list) and args[:1] in ([BY_DUE], [BY_AFFECTED]) else BY_DUE
    signals = await turn.uow.signals.in_work_for(_organizations(turn), most_affected=order == BY_AFFECTED)
    if not signals:
        turn.say(staff_text("staff-tasks-empty"))
        return
    raw_page = args[1:] if isinstance(args, list) and args[:1] == [order] else args
    page, day = min(page_of(raw_page), menus.page_count(len(signals)) - 1), today(turn)
    shown = signals[page * menus.PER_PAGE:(page + 1) * menus.PER_PAGE]
    counts = await turn.uow.supporters.counts(s.id for s in shown)
    lines = [staff_text("staff-tasks-title-affected" if order == BY_AFFECTED else "staff-tasks-title",
                        count=len(signals))]
    for s in shown:
        backing = staff_text("staff-task-supporters", count=counts[s.id]) if counts.get(s.id) else ""
        lines.append(staff_text("staff-task-line", mark=_mark(s, day), number=s.number, category=esc(s.category.name),
                                due=sf.due_left(s.due_on, day), supporters=backing))
    items = [(f"{_mark(s, day)}№{s.number}", f"tk:{s.id}") for s in signals]
    other = BY_DUE if order == BY_AFFECTED else BY_AFFECTED
    toggle = Button(staff_text("staff-btn-tasks-by-due" if other == BY_DUE else "staff-btn-tasks-by-affected"),
                    f"tkp:{other}:0")
    turn.say("\n".join(lines), menus.paged(DEFAULT, items, page, f"tkp:{order}", extra=((toggle,),),
                                           back=False)[:-1])


def _mark(signal: Signal, day) -> str:  # type: ignore[no-untyped-def]
    return staff_text("staff-overdue-mark") if signal.due_on and signal.due_on < day else ""


@registry.action("tk", role="executor")
@refusing
async def task_card(turn: Turn, args: list[str]) -> None:
    leave_step(turn)
    signal = await own_task(turn, *ints(args, 1))
    description, trimmed = sf.trim(signal.description, limits.DESCRIPTION_ON_CARD)
    text = staff_text("staff-task-card",
        number=signal.number, municipality=esc(signal.municipality.name), category=esc(signal.category.name),
        organization=esc(signal.organization.name if signal.organization else "—"),
        due=sf.due_left(signal.due_on, today(turn)), place=sf.place(signal),
        photos=len(signal.photos) or "нет", description=esc(description))
    text += await supporters_line(turn, signal)
    latest = await turn.uow.answers.latest(signal.id)
    if latest is not None and latest.review_status == "returned" and signal.status == "in_progress":
        text += staff_text("staff-returned-note", version=latest.version, details=esc(latest.review_comment or ""))
    rows: list[tuple[Button, ...]] = []
    if signal.status == "in_progress":
        rows.append((Button(staff_text("staff-btn-answer-button"), f"ans:{signal.id}"), Button(staff_text("staff-btn-extend-button"), f"ext:{signal.id}")))
    else:
        text += "\n\n" + staff_text("staff-not-in-work", number=signal.number, status=sf.status_name(signal.status))
    if trimmed:
        rows.append((Button(staff_text("staff-btn-full-text"), f"ft:{signal.id}"),))
    rows.append((Button(staff_text("staff-btn-to-tasks"), "tkp:0"),))
    turn.say(text, tuple(rows), photos=tuple(p.photo_id for p in signal.photos))


# ----- answering: text → photos → preview → send -----
@registry.action("ans", role="executor")
@refusing
async def answer_start(turn: Turn, args: list[str]) -> None:
    leave_step(turn)
    signal = await own_task(turn, *ints(args, 1))
    in_work(signal)
    latest = await turn.uow.answers.latest(signal.id)
    previous = latest.id if latest is not None and latest.review_status == "returned" else None
    await turn.goto("ex.kind", staff={"signal_id": signal.id, "number": signal.number, "photo_ids": [],
                                      "previous": previous, "category": signal.category.name,
                                      "photo_required": signal.category.code in turn.services.region.photo_required})


registry.step("ex.kind", prompt=ak.ask_kind)(ak.on_kind)
registry.step("ex.date", prompt=ak.ask_date)(ak.on_date)
registry.step("ex.competent", prompt=ak.ask_competent)(ak.on_competent)


async def _previous(turn: Turn) -> Answer | None:
    previous_id = staff(turn).get("previous")
    return await turn.uow.answers.get(previous_id) if previous_id else None


def back_button(turn: Turn) -> Button:
    return sf.back_to(f"tk:{staff(turn)['signal_id']}")


async def ask_text(turn: Turn) -> None:
    text = staff_text("staff-ask-answer", number=staff(turn)["number"], max=limits.ANSWER_MAX)
    rows: list[tuple[Button, ...]] = []
    previous = await _previous(turn)
    if previous is not None:
        text += staff_text("staff-previous-answer", text=esc(sf.trim(previous.text, 3000)[0]))
        rows.append((Button(staff_text("staff-btn-keep-text"), "keep"),))
    turn.say(text, (*rows, (back_button(turn),)))


@registry.step("ex.text", prompt=ask_text)
async def on_text(turn: Turn, inp: Input) -> None:
    data = staff(turn)
    previous = await _previous(turn)
    following = "ex.preview" if data.get("editing") else "ex.photos"
    if isinstance(inp, Press) and inp.payload == "keep" and previous is not None:
        await turn.goto(following, staff={**data, "text": previous.text})
    elif isinstance(inp, Text):
        text = inp.text.strip()
        if len(text) > limits.ANSWER_MAX:
            turn.say(staff_text("staff-answer-too-long", max=limits.ANSWER_MAX, length=len(text)))
        elif len(text) < limits.ANSWER_MIN:
            turn.say(staff_text("staff-answer-too-short"))
        else:
            await turn.goto(following, staff={**data, "text": text})
    else:
        await ask_text(turn)


async def ask_photos(turn: Turn) -> None:
    have, limit = len(staff(turn)["photo_ids"]), turn.services.config.max_photos
    text = staff_text("staff-ask-answer-photos", max=limit)
    rows: list[tuple[Button, ...]] = [(Button(turn.t("btn-done") if have else turn.t("btn-skip"), "done"),)]
    previous = await _previous(turn)
    if have:
        text += "\n" + staff_text("staff-answer-photos-added", count=have, max=limit)
    elif previous is not None and previous.photos:
        rows.append((Button(staff_text("staff-btn-keep-photos", count=len(previous.photos)), "keepph"),))
    turn.say(text, (*rows, (back_button(turn),)))


@registry.step("ex.photos", prompt=ask_photos, accepts_photos=True)
async def on_photos(turn: Turn, inp: Input) -> None:
    data, limit = staff(turn), turn.services.config.max_photos
    if isinstance(inp, Press) and inp.payload == "done":
        if missing := ak.photo_missing(turn):
            turn.say(missing)
        else:
            await turn.goto("ex.preview")
    elif isinstance(inp, Press) and inp.payload == "keepph" and (previous := await _previous(turn)):
        await turn.goto("ex.preview", staff={**data, "photo_ids": [p.photo_id for p in previous.photos][:limit]})
    elif isinstance(inp, StoredPhotos):
        have = list(data["photo_ids"])
        have += [p for p in inp.photo_ids if p not in have][: limit - len(have)]
        turn.set(staff={**data, "photo_ids": have})
        if inp.bad or inp.failed:
            turn.say(_photo_problem(turn, inp))
        if len(have) >= limit:
            await turn.goto("ex.preview")
        else:
            turn.say(staff_text("staff-answer-photos-added", count=len(have), max=limit),
                     ((Button(turn.t("btn-done"), "done"),), (back_button(turn),)))
    else:
        await ask_photos(turn)


def _photo_problem(turn: Turn, inp: StoredPhotos) -> str:
    return turn.t("photo-bad") if inp.bad else turn.t("photos-failed", failed=inp.failed)


async def show_preview(turn: Turn) -> None:
    data = staff(turn)
    turn.say(staff_text("staff-preview", number=data["number"], photos=len(data["photo_ids"]) or "нет",
                               text=ak.preview_lines(data) + esc(sf.trim(data["text"], 3800)[0])),
             ((Button(staff_text("staff-btn-submit"), "submit"),), (Button(staff_text("staff-btn-edit-text"), "edt"), Button(t(DEFAULT, "btn-edit-photos"), "edp")),
              (back_button(turn),)), photos=tuple(data["photo_ids"]))


@registry.step("ex.preview", prompt=show_preview)
async def on_preview(turn: Turn, inp: Input) -> None:
    data = staff(turn)
    if isinstance(inp, Press) and inp.payload == "edt":
        await turn.goto("ex.text", staff={**data, "editing": True})
    elif isinstance(inp, Press) and inp.payload == "edp":
        await turn.goto("ex.photos", staff={**data, "photo_ids": []})
    elif isinstance(inp, Press) and inp.payload == "submit":
        if await attempt(turn, uc.submit_answer(turn.services, turn.uow, turn.user, data["signal_id"],
                                                data["text"], data["photo_ids"], ak.structure(data))):
            leave_step(turn)
            turn.say(staff_text("staff-submitted", number=data["number"]), ((Button(staff_text("staff-btn-to-tasks"), "tkp:0"),),))
    else:
        await show_preview(turn)
