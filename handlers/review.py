"""Reviewing answers: /review, an answer's card (kind, brush-off reasons), publish it, or return it with reasons."""

from __future__ import annotations

from handlers import answer_card, limits, menus, track_record
from handlers import staff_format as sf
from handlers.cases import review as uc
from handlers.cases.staff_rules import handled_by
from handlers.dialog import Registry, Turn
from handlers.errors import NotFound
from handlers.i18n import staff_text
from handlers.staff_common import (
    LIST_LIMIT,
    attempt,
    ints,
    leave_step,
    load_signal,
    may_read,
    page_of,
    refusing,
    staff,
    today,
)
from handlers.texts import esc
from handlers.types import Button, Input, Press, Text
from storage.models import Answer

registry = Registry("review")


@registry.command("review", role="moderator")
@registry.action("rvl", role="moderator")
async def review_list(turn: Turn, args: object) -> None:
    leave_step(turn)
    pending = await turn.uow.answers.pending(LIST_LIMIT)
    if not pending:
        turn.say(staff_text("staff-review-empty"))
        return
    page = min(page_of(args), menus.page_count(len(pending)) - 1)
    orgs = {o.id: o.name for o in await turn.uow.catalog.organizations()}
    lines = [staff_text("staff-review-title", count=await turn.uow.answers.count_pending())]
    for answer, signal in pending[page * menus.PER_PAGE:(page + 1) * menus.PER_PAGE]:
        organization = esc(orgs.get(answer.organization_id or 0, "—"))
        lines.append(staff_text("staff-review-line", number=signal.number, organization=organization,
                                           due=sf.due_left(signal.due_on, today(turn))))
    items = [(f"№{signal.number}", f"rv:{answer.id}") for answer, signal in pending]
    turn.say("\n".join(lines), sf.pager(items, page, "rvl"))


async def _pending_answer(turn: Turn, answer_id: int) -> Answer:
    answer = await turn.uow.answers.get(answer_id, fresh=True)
    if answer is None:
        raise NotFound()
    if answer.review_status != "pending":
        raise await handled_by(turn.uow, answer.reviewer_id)
    return answer


@registry.action("rv", role="moderator")
@refusing
async def review_card(turn: Turn, args: list[str]) -> None:
    leave_step(turn)
    answer = await _pending_answer(turn, *ints(args, 1))
    signal = await load_signal(turn, answer.signal_id)
    warning = answer_card.structure_block(answer) + await answer_card.warning(turn, answer, signal)
    if answer.organization_id is not None:
        warning += track_record.render(await track_record.of(turn.services, turn.uow, answer.organization_id))
    author = await turn.uow.users.by_id(answer.author_id) if answer.author_id else None
    org = await turn.uow.catalog.organization(answer.organization_id) if answer.organization_id else None
    description = sf.trim(signal.description, 600)[0]
    body, trimmed = sf.trim(answer.text, limits.ANSWER_ON_CARD)
    text = staff_text("staff-review-card",
        number=signal.number, version=answer.version, municipality=esc(signal.municipality.name),
        category=esc(signal.category.name), executor=esc(sf.display(author) if author else "—"),
        organization=esc(org.name if org else "—"), due=sf.due_left(signal.due_on, today(turn)),
        warning=warning, description=esc(description), photos=len(answer.photos) or "нет", text=esc(body))
    rows = [(Button(staff_text("staff-btn-publish"), f"pub:{answer.id}"),
             Button(staff_text("staff-btn-return"), f"ret:{answer.id}"))]
    if answer.kind == "not_ours":
        rows.append((Button(staff_text("staff-btn-reroute"), f"rro:{answer.id}:0"),))
    if trimmed:
        rows.append((Button(staff_text("staff-btn-full-answer"), f"fa:{answer.id}"),))
    rows += [(Button(staff_text("staff-btn-open-signal"), f"sg:{signal.id}"),), (Button(staff_text("staff-btn-to-list"), "rvl:0"),)]
    turn.say(text, tuple(rows), photos=tuple(p.photo_id for p in answer.photos))


@registry.action("fa")
@refusing
async def full_answer(turn: Turn, args: list[str]) -> None:
    answer = await turn.uow.answers.get(ints(args, 1)[0])
    if answer is None:
        raise NotFound()
    await may_read(turn, answer.organization_id)
    turn.say(esc(answer.text))


@registry.action("pub", role="moderator")
@refusing
async def publish(turn: Turn, args: list[str]) -> None:
    leave_step(turn)
    (answer_id,) = ints(args, 1)
    signal, told = await uc.publish_answer(turn.services, turn.uow, turn.user, answer_id)
    turn.say(staff_text("staff-published", number=signal.number, count=told), ((Button(staff_text("staff-btn-to-list"), "rvl:0"),),))


@registry.action("ret", role="moderator")
@refusing
async def return_start(turn: Turn, args: list[str]) -> None:
    leave_step(turn)
    answer = await _pending_answer(turn, *ints(args, 1))
    signal = await load_signal(turn, answer.signal_id)
    await turn.goto("mod.return", staff={"answer_id": answer.id, "number": signal.number, "reasons": [],
                                         "comment": None})


async def ask_return(turn: Turn) -> None:
    data = staff(turn)
    chosen = [staff_text(f"staff-btn-return-labels.{r}") for r in data["reasons"]]
    buttons = [Button(("✓ " if code in data["reasons"] else "") + staff_text(f"staff-btn-return-labels.{code}"),
                      f"rr:{code}") for code in limits.RETURN_CODES]
    turn.say(staff_text("staff-return-prompt", number=data["number"], chosen=esc(", ".join(chosen) or staff_text("staff-nothing-chosen")),
                                     comment=esc(data["comment"] or staff_text("staff-no-comment"))),
             (tuple(buttons[:2]), tuple(buttons[2:]), (Button(staff_text("staff-btn-return-send"), "rrsend"),),
              (sf.back_to(f"rv:{data['answer_id']}"),)))


@registry.step("mod.return", prompt=ask_return)
async def on_return(turn: Turn, inp: Input) -> None:
    data = staff(turn)
    if isinstance(inp, Press) and inp.payload.startswith("rr:") and inp.payload[3:] in limits.RETURN_CODES:
        code = inp.payload[3:]
        data["reasons"] = [r for r in data["reasons"] if r != code] if code in data["reasons"] \
            else [*data["reasons"], code]
        turn.set(staff=data)
    elif isinstance(inp, Text):
        if len(inp.text.strip()) > limits.REASON_MAX:
            turn.say(staff_text("staff-comment-length", max=limits.REASON_MAX))
        else:
            turn.set(staff={**data, "comment": inp.text.strip() or None})
    elif isinstance(inp, Press) and inp.payload == "rrsend":
        if await attempt(turn, uc.return_answer(turn.services, turn.uow, turn.user, data["answer_id"],
                                                data["reasons"], data["comment"])):
            leave_step(turn)
            turn.say(staff_text("staff-returned", number=data["number"]), ((Button(staff_text("staff-btn-to-list"), "rvl:0"),),))
        if turn.state.step != "mod.return":
            return
    await ask_return(turn)
