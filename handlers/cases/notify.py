"""The one way a use case tells someone something later: an outbox row with neutral replies.

A notification is rendered in the recipient's language when its row is written (a callable `says` item
gets their language): a row queued before the person switches language goes out in the old one."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from handlers.i18n import language, t
from handlers.types import Say
from storage.models import Signal, User
from storage.uow import UnitOfWork

Rendered = Say | str | Callable[[str], Say | str]


def render(says: tuple[Rendered, ...], lang: str) -> list[Say]:
    """The messages in `lang`: a callable is called with the language, a string becomes a Say."""
    done = [s(lang) if callable(s) else s for s in says]
    return [s if isinstance(s, Say) else Say(s) for s in done]


async def notify(uow: UnitOfWork, key: str, user: User, *says: Rendered) -> bool:
    """Queue `says` for `user` on their channel unless `key` was queued before; True when queued."""
    payload = [s.to_dict() for s in render(says, language(user.language))]
    return await uow.outbox.add(key, channel=user.channel, peer_id=user.external_id, user_id=user.id,
                                payload=payload)


async def tell_subscribers(uow: UnitOfWork, key: str, signal: Signal, say: Rendered, *,
                           skip: int | None = None) -> list[User]:
    """Queue `say` once for every subscriber of the signal (the author and supporters still
    subscribed), each on their own channel in their own language, under `key:<person id>`. Buttons
    (rating the answer) are the author's alone; the others read how to unsubscribe. Returns who was
    addressed."""
    told = []
    for person in await uow.users.audience(signal):
        if person.id == skip:
            continue
        lang = language(person.language)
        message = render((say,), lang)[0]
        if person.id != signal.author_id:
            message = replace(message, text=message.text + t(lang, "notify-subscriber-footer"), buttons=())
        await notify(uow, f"{key}:{person.id}", person, message)
        told.append(person)
    return told
