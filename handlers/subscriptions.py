"""/subscriptions: the signals a resident follows (filed or supported), each with «Отписаться»."""

from __future__ import annotations

from handlers import subs_texts as t
from handlers import texts
from handlers.dialog import Registry, Turn
from handlers.errors import NotFound
from handlers.menus import label
from handlers.types import Button
from storage.models import Signal

registry = Registry("subscriptions")
SHOWN = 8  # one button each, plus the menu's: within VK's 10 inline buttons


@registry.command("subscriptions")
@registry.action("subs")
async def subscriptions(turn: Turn, _args: object) -> None:
    followed, total = await turn.uow.subscriptions.followed(turn.user.id, limit=SHOWN)
    if not followed:
        turn.say(t.SUBS_EMPTY, ((Button(texts.MY_SIGNALS_BUTTON, "my"),),))
        return
    lines = [t.SUBS_TITLE.format(count=total)]
    lines += [t.SUBS_LINE.format(number=s.number, category=texts.esc(s.category.name),
                                 status=texts.STATUS[s.status],
                                 role=t.SUBS_ROLE_AUTHOR if s.author_id == turn.user.id else t.SUBS_ROLE_SUPPORTER)
              for s in followed]
    if total > len(followed):
        lines.append(t.SUBS_MORE.format(count=total - len(followed)))
    rows = tuple((Button(label(t.SUBS_LEAVE.format(number=s.number)), f"unsub:{s.id}"),) for s in followed)
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
        turn.say(t.SUBS_NOT_FOLLOWING.format(number=signal.number))
        return
    text = t.SUBS_LEFT_AUTHOR if signal.author_id == turn.user.id else t.SUBS_LEFT
    turn.say(text.format(number=signal.number),
             ((Button(label(t.SUBS_FOLLOW_AGAIN.format(number=signal.number)), f"resub:{signal.id}"),),
              (Button(t.SUBS_BUTTON, "subs"),)))


@registry.action("resub")
async def resubscribe(turn: Turn, args: list[str]) -> None:
    signal = await _related(turn, args[0] if args else "")
    await turn.uow.subscriptions.follow(signal.id, turn.user.id, turn.services.now())
    turn.say(t.SUBS_FOLLOWING.format(number=signal.number), ((Button(t.SUBS_BUTTON, "subs"),),))
