"""The one way a use case tells someone something later: an outbox row with neutral replies."""

from __future__ import annotations

from handlers.types import Say
from storage.models import User
from storage.uow import UnitOfWork


async def notify(uow: UnitOfWork, key: str, user: User, *says: Say | str) -> bool:
    """Queue `says` for `user` on their channel unless `key` was queued before; True when queued."""
    payload = [(s if isinstance(s, Say) else Say(s)).to_dict() for s in says]
    return await uow.outbox.add(key, channel=user.channel, peer_id=user.external_id, user_id=user.id,
                                payload=payload)
