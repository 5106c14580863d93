"""The resident answers «Проблема решена?»: «Да» closes the signal as fixed; «Нет» takes an optional photo and
comment, then reopens it for the organization."""

from __future__ import annotations

from handlers import followup_texts as ft
from handlers import texts
from handlers.cases import followup_reply as uc
from handlers.dialog import Registry, Turn
from handlers.errors import DomainError, NotFound
from handlers.staff_common import ints, refusing
from handlers.staff_format import refusal
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
        turn.say(ft.THANKS_FIXED.format(number=signal.number))
        return
    signal = await uc.check(turn.uow, turn.user, answer_id)
    await turn.goto("followup.photo", followup={"answer_id": answer_id, "number": signal.number, "photos": []})


def _data(turn: Turn) -> dict:  # type: ignore[type-arg]
    return dict(turn.data.get("followup") or {})


async def ask_photo(turn: Turn) -> None:
    data = _data(turn)
    turn.say(ft.ASK_PHOTO.format(number=data.get("number", "?")),
             ((Button(texts.SKIP, "skip"),), (Button(texts.CANCEL, "cancel"),)))


@registry.step("followup.photo", prompt=ask_photo, accepts_photos=True)
async def on_photo(turn: Turn, inp: Input) -> None:
    data = _data(turn)
    if isinstance(inp, Press) and inp.payload == "cancel":
        _leave(turn)
        turn.say(ft.CANCELLED)
    elif isinstance(inp, Press) and inp.payload in ("skip", "done"):
        await turn.goto("followup.comment")
    elif isinstance(inp, StoredPhotos) and inp.photo_ids:
        have = list(data["photos"])
        have += [p for p in inp.photo_ids if p not in have][: ft.PHOTOS_MAX - len(have)]
        turn.set(followup={**data, "photos": have})
        if len(have) >= ft.PHOTOS_MAX:
            await turn.goto("followup.comment")
        else:
            turn.say(ft.PHOTO_ADDED.format(count=len(have)), ((Button(texts.DONE, "done"),),))
    else:
        turn.say(ft.HINT_PHOTO)


async def ask_comment(turn: Turn) -> None:
    turn.say(ft.ASK_COMMENT.format(max=ft.COMMENT_MAX),
             ((Button(texts.SKIP, "skip"),), (Button(texts.CANCEL, "cancel"),)))


@registry.step("followup.comment", prompt=ask_comment)
async def on_comment(turn: Turn, inp: Input) -> None:
    data = _data(turn)
    if isinstance(inp, Press) and inp.payload == "cancel":
        _leave(turn)
        turn.say(ft.CANCELLED)
        return
    if isinstance(inp, Press) and inp.payload == "skip":
        comment = None
    elif isinstance(inp, Text) and inp.text.strip() and not inp.text.startswith("/"):
        comment = inp.text.strip()[: ft.COMMENT_MAX]
    else:
        turn.say(ft.HINT_COMMENT)
        return
    _leave(turn)
    try:
        signal = await uc.not_fixed(turn.services, turn.uow, turn.user, int(data.get("answer_id", 0)), comment,
                                    data.get("photos") or [])
    except DomainError as exc:
        turn.say(refusal(exc))
        return
    turn.say(ft.THANKS_REOPENED.format(number=signal.number, photos=ft.WITH_PHOTOS if data.get("photos") else ""))
