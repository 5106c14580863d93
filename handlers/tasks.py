"""Executors' tasks: /tasks, a task's card, answering it (kind → text → photos → preview → review)."""

from __future__ import annotations

from handlers import answer_kinds as ak
from handlers import menus
from handlers import staff_format as sf
from handlers import staff_texts as st
from handlers.cases import review as uc
from handlers.dialog import Registry, Turn
from handlers.errors import DomainError, Forbidden
from handlers.signal_card import supporters_line
from handlers.staff_common import attempt, ints, leave_step, load_signal, page_of, refusing, staff, today
from handlers.texts import DONE, SKIP, esc
from handlers.types import Button, Input, Press, StoredPhotos, Text
from storage.models import Answer, Signal

registry = Registry("tasks")


def _organizations(turn: Turn) -> set[int]:
    return set(turn.user.organization_ids)


async def own_task(turn: Turn, signal_id: int) -> Signal:
    signal = await load_signal(turn, signal_id)
    if signal.organization_id not in _organizations(turn):
        raise Forbidden(st.OTHER_ORG)
    return signal


def in_work(signal: Signal, *statuses: str) -> None:
    if signal.status not in (statuses or ("in_progress",)):
        raise DomainError(st.NOT_IN_WORK.format(number=signal.number, status=sf.status_name(signal.status)))


# ----- /tasks -----
BY_DUE, BY_AFFECTED = "d", "a"  # the two orders, carried in the list's own buttons (tkp:<order>:<page>)


@registry.command("tasks", role="executor")
@registry.action("tkp", role="executor")
async def tasks(turn: Turn, args: object) -> None:
    leave_step(turn)
    if not _organizations(turn):
        turn.say(st.NO_ORG)
        return
    order = args[0] if isinstance(args, list) and args[:1] in ([BY_DUE], [BY_AFFECTED]) else BY_DUE
    signals = await turn.uow.signals.in_work_for(_organizations(turn), most_affected=order == BY_AFFECTED)
    if not signals:
        turn.say(st.TASKS_EMPTY)
        return
    raw_page = args[1:] if isinstance(args, list) and args[:1] == [order] else args
    page, day = min(page_of(raw_page), menus.page_count(len(signals)) - 1), today(turn)
    shown = signals[page * menus.PER_PAGE:(page + 1) * menus.PER_PAGE]
    counts = await turn.uow.supporters.counts(s.id for s in shown)
    lines = [(st.TASKS_TITLE_AFFECTED if order == BY_AFFECTED else st.TASKS_TITLE).format(count=len(signals))]
    for s in shown:
        backing = st.TASK_SUPPORTERS.format(count=counts[s.id]) if counts.get(s.id) else ""
        lines.append(st.TASK_LINE.format(mark=_mark(s, day), number=s.number, category=esc(s.category.name),
                                         due=sf.due_left(s.due_on, day), supporters=backing))
    items = [(f"{_mark(s, day)}№{s.number}", f"tk:{s.id}") for s in signals]
    other = BY_DUE if order == BY_AFFECTED else BY_AFFECTED
    toggle = Button(st.TASKS_BY_DUE if other == BY_DUE else st.TASKS_BY_AFFECTED, f"tkp:{other}:0")
    turn.say("\n".join(lines), menus.paged(items, page, f"tkp:{order}", extra=((toggle,),), back=False)[:-1])


def _mark(signal: Signal, day) -> str:  # type: ignore[no-untyped-def]
    return st.OVERDUE_MARK if signal.due_on and signal.due_on < day else ""


@registry.action("tk", role="executor")
@refusing
async def task_card(turn: Turn, args: list[str]) -> None:
    leave_step(turn)
    signal = await own_task(turn, *ints(args, 1))
    description, trimmed = sf.trim(signal.description, st.DESCRIPTION_ON_CARD)
    text = st.TASK_CARD.format(
        number=signal.number, municipality=esc(signal.municipality.name), category=esc(signal.category.name),
        organization=esc(signal.organization.name if signal.organization else "—"),
        due=sf.due_left(signal.due_on, today(turn)), place=sf.place(signal),
        photos=len(signal.photos) or "нет", description=esc(description))
    text += await supporters_line(turn, signal)
    latest = await turn.uow.answers.latest(signal.id)
    if latest is not None and latest.review_status == "returned" and signal.status == "in_progress":
        text += st.RETURNED_NOTE.format(version=latest.version, details=esc(latest.review_comment or ""))
    rows: list[tuple[Button, ...]] = []
    if signal.status == "in_progress":
        rows.append((Button(st.ANSWER_BUTTON, f"ans:{signal.id}"), Button(st.EXTEND_BUTTON, f"ext:{signal.id}")))
    else:
        text += "\n\n" + st.NOT_IN_WORK.format(number=signal.number, status=sf.status_name(signal.status))
    if trimmed:
        rows.append((Button(st.FULL_TEXT, f"ft:{signal.id}"),))
    rows.append((Button(st.TO_TASKS, "tkp:0"),))
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
    text = st.ASK_ANSWER.format(number=staff(turn)["number"], max=st.ANSWER_MAX)
    rows: list[tuple[Button, ...]] = []
    previous = await _previous(turn)
    if previous is not None:
        text += st.PREVIOUS_ANSWER.format(text=esc(sf.trim(previous.text, 3000)[0]))
        rows.append((Button(st.KEEP_TEXT, "keep"),))
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
            turn.say(sf.refusal(DomainError(_photo_problem(inp))))
        if len(have) >= limit:
            await turn.goto("ex.preview")
        else:
            turn.say(st.ANSWER_PHOTOS_ADDED.format(count=len(have), max=limit),
                     ((Button(DONE, "done"),), (back_button(turn),)))
    else:
        await ask_photos(turn)


def _photo_problem(inp: StoredPhotos) -> str:
    from handlers import texts

    return texts.PHOTO_BAD if inp.bad else texts.PHOTOS_FAILED.format(failed=inp.failed)


async def show_preview(turn: Turn) -> None:
    data = staff(turn)
    turn.say(st.PREVIEW.format(number=data["number"], photos=len(data["photo_ids"]) or "нет",
                               text=ak.preview_lines(data) + esc(sf.trim(data["text"], 3800)[0])),
             ((Button(st.SUBMIT, "submit"),), (Button(st.EDIT_TEXT, "edt"), Button(st.EDIT_PHOTOS, "edp")),
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
            turn.say(st.SUBMITTED.format(number=data["number"]), ((Button(st.TO_TASKS, "tkp:0"),),))
    else:
        await show_preview(turn)
