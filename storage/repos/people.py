"""People: identities with their roles and organizations, who hears about a signal, forgetting a person."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from storage import inbox
from storage.models import (
    AuditEvent,
    DialogState,
    OrganizationMember,
    OutboxMessage,
    Rating,
    Signal,
    SignalSupporter,
    Subscription,
    User,
    UserRole,
)
from storage.rows import Person

# built once: building a statement costs more than running it, and this one runs on every turn
_PERSON = select(User).where(User.channel == bindparam("channel"), User.external_id == bindparam("external_id")) \
    .options(joinedload(User.roles), joinedload(User.memberships))


class Users:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def get(self, channel: str, external_id: int) -> User | None:
        """The person with their roles and organizations, in one statement."""
        result = await self.s.execute(_PERSON, {"channel": channel, "external_id": external_id})
        return result.unique().scalar_one_or_none()

    async def by_id(self, user_id: int) -> User | None:
        return await self.s.get(User, user_id)

    async def get_or_create(self, channel: str, external_id: int) -> User:
        user = await self.get(channel, external_id)
        if user is None:
            user = User(channel=channel, external_id=external_id, roles=[], memberships=[])
            self.s.add(user)
            await self.s.flush()
        return user

    async def with_role(self, role: str) -> Sequence[User]:
        rows = await self.s.scalars(
            select(User).join(UserRole).where(UserRole.role == role).order_by(User.id)
        )
        return rows.all()

    async def members_of(self, organization_id: int) -> Sequence[User]:
        rows = await self.s.scalars(
            select(User)
            .join(OrganizationMember)
            .join(UserRole, UserRole.user_id == User.id)
            .where(OrganizationMember.organization_id == organization_id, UserRole.role == "executor")
            .order_by(User.id)
        )
        return rows.unique().all()

    async def staff(self) -> list[tuple[User, str]]:
        """Every (person, staff role) pair, by identity (for `roles list`)."""
        rows = await self.s.execute(
            select(User, UserRole.role).join(UserRole).order_by(User.channel, User.external_id))
        return [(user, role) for user, role in rows]

    async def named(self, user_ids: Iterable[int | None]) -> Sequence[User]:
        ids = {i for i in user_ids if i is not None}
        if not ids:
            return []
        return (await self.s.scalars(select(User).where(User.id.in_(ids)))).all()

    async def audience(self, signal: Signal) -> list[User]:
        """Who hears about a signal: its subscribers — the author (subscribed when filing) and its
        supporters — minus whoever unsubscribed (deleted people are simply absent)."""
        rows = await self.s.scalars(select(User).join(Subscription, Subscription.user_id == User.id)
                                    .where(Subscription.signal_id == signal.id).order_by(User.id))
        return list(rows.all())

    async def last_actor(self, signal_id: int, actions: Iterable[str]) -> User | None:
        """The person behind the latest of these audit events on a signal."""
        actor_id = await self.s.scalar(select(AuditEvent.actor_id).where(
            AuditEvent.signal_id == signal_id, AuditEvent.action.in_(tuple(actions)))
            .order_by(AuditEvent.id.desc()).limit(1))
        return await self.s.get(User, actor_id) if actor_id is not None else None

    async def forget(self, user: User | Person) -> int:
        """152-ФЗ: delete the person's data; signals already in work stay, without the author.
        Returns how many unmoderated signals went with them."""
        s = self.s
        unmoderated = list(await s.scalars(
            select(Signal.id).where(Signal.author_id == user.id, Signal.status == "new")))
        if unmoderated:
            await s.execute(delete(Signal).where(Signal.id.in_(unmoderated)))
        await s.execute(update(Signal).where(Signal.author_id == user.id).values(author_id=None))
        await s.execute(update(Rating).where(Rating.user_id == user.id).values(user_id=None, comment=None))
        await s.execute(delete(Subscription).where(Subscription.user_id == user.id))
        await s.execute(delete(SignalSupporter).where(SignalSupporter.user_id == user.id))
        await s.execute(delete(OutboxMessage).where(
            OutboxMessage.user_id == user.id, OutboxMessage.state.in_(("pending", "failed"))))
        await s.execute(update(DialogState).where(
            DialogState.channel == user.channel, DialogState.peer_id == user.external_id)
            .values(step="idle", data={}))
        await inbox.forget_peer(s, user.channel, user.external_id)
        await s.execute(delete(User).where(User.id == user.id))  # roles and memberships cascade
        return len(unmoderated)
