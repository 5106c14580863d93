"""A signal as staff see it: the moderation card, /signal N with its history, the full description."""

from __future__ import annotations

from typing import Any

from handlers import limits
from handlers import staff_format as sf
from handlers.cases import duplicates
from handlers.dialog import Registry, Turn
from handlers.errors import NotFound
from handlers.i18n import DEFAULT, staff_text, t
from handlers.moments import moment
from handlers.staff_common import (
    ints,
    leave_step,
    load_signal,
    may_read,
    refusing,
    signal_number,
    today,
)
from handlers.texts import esc
from handlers.types import Button
from storage.models import Signal

OUTCOME_NOTES = ("fixed", "not_confirmed", "reopened")
registry = Registry("signal_card")
# audit actions with a name on the staff history (staff-audit.…); others are shown as stored
AUDIT = ("filed", "accept", "reject", "submit_answer", "return_answer", "publish_answer", "close", "reopen", "extend",
         "extension_requested", "extension_declined", "edit", "supported", "followup_asked", "confirm_fixed",
         "close_unconfirmed", "reopen_not_fixed", "reroute")


def moderation_buttons(signal: Signal) -> tuple[tuple[Button, ...], ...]:
    rows = ((Button(staff_text("staff-btn-accept"), f"acc:{signal.id}"), Button(staff_text("staff-btn-reject"), f"rej:{signal.id}")),
            (Button(t(DEFAULT, "btn-edit-category"), f"edc:{signal.id}"), Button(t(DEFAULT, "btn-edit-municipality"), f"edm:{signal.id}")))
    if signal.latitude is not None:  # nearby originals can only be found from a shared location
        rows = (*rows, (Button(staff_text("staff-btn-duplicate-button"), f"dup:{signal.id}"),))
    return rows


async def card_text(turn: Turn, signal: Signal, limit: int = limits.DESCRIPTION_ON_CARD) -> tuple[str, bool]:
    description, trimmed = sf.trim(signal.description, limit)
    earlier = await turn.uow.signals.earlier_of_author(signal)
    author = staff_text("staff-author-gone") if signal.author_id is None else (
        staff_text("staff-author-earlier", count=earlier) if earlier else staff_text("staff-author-first"))
    text = staff_text("staff-mod-card",
        number=signal.number, status=sf.status_name(signal.status) + outcome_note(signal.outcome),
        municipality=esc(signal.municipality.name),
        category=esc(signal.category.name), created=moment(signal.created_at, turn.services),
        age=sf.age(signal.created_at, turn.services.now()), place=sf.place(signal),
        photos=len(signal.photos) or "нет", author=author, description=esc(description),
        supporters=await supporters_line(turn, signal))
    return text, trimmed


def outcome_note(outcome: str | None) -> str:
    """How a closed signal ended, as a note after its status (the resident's «fixed?» answer)."""
    return staff_text(f"staff-outcome-note.{outcome}") if outcome in OUTCOME_NOTES else ""


async def supporters_line(turn: Turn, signal: Signal) -> str:
    """«Me too» residents and everyone affected (the author counts too), or nothing when nobody joined."""
    count = await turn.uow.supporters.count(signal.id)
    return staff_text("staff-supporters", count=count, people=count + 1) if count else ""


@registry.action("dup", role="moderator")
@refusing
async def duplicate_of(turn: Turn, args: list[str]) -> None:
    """«Дубликат…»: pick the original among the open signals of the same category nearby."""
    signal = await load_signal(turn, *ints(args, 1))
    found = await duplicates.candidates(turn.services, turn.uow, signal)
    if not found:
        turn.say(staff_text("staff-duplicate-none"))
        return
    rows = tuple((Button(staff_text("staff-duplicate-choice", number=n.signal.number, distance=round(n.distance_m),
                                                    status=sf.status_name(n.signal.status)),
                         f"dpk:{signal.id}:{n.signal.id}"),) for n in found)
    turn.say(staff_text("staff-duplicate-pick", number=signal.number), (*rows, (sf.back_to(f"mc:{signal.id}"),)))


