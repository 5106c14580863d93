"""Resident basics: /start and consent, /help, the main menu, /my, /forget."""

from __future__ import annotations

from handlers import staff_texts as st
from handlers import texts
from handlers.cases.filing import forget_person
from handlers.dialog import Registry, Turn
from handlers.errors import NotFound
from handlers.moments import moment
from handlers.subs_texts import SUBS_BUTTON
from handlers.types import Button, Input, Press
from storage.models import Answer

registry = Registry("resident")


async def ask_consent(turn: Turn, *, reminder: bool = False) -> None:
    if reminder:
        turn.say(texts.CONSENT_NEEDED)
    turn.say(texts.CONSENT.format(url=texts.esc(turn.services.config.privacy_url)),
             ((Button(texts.CONSENT_BUTTON, "consent"),),))


async def main_menu(turn: Turn, text: str = texts.MAIN_MENU) -> None:
    turn.say(text, ((Button(texts.NEW_SIGNAL_BUTTON, "new"),),
                    (Button(texts.MY_SIGNALS_BUTTON, "my"), Button(SUBS_BUTTON, "subs"))))


async def idle(turn: Turn, inp: Input) -> None:
    """Input outside any dialog step: a stale button, free text... show the way forward."""
    last = turn.data.get("last_number")
    if isinstance(inp, Press) and inp.payload == "send" and last:
        turn.say(texts.ALREADY_SUBMITTED.format(number=last))
        return
    if isinstance(inp, Press):
        turn.say(texts.UNSUPPORTED["forged"])
    await main_menu(turn)


@registry.command("start", needs_consent=False)
async def start(turn: Turn, _args: str) -> None:
    turn.say(texts.WELCOME)
    if turn.user.consent_at is None:
        await ask_consent(turn)
    elif turn.state.step != "idle":
        await turn.reprompt()
    else:
        await main_menu(turn)


@registry.action("consent", needs_consent=False)
async def consent(turn: Turn, _args: list[str]) -> None:
    if turn.user.consent_at is None:
        await turn.uow.people.consent(turn.user, turn.services.now(), (turn.peer.display_name or "")[:128] or None)
        turn.uow.signals.audit("consent_given", signal_id=None, actor_id=turn.user.id)
    turn.notice(texts.CONSENT_THANKS)
    await main_menu(turn, texts.CONSENT_THANKS)


@registry.command("help", needs_consent=False)
async def help_(turn: Turn, _args: str) -> None:
    cfg = turn.services.config
    turn.say(texts.HELP.format(max_photos=cfg.max_photos, days=cfg.deadline_workdays))
    if turn.state.step != "idle":
        await turn.reprompt()


@registry.command("menu")
@registry.action("menu")
async def menu(turn: Turn, _args: object) -> None:
    await main_menu(turn)


@registry.command("cancel", needs_consent=False)
@registry.action("cancel", needs_consent=False)
async def cancel(turn: Turn, _args: object) -> None:
    if turn.state.step == "idle":
        turn.say(texts.NOTHING_TO_CANCEL)
    else:
        last = turn.data.get("last_number")
        turn.reset()
        if last:
            turn.set(last_number=last)
        turn.say(texts.CANCELLED)
    if turn.user.consent_at is None:
        await ask_consent(turn)
    else:
        await main_menu(turn)


@registry.command("my")
@registry.action("my")
async def my(turn: Turn, args: object) -> None:
    if isinstance(args, list) and args:
        await _open(turn, args[0])
        return
    signals = await turn.uow.signals.by_author(turn.user.id, limit=8)
    supported = await turn.uow.supporters.supported_by(turn.user.id, limit=6)
    if not signals and not supported:
        turn.say(texts.MY_EMPTY)
        return
    counts = await turn.uow.supporters.counts(s.id for s in [*signals, *supported])
    lines = [texts.MY_TITLE.format(count=len(signals))] if signals else []
    for title, group in ((None, signals), (texts.MY_SUPPORTED_TITLE, supported)):
        if title and group:
            lines.append(title)
        lines.extend(_my_line(turn, s, counts.get(s.id, 0)) for s in group)
    buttons = [Button(f"№{s.number}", f"my:{s.id}") for s in [*signals, *supported]]
    rows = tuple(tuple(buttons[i:i + 2]) for i in range(0, len(buttons), 2))
    turn.say("\n".join(lines), rows)


