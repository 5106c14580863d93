"""/subscriptions: the signals a resident follows (filed or supported), each with «Отписаться»."""

from __future__ import annotations

from handlers import places
from handlers.dialog import Registry, Turn
from handlers.errors import NotFound
from handlers.menus import label
from handlers.texts import esc
from handlers.types import Button
from storage.models import Signal

registry = Registry("subscriptions")
SHOWN = 8  # one button each, plus the menu's: within VK's 10 inline buttons


@registry.command("subscriptions")
@registry.action("subs")
async def subscriptions(turn: Turn, _args: object) -> None:
    followed, total = await turn.uow.subscriptions.followed(turn.user.id, limit=SHOWN)
    if not followed:
        turn.say(turn.t("subs-empty"), ((Button(turn.t("btn-my-signals"), "my"),),))
        return
    lines = [turn.t("subs-title", count=total)]
    lines += [turn.t("subs-line", number=s.number, category=esc(places.category(turn, s.category)),
                     status=turn.t(f"status.{s.status}"),
                     role=turn.t("subs-role-author" if s.author_id == turn.user.id else "subs-role-supporter"))
              for s in followed]
    if total > len(followed):
        lines.append(turn.t("subs-more", count=total - len(followed)))
    rows = tuple((Button(label(turn.t("btn-subs-leave", number=s.number)), f"unsub:{s.id}"),) for s in followed)
    turn.say("\n".join(lines), rows)


async def _related(turn: Turn, raw_id: str) -> Signal:
    """A signal the person filed or supported (anything else — a forged id — is not found)."""
    signal = await turn.uow.signals.get(int(raw_id)) if raw_id.isdigit() else None
    if signal is None or (signal.author_id != turn.user.id
                          and not await turn.uow.supporters.supports(signal.id, turn.user.id)):
        raise NotFound()
    return signal


@registry.action("unsub")
async def unsubscribe(turn: Turn, args: list[str]) -> None:
    signal = await _related(turn, args[0] if args else "")
    if not await turn.uow.subscriptions.leave(signal.id, turn.user.id):
        turn.say(turn.t("subs-not-following", number=signal.number))
        return
    text = "subs-left-author" if signal.author_id == turn.user.id else "subs-left"
    turn.say(turn.t(text, number=signal.number),
             ((Button(label(turn.t("btn-subs-follow-again", number=signal.number)), f"resub:{signal.id}"),),
              (Button(turn.t("btn-subscriptions"), "subs"),)))


@registry.action("resub")
async def resubscribe(turn: Turn, args: list[str]) -> None:
    signal = await _related(turn, args[0] if args else "")
    await turn.uow.subscriptions.follow(signal.id, turn.user.id, turn.services.now())
    turn.say(turn.t("subs-following", number=signal.number), ((Button(turn.t("btn-subscriptions"), "subs"),),))
