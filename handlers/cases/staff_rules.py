"""What every staff use case shares: role checks, the signal's row lock in a savepoint, lost races.

Every change to a signal, its answers or its extension requests happens under that signal's row lock
(SELECT … FOR UPDATE on PostgreSQL; SQLite serialises whole transactions) inside a savepoint, so a lost
race — seen as a changed status or a stale version — becomes AlreadyHandled with nothing written.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from datetime import datetime

from sqlalchemy.orm.exc import StaleDataError

from handlers import lifecycle
from handlers import staff_format as sf
from handlers.context import Services
from handlers.errors import AlreadyHandled, Forbidden, IllegalTransition, NotFound
from handlers.moments import day  # noqa: F401  (the staff use cases' date, re-exported)
from storage.models import Signal, User
from storage.uow import UnitOfWork

MODERATION = ("accept", "reject")
REVIEW = ("publish_answer", "return_answer")


def require(user: User, role: str) -> None:
    if role not in user.role_names:
        raise Forbidden()


def member(user: User, organization_id: int | None) -> None:
    require(user, "executor")
    if organization_id is None or organization_id not in user.organization_ids:
        raise Forbidden("staff-other-org")


async def who_handled(uow: UnitOfWork, signal_id: int, actions: Iterable[str]) -> str | None:
    user = await uow.users.last_actor(signal_id, actions)
    return sf.display(user) if user else None


async def handled_by(uow: UnitOfWork, user_id: int | None) -> AlreadyHandled:
    """AlreadyHandled naming the person who decided first (when known)."""
    user = await uow.users.by_id(user_id) if user_id else None
    return AlreadyHandled(sf.display(user) if user else None)


@asynccontextmanager
async def guarded(uow: UnitOfWork, signal_id: int, actions: Iterable[str]) -> AsyncIterator[None]:
    """A savepoint; a stale signal version (someone else changed it meanwhile) becomes AlreadyHandled."""
    try:
        async with uow.savepoint():
            yield
    except StaleDataError:
        raise AlreadyHandled(await who_handled(uow, signal_id, actions)) from None


async def locked(uow: UnitOfWork, signal_id: int) -> Signal:
    signal = await uow.signals.get(signal_id, lock=True)
    if signal is None:
        raise NotFound()
    return signal


def local_now(services: Services) -> datetime:
    return services.now().astimezone(services.config.tz)


async def move(services: Services, uow: UnitOfWork, signal: Signal, action: str, actions: Iterable[str],
               **kw: object) -> None:
    try:
        lifecycle.apply(signal, action, now=local_now(services), **kw)  # type: ignore[arg-type]
    except IllegalTransition:
        raise AlreadyHandled(await who_handled(uow, signal.id, actions)) from None