def _my_line(turn: Turn, s, supporters: int) -> str:  # type: ignore[no-untyped-def]
    due = texts.MY_DUE.format(due=moment(s.due_on, turn.services)) if s.due_on and s.status in (
        "in_progress", "answer_review") else ""
    line = texts.MY_LINE.format(number=s.number, category=texts.esc(s.category.name),
                                status=texts.STATUS[s.status], due=due)
    return line + (texts.MY_SUPPORTERS.format(count=supporters) if supporters else "")


async def _open(turn: Turn, raw_id: str) -> None:
    signal = await turn.uow.signals.get(int(raw_id)) if raw_id.isdigit() else None
    if signal is None or (signal.author_id != turn.user.id
                          and not await turn.uow.supporters.supports(signal.id, turn.user.id)):
        raise NotFound()
    published = await turn.uow.answers.latest_published(signal.id)
    rate = ()  # the author rates an answer here too — also after unsubscribing from the signal
    if published and signal.author_id == turn.user.id and signal.status == "answered" \
            and not await turn.uow.answers.rated_by(published.id, turn.user.id):
        rate = ((Button(st.RATE_UP, f"rate:up:{published.id}"), Button(st.RATE_DOWN, f"rate:down:{published.id}")),)
    turn.say(signal_card(turn, signal, await _history(turn, signal.id), published), rate,
             photos=tuple(p.photo_id for p in signal.photos))


async def _history(turn: Turn, signal_id: int) -> list[str]:
    events = await turn.uow.signals.history(signal_id)
    return [f"{moment(e.created_at, turn.services)} — {texts.ACTIONS[e.action]}"
            for e in events if e.action in texts.ACTIONS]


def signal_card(turn: Turn, signal, history: list[str], answer: Answer | None,  # type: ignore[no-untyped-def]
                limit: int = 1500) -> str:
    description = signal.description if len(signal.description) <= limit else signal.description[:limit] + "…"
    due = texts.MY_DUE.format(due=moment(signal.due_on, turn.services)) if signal.due_on else ""
    text = texts.SIGNAL_CARD.format(
        number=signal.number, municipality=texts.esc(signal.municipality.name),
        category=texts.esc(signal.category.name), status=texts.STATUS[signal.status], due=due,
        description=texts.esc(description))
    if signal.reject_reason:
        text += texts.REJECT_REASON.format(reason=texts.esc(signal.reject_reason))
    if history:
        text += texts.HISTORY_TITLE + "\n" + "\n".join(history[-10:])
    if answer is not None:
        org = signal.organization.name if signal.organization else "—"
        body = answer.text if len(answer.text) <= 1500 else answer.text[:1500] + "…"
        text += texts.ANSWER_TITLE.format(organization=texts.esc(org), text=texts.esc(body))
    return text


@registry.command("forget", needs_consent=False)
async def forget(turn: Turn, _args: str) -> None:
    turn.say(texts.FORGET_CONFIRM, ((Button(texts.FORGET_YES, "forget:yes"), Button(texts.CANCEL, "forget:no")),))


@registry.action("forget", needs_consent=False)
async def forget_answer(turn: Turn, args: list[str]) -> None:
    if args[:1] == ["yes"]:
        await forget_person(turn.services, turn.uow, turn.user)
        turn.state.step, turn.state.data = "idle", {"forgotten": True}
        turn.say(texts.FORGET_DONE)
    else:
        turn.say(texts.FORGET_KEPT)
