"""The resident rates a published answer: 👍 closes the signal, 👎 (optional comment) sends it back to work."""

from __future__ import annotations

from handlers.cases.rating import rate_answer
from handlers.dialog import Registry, Turn
from handlers.errors import Forbidden, NotFound
from handlers.i18n import t
from handlers.types import Button, Input, Press, Text
from storage.models import Answer, Signal

registry = Registry("rating")
COMMENT_MAX = 1000


async def _target(turn: Turn, answer_id: int) -> tuple[Answer, Signal] | None:
    """The answer and its signal (locked) when the presser may rate it; None (after saying why) if not."""
    answer = await turn.uow.answers.get(answer_id)
    signal = await turn.uow.signals.get(answer.signal_id, lock=True) if answer else None
    if answer is None or signal is None:
        raise NotFound()
    if signal.author_id != turn.user.id:  # the rating is the author's (subscribed or not); supporters follow
        raise Forbidden()
    latest = await turn.uow.answers.latest_published(signal.id)
    if latest is None or latest.id != answer.id or answer.review_status != "published":
        turn.say(turn.t("rating-outdated", number=signal.number))
        return None
    if await turn.uow.answers.rated_by(answer.id, turn.user.id):
        turn.say(turn.t("rating-already-rated"))
        return None
    return answer, signal


@registry.action("rate")
async def rate(turn: Turn, args: list[str]) -> None:
    if len(args) != 2 or args[0] not in ("up", "down") or not args[1].isdigit():
        raise NotFound()
    found = await _target(turn, int(args[1]))
    if found is None:
        return
    answer, signal = found
    if args[0] == "up":
        changed = await rate_answer(turn.services, turn.uow, turn.user, answer, signal, +1)
        turn.say(turn.t("rating-thanks-up", number=signal.number) if changed else turn.t("rating-thanks-up-late"))
        return
    await turn.goto("rating.comment", rating_answer=answer.id, rating_number=signal.number)


async def ask_comment(turn: Turn) -> None:
    turn.say(turn.t("rating-ask-comment", number=turn.data.get("rating_number", "?"), max=COMMENT_MAX),
             ((Button(t(turn.lang, "btn-skip"), "skip"),), (Button(t(turn.lang, "btn-cancel"), "cancel"),)))


@registry.step("rating.comment", prompt=ask_comment)
async def on_comment(turn: Turn, inp: Input) -> None:
    if isinstance(inp, Press) and inp.payload == "skip":
        comment = None
    elif isinstance(inp, Text) and inp.text.strip() and not inp.text.startswith("/"):
        comment = inp.text.strip()[:COMMENT_MAX]
    else:
        turn.say(turn.t("rating-hint-comment"))
        await ask_comment(turn)
        return
    answer_id = int(turn.data.get("rating_answer", 0))
    last = turn.data.get("last_number")
    turn.reset()
    if last:
        turn.set(last_number=last)
    found = await _target(turn, answer_id)
    if found is None:
        return
    answer, signal = found
    changed = await rate_answer(turn.services, turn.uow, turn.user, answer, signal, -1, comment)
    turn.say(turn.t("rating-thanks-down", number=signal.number) if changed else turn.t("rating-thanks-down-late"))
