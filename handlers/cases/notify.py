"""The one way a use case tells someone something later: an outbox row with neutral replies.

A notification is rendered in the recipient's language when its row is written (a callable `says` item
gets their language): a row queued before the person switches language goes out in the old one."""

from __future__ import annotations

from collections.abc import Callable

from handlers.i18n import language
from handlers.types import Say
from storage.models import User
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