@registry.action("dpk", role="moderator")
@refusing
async def duplicate_picked(turn: Turn, args: list[str]) -> None:
    signal_id, original_id = ints(args, 2)
    original = await duplicates.merge_duplicate(turn.services, turn.uow, turn.user, signal_id, original_id)
    signal = await load_signal(turn, signal_id)
    turn.say(staff_text("staff-merged", number=signal.number, original=original))


@registry.action("ft")
@refusing
async def full_text(turn: Turn, args: list[str]) -> None:
    signal = await load_signal(turn, *ints(args, 1))
    await may_read(turn, signal.organization_id)
    turn.say(f"<b>№{signal.number}</b>\n\n{esc(signal.description)}")


@registry.command("signal", role="moderator")
@refusing
async def signal_command(turn: Turn, args: str) -> None:
    leave_step(turn)
    if not args.strip():
        turn.say(staff_text("staff-signal-usage"))
        return
    year = str(turn.services.now().astimezone(turn.services.config.tz).year)
    signal = await turn.uow.signals.by_number(signal_number(args.split()[0], year))
    if signal is None:
        raise NotFound()
    await full_card(turn, await load_signal(turn, signal.id))


@registry.action("sg", role="moderator")
@refusing
async def signal_action(turn: Turn, args: list[str]) -> None:
    leave_step(turn)
    await full_card(turn, await load_signal(turn, *ints(args, 1)))


async def full_card(turn: Turn, signal: Signal) -> None:
    text, trimmed = await card_text(turn, signal, limit=900)
    org = signal.organization.name if signal.organization else "—"
    text += staff_text("staff-staff-extra", organization=esc(org), due=sf.due_left(signal.due_on, today(turn)))
    if signal.reject_reason:
        text += t(DEFAULT, "card-reject-reason", reason=esc(sf.trim(signal.reject_reason, 500)[0]))
    published = await turn.uow.answers.latest_published(signal.id)
    if published is not None:
        text += staff_text("staff-published-answer", organization=esc(org), text=esc(sf.trim(published.text, 700)[0]))
    text += await history(turn, signal.id)
    rows: list[tuple[Button, ...]] = list(moderation_buttons(signal)) if signal.status == "new" else []
    pending = await turn.uow.answers.latest(signal.id, ("pending",))
    if pending is not None:
        rows.append((Button(staff_text("staff-btn-check-answer"), f"rv:{pending.id}"),))
    if trimmed:
        rows.append((Button(staff_text("staff-btn-full-text"), f"ft:{signal.id}"),))
    turn.say(text, tuple(rows), photos=tuple(p.photo_id for p in signal.photos))


async def history(turn: Turn, signal_id: int, keep: int = 12) -> str:
    events = list(await turn.uow.signals.history(signal_id))[-keep:]
    if not events:
        return ""
    who = {u.id: sf.display(u) for u in await turn.uow.users.named(e.actor_id for e in events)}
    lines = []
    for e in events:
        actor = f" ({esc(who[e.actor_id])})" if e.actor_id in who else ""
        details = _details(e.details or {})
        lines.append(staff_text("staff-history-line", when=moment(e.created_at, turn.services),
                                            action=staff_text(f"staff-audit.{e.action}") if e.action in AUDIT else e.action, actor=actor,
                                            details=f": {esc(details)}" if details else ""))
    return t(DEFAULT, "history-title") + "\n" + "\n".join(lines)


def _details(details: dict[str, Any]) -> str:
    parts = [str(details[k]) for k in ("organization", "reason", "comment", "new_due") if details.get(k)]
    if details.get("reasons"):
        parts.insert(0, ", ".join(staff_text(f"staff-btn-return-labels.{r}") if r in limits.RETURN_CODES else r
                                for r in details["reasons"]))
    return sf.trim(" · ".join(parts), 100)[0]
