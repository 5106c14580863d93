"""Resident basics: /start and consent, the language (/lang), /help, the main menu, /my, /forget."""

from __future__ import annotations

from handlers import places
from handlers.cases.filing import forget_person
from handlers.dialog import STEPS, Registry, Turn
from handlers.errors import NotFound
from handlers.i18n import LANGUAGES, t
from handlers.moments import moment
from handlers.texts import esc
from handlers.types import Button, Input, Press
from storage.models import Answer

registry = Registry("resident")
# audit actions a resident sees in their signal's history (the others are staff matters)
HISTORY_ACTIONS = ("filed", "accept", "reject", "submit_answer", "return_answer", "publish_answer", "close", "reopen",
                   "extend", "edit", "supported")


async def ask_consent(turn: Turn, *, reminder: bool = False) -> None:
    if reminder:
        turn.say(t(turn.lang, "consent-needed"))
    turn.say(turn.t("consent", url=esc(turn.services.config.privacy_url)),
             ((Button(turn.t("btn-consent"), "consent"),), *language_buttons(turn)))


def language_buttons(turn: Turn) -> tuple[tuple[Button, ...], ...]:
    """«Русский» / «Коми кыв», each language named in itself."""
    return (tuple(Button(turn.t(f"btn-language.{code}"), f"lang:{code}") for code in LANGUAGES),)


@registry.command("lang", needs_consent=False)
@registry.action("lang", needs_consent=False)
async def choose_language(turn: Turn, args: object) -> None:
    """/lang or the menu button: offer the languages; «lang:kv»: switch, then ask the current step again
    (the draft stays as it is) — or the consent, or the menu."""
    choice = args[0] if isinstance(args, list) and args else str(args or "").strip().lower()
    if choice not in LANGUAGES:
        turn.say(turn.t("language-choose"), language_buttons(turn))
        return
    await turn.uow.people.set_language(turn.user, choice)
    turn.notice(turn.t("language-set"))
    turn.say(turn.t("language-set"))
    if turn.user.consent_at is None:
        await ask_consent(turn)
    elif turn.state.step in STEPS:
        await turn.reprompt()
    else:
        await main_menu(turn)


def menu_buttons(turn: Turn) -> tuple[tuple[Button, ...], ...]:
    """The main menu: file, my signals and subscriptions, the language."""
    return ((Button(turn.t("btn-new-signal"), "new"),),
            (Button(turn.t("btn-my-signals"), "my"), Button(turn.t("btn-subscriptions"), "subs")),
            (Button(turn.t("btn-language"), "lang"),))


async def main_menu(turn: Turn, text: str | None = None) -> None:
    turn.say(text or turn.t("main-menu"), menu_buttons(turn))


async def idle(turn: Turn, inp: Input) -> None:
    """Input outside any dialog step: a stale button, free text... show the way forward."""
    last = turn.data.get("last_number")
    if isinstance(inp, Press) and inp.payload == "send" and last:
        turn.say(t(turn.lang, "already-submitted", number=last))
        return
    if isinstance(inp, Press):
        turn.say(t(turn.lang, "unsupported.forged"))
    await main_menu(turn)


@registry.command("start", needs_consent=False)
async def start(turn: Turn, _args: str) -> None:
    turn.say(t(turn.lang, "welcome"))
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
    turn.notice(t(turn.lang, "consent-thanks"))
    await main_menu(turn, t(turn.lang, "consent-thanks"))


@registry.command("help", needs_consent=False)
async def help_(turn: Turn, _args: str) -> None:
    cfg = turn.services.config
    turn.say(t(turn.lang, "help", max_photos=cfg.max_photos, days=cfg.deadline_workdays))
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
        turn.say(t(turn.lang, "nothing-to-cancel"))
    else:
        last = turn.data.get("last_number")
        turn.reset()
        if last:
            turn.set(last_number=last)
        turn.say(t(turn.lang, "cancelled"))
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
        turn.say(t(turn.lang, "my-empty"))
        return
    counts = await turn.uow.supporters.counts(s.id for s in [*signals, *supported])
    lines = [t(turn.lang, "my-title", count=len(signals))] if signals else []
    for title, group in ((None, signals), (t(turn.lang, "my-supported-title"), supported)):
        if title and group:
            lines.append(title)
        lines.extend(_my_line(turn, s, counts.get(s.id, 0)) for s in group)
    buttons = [Button(f"№{s.number}", f"my:{s.id}") for s in [*signals, *supported]]
    rows = tuple(tuple(buttons[i:i + 2]) for i in range(0, len(buttons), 2))
    turn.say("\n".join(lines), rows)


