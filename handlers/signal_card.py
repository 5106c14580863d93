"""A signal as staff see it: the moderation card, /signal N with its history, the full description."""

from __future__ import annotations

from typing import Any

from handlers import followup_texts as ft
from handlers import staff_format as sf
from handlers import staff_texts as st
from handlers.cases import duplicates
from handlers.dialog import Registry, Turn
from handlers.errors import NotFound
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

registry = Registry("signal_card")


def moderation_buttons(signal: Signal) -> tuple[tuple[Button, ...], ...]:
    rows = ((Button(st.ACCEPT, f"acc:{signal.id}"), Button(st.REJECT, f"rej:{signal.id}")),
            (Button(st.EDIT_CATEGORY, f"edc:{signal.id}"), Button(st.EDIT_MUNICIPALITY, f"edm:{signal.id}")))
    if signal.latitude is not None:  # nearby originals can only be found from a shared location
        rows = (*rows, (Button(st.DUPLICATE_BUTTON, f"dup:{signal.id}"),))
    return rows


async def card_text(turn: Turn, signal: Signal, limit: int = st.DESCRIPTION_ON_CARD) -> tuple[str, bool]:
    description, trimmed = sf.trim(signal.description, limit)
    earlier = await turn.uow.signals.earlier_of_author(signal)
    author = st.AUTHOR_GONE if signal.author_id is None else (
        st.AUTHOR_EARLIER.format(count=earlier) if earlier else st.AUTHOR_FIRST)
    text = st.MOD_CARD.format(
        number=signal.number, status=sf.status_name(signal.status) + ft.OUTCOME_NOTES.get(signal.outcome or '', ''),
        municipality=esc(signal.municipality.name),
        category=esc(signal.category.name), created=moment(signal.created_at, turn.services),
        age=sf.age(signal.created_at, turn.services.now()), place=sf.place(signal),
        photos=len(signal.photos) or "нет", author=author, description=esc(description),
        supporters=await supporters_line(turn, signal))
    return text, trimmed


async def supporters_line(turn: Turn, signal: Signal) -> str:
    """«Me too» residents and everyone affected (the author counts too), or nothing when nobody joined."""
    count = await turn.uow.supporters.count(signal.id)
    return st.SUPPORTERS.format(count=count, people=count + 1) if count else ""


@registry.action("dup", role="moderator")
@refusing
async def duplicate_of(turn: Turn, args: list[str]) -> None:
    """«Дубликат…»: pick the original among the open signals of the same category nearby."""
    signal = await load_signal(turn, *ints(args, 1))
    found = await duplicates.candidates(turn.services, turn.uow, signal)
    if not found:
        turn.say(st.DUPLICATE_NONE)
        return
    rows = tuple((Button(st.DUPLICATE_CHOICE.format(number=n.signal.number, distance=round(n.distance_m),
                                                    status=sf.status_name(n.signal.status)),
                         f"dpk:{signal.id}:{n.signal.id}"),) for n in found)
    turn.say(st.DUPLICATE_PICK.format(number=signal.number), (*rows, (sf.back_to(f"mc:{signal.id}"),)))


@registry.action("dpk", role="moderator")
@refusing
async def duplicate_picked(turn: Turn, args: list[str]) -> None:
    signal_id, original_id = ints(args, 2)
    original = await duplicates.merge_duplicate(turn.services, turn.uow, turn.user, signal_id, original_id)
    signal = await load_signal(turn, signal_id)
    turn.say(st.MERGED.format(number=signal.number, original=original))


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
        turn.say(st.SIGNAL_USAGE)
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
    text += st.STAFF_EXTRA.format(organization=esc(org), due=sf.due_left(signal.due_on, today(turn)))
    if signal.reject_reason:
        text += st.REJECT_REASON.format(reason=esc(sf.trim(signal.reject_reason, 500)[0]))
    published = await turn.uow.answers.latest_published(signal.id)
    if published is not None:
        text += st.PUBLISHED_ANSWER.format(organization=esc(org), text=esc(sf.trim(published.text, 700)[0]))
    text += await history(turn, signal.id)
    rows: list[tuple[Button, ...]] = list(moderation_buttons(signal)) if signal.status == "new" else []
    pending = await turn.uow.answers.latest(signal.id, ("pending",))
    if pending is not None:
        rows.append((Button(st.CHECK_ANSWER, f"rv:{pending.id}"),))
    if trimmed:
        rows.append((Button(st.FULL_TEXT, f"ft:{signal.id}"),))
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
        lines.append(st.HISTORY_LINE.format(when=moment(e.created_at, turn.services),
                                            action=st.AUDIT.get(e.action, e.action), actor=actor,
                                            details=f": {esc(details)}" if details else ""))
    return st.HISTORY_TITLE + "\n" + "\n".join(lines)


def _details(details: dict[str, Any]) -> str:
    parts = [str(details[k]) for k in ("organization", "reason", "comment", "new_due") if details.get(k)]
    if details.get("reasons"):
        parts.insert(0, ", ".join(st.RETURN_LABELS.get(r, r) for r in details["reasons"]))
    return sf.trim(" · ".join(parts), 100)[0]
