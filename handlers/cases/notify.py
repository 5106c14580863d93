"""The one way a use case tells someone something later: an outbox row with neutral replies."""

from __future__ import annotations

from dataclasses import replace

from handlers.subs_texts import SUBSCRIBER_FOOTER
from handlers.types import Say
from storage.models import Signal, User
from storage.uow import UnitOfWork


async def notify(uow: UnitOfWork, key: str, user: User, *says: Say | str) -> bool:
    """Queue `says` for `user` on their channel unless `key` was queued before; True when queued."""
    payload = [(s if isinstance(s, Say) else Say(s)).to_dict() for s in says]
    return await uow.outbox.add(key, channel=user.channel, peer_id=user.external_id, user_id=user.id,
                                payload=payload)


async def tell_subscribers(uow: UnitOfWork, key: str, signal: Signal, say: Say, *,
                           skip: int | None = None) -> list[User]:
    """Queue `say` once for every subscriber of the signal (the author and supporters still
    subscribed), each on their own channel, under `key:<person id>`. Buttons (rating the answer)
    are the author's alone; the others read how to unsubscribe. Returns who was addressed."""
    told = []
    for person in await uow.users.audience(signal):
        if person.id == skip:
            continue
        message = say if person.id == signal.author_id else \
            replace(say, text=say.text + SUBSCRIBER_FOOTER, buttons=())
        await notify(uow, f"{key}:{person.id}", person, message)
        told.append(person)
    return told