def _my_line(turn: Turn, s, supporters: int) -> str:  # type: ignore[no-untyped-def]
    due = t(turn.lang, "my-due", due=moment(s.due_on, turn.services, turn.lang)) if s.due_on and s.status in (
        "in_progress", "answer_review") else ""
    line = t(turn.lang, "my-line", number=s.number, category=esc(places.category(turn, s.category)),
                                status=t(turn.lang, f"status.{s.status}"), due=due)
    return line + (t(turn.lang, "my-supporters", count=supporters) if supporters else "")


async def _open(turn: Turn, raw_id: str) -> None:
    signal = await turn.uow.signals.get(int(raw_id)) if raw_id.isdigit() else None
    if signal is None or (signal.author_id != turn.user.id
                          and not await turn.uow.supporters.supports(signal.id, turn.user.id)):
        raise NotFound()
    published = await turn.uow.answers.latest_published(signal.id)
    rate = ()  # the author rates an answer here too — also after unsubscribing from the signal
    if published and signal.author_id == turn.user.id and signal.status == "answered" \
            and not await turn.uow.answers.rated_by(published.id, turn.user.id):
        rate = ((Button(turn.t("btn-rate-up"), f"rate:up:{published.id}"),
                 Button(turn.t("btn-rate-down"), f"rate:down:{published.id}")),)
    turn.say(signal_card(turn, signal, await _history(turn, signal.id), published), rate,
             photos=tuple(p.photo_id for p in signal.photos))


async def _history(turn: Turn, signal_id: int) -> list[str]:
    events = await turn.uow.signals.history(signal_id)
    return [turn.t("history-line", when=moment(e.created_at, turn.services, turn.lang),
                   action=turn.t(f"action.{e.action}")) for e in events if e.action in HISTORY_ACTIONS]


def signal_card(turn: Turn, signal, history: list[str], answer: Answer | None,  # type: ignore[no-untyped-def]
                limit: int = 1500) -> str:
    description = signal.description if len(signal.description) <= limit else signal.description[:limit] + "…"
    due = t(turn.lang, "my-due", due=moment(signal.due_on, turn.services, turn.lang)) if signal.due_on else ""
    text = t(turn.lang, "signal-card",
        number=signal.number, municipality=esc(places.municipality(turn, signal.municipality)),
        category=esc(places.category(turn, signal.category)), status=t(turn.lang, f"status.{signal.status}"), due=due,
        description=esc(description))
    if signal.reject_reason:
        text += t(turn.lang, "card-reject-reason", reason=esc(signal.reject_reason))
    if history:
        text += t(turn.lang, "history-title") + "\n" + "\n".join(history[-10:])
    if answer is not None:
        org = signal.organization.name if signal.organization else "—"
        body = answer.text if len(answer.text) <= 1500 else answer.text[:1500] + "…"
        text += t(turn.lang, "answer-title", organization=esc(org), text=esc(body))
    return text


@registry.command("forget", needs_consent=False)
async def forget(turn: Turn, _args: str) -> None:
    turn.say(t(turn.lang, "forget-confirm"), ((Button(t(turn.lang, "btn-forget-yes"), "forget:yes"), Button(t(turn.lang, "btn-cancel"), "forget:no")),))


@registry.action("forget", needs_consent=False)
async def forget_answer(turn: Turn, args: list[str]) -> None:
    if args[:1] == ["yes"]:
        await forget_person(turn.services, turn.uow, turn.user)
        turn.state.step, turn.state.data = "idle", {"forgotten": True}
        turn.say(t(turn.lang, "forget-done"))
    else:
        turn.say(t(turn.lang, "forget-kept"))
