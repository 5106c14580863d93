"""The resident answers «Проблема решена?»: «Да» closes the signal as fixed; «Нет» takes an optional photo and
comment, then reopens it for the organization."""

from __future__ import annotations

from handlers import limits
from handlers.cases import followup_reply as uc
from handlers.dialog import Registry, Turn
from handlers.errors import DomainError, NotFound, message
from handlers.staff_common import ints, refusing
from handlers.types import Button, Input, Press, StoredPhotos, Text

registry = Registry("followup")


def _leave(turn: Turn) -> None:
    turn.state.step = "idle"
    turn.drop("followup")


@registry.action("fu")
@refusing
async def on_answer(turn: Turn, args: list[str]) -> None:
    if len(args) != 2 or args[0] not in ("yes", "no"):
        raise NotFound()
    (answer_id,) = ints(args[1:], 1)
    if args[0] == "yes":
        signal = await uc.confirm_fixed(turn.services, turn.uow, turn.user, answer_id)
        turn.say(turn.t("followup-thanks-fixed", number=signal.number))
        return
    signal = await uc.check(turn.uow, turn.user, answer_id)
    await turn.goto("followup.photo", followup={"answer_id": answer_id, "number": signal.number, "photos": []})


def _data(turn: Turn) -> dict:  # type: ignore[type-arg]
    return dict(turn.data.get("followup") or {})


async def ask_photo(turn: Turn) -> None:
    data = _data(turn)
    turn.say(turn.t("followup-ask-photo", number=data.get("number", "?")),
             ((Button(turn.t("btn-skip"), "skip"),), (Button(turn.t("btn-cancel"), "cancel"),)))


@registry.step("followup.photo", prompt=ask_photo, accepts_photos=True)
async def on_photo(turn: Turn, inp: Input) -> None:
    data = _data(turn)
    if isinstance(inp, Press) and inp.payload == "cancel":
        _leave(turn)
        turn.say(turn.t("followup-cancelled"))
    elif isinstance(inp, Press) and inp.payload in ("skip", "done"):
        await turn.goto("followup.comment")
    elif isinstance(inp, StoredPhotos) and inp.photo_ids:
        have = list(data["photos"])
        have += [p for p in inp.photo_ids if p not in have][: limits.FOLLOWUP_PHOTOS_MAX - len(have)]
        turn.set(followup={**data, "photos": have})
        if len(have) >= limits.FOLLOWUP_PHOTOS_MAX:
            await turn.goto("followup.comment")
        else:
            turn.say(turn.t("followup-photo-added", count=len(have)), ((Button(turn.t("btn-done"), "done"),),))
    else:
        turn.say(turn.t("followup-hint-photo"))


async def ask_comment(turn: Turn) -> None:
    turn.say(turn.t("followup-ask-comment", max=limits.FOLLOWUP_COMMENT_MAX),
             ((Button(turn.t("btn-skip"), "skip"),), (Button(turn.t("btn-cancel"), "cancel"),)))


@registry.step("followup.comment", prompt=ask_comment)
async def on_comment(turn: Turn, inp: Input) -> None:
    data = _data(turn)
    if isinstance(inp, Press) and inp.payload == "cancel":
        _leave(turn)
        turn.say(turn.t("followup-cancelled"))
        return
    if isinstance(inp, Press) and inp.payload == "skip":
        comment = None
    elif isinstance(inp, Text) and inp.text.strip() and not inp.text.startswith("/"):
        comment = inp.text.strip()[: limits.FOLLOWUP_COMMENT_MAX]
    else:
        turn.say(turn.t("followup-hint-comment"))
        return
    _leave(turn)
    try:
        signal = await uc.not_fixed(turn.services, turn.uow, turn.user, int(data.get("answer_id", 0)), comment,
                                    data.get("photos") or [])
    except DomainError as exc:
        turn.say(message(turn.lang, exc))
        return
    turn.say(turn.t("followup-thanks-reopened", number=signal.number,
                    photos=turn.t("followup-with-photos") if data.get("photos") else ""))
