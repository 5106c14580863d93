"""Repositories: the queries use cases need, nothing that decides business rules."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from storage.models import (
    AuditEvent,
    DialogState,
    Organization,
    OutboxMessage,
    Route,
    Signal,
    SignalCounter,
    User,
)
from storage.refcache import Kind, Place, ReferenceCache, bump
from storage.types import UTCDateTime, utcnow


def _insert(dialect: str):  # type: ignore[no-untyped-def]
    return pg_insert if dialect == "postgresql" else sqlite_insert


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
        from storage.models import UserRole

        rows = await self.s.scalars(
            select(User).join(UserRole).where(UserRole.role == role).order_by(User.id)
        )
        return rows.all()

    async def members_of(self, organization_id: int) -> Sequence[User]:
        from storage.models import OrganizationMember, UserRole

        rows = await self.s.scalars(
            select(User)
            .join(OrganizationMember)
            .join(UserRole, UserRole.user_id == User.id)
            .where(OrganizationMember.organization_id == organization_id, UserRole.role == "executor")
            .order_by(User.id)
        )
        return rows.unique().all()


class Catalog:
    """Reference data: municipalities, categories, organizations, routes (the first three from the cache)."""

    def __init__(self, session: AsyncSession, cache: ReferenceCache) -> None:
        self.s = session
        self.cache = cache

    async def changed(self) -> None:
        """Reference data changed in this transaction: every instance reloads its cache."""
        await bump(self.s)
        self.cache.drop()

    async def municipalities(self) -> list[Place]:
        return (await self.cache.get(self.s)).places

    async def municipality(self, mid: int) -> Place | None:
        return next((m for m in await self.municipalities() if m.id == mid), None)

    async def municipality_by_name(self, name: str) -> Place | None:
        """Case-insensitive in Python: SQLite's lower() leaves Cyrillic as it is."""
        wanted = name.strip().casefold()
        return next((m for m in await self.municipalities() if m.name.casefold() == wanted), None)

    async def categories(self) -> list[Kind]:
        return (await self.cache.get(self.s)).kinds

    async def category(self, cid: int) -> Kind | None:
        return next((c for c in await self.categories() if c.id == cid), None)

    async def category_by_name(self, name: str) -> Kind | None:
        wanted = name.strip().casefold()
        return next((c for c in await self.categories() if c.name.casefold() == wanted), None)

    async def organizations(self) -> Sequence[Organization]:
        return (await self.s.scalars(select(Organization).order_by(Organization.name))).all()

    async def organization(self, oid: int) -> Organization | None:
        return await self.s.get(Organization, oid)

    async def organization_by_name(self, name: str) -> Organization | None:
        return await self.s.scalar(select(Organization).where(Organization.name == name))

    async def route(self, municipality_id: int, category_id: int) -> Organization | None:
        org_id = (await self.cache.get(self.s)).routes.get((municipality_id, category_id))
        return await self.s.get(Organization, org_id) if org_id is not None else None

    async def set_route(self, municipality_id: int, category_id: int, organization_id: int) -> None:
        route = await self.s.get(Route, (municipality_id, category_id))
        if route is None:
            self.s.add(Route(municipality_id=municipality_id, category_id=category_id,
                             organization_id=organization_id))
        else:
            route.organization_id = organization_id
        await self.changed()

    async def routes(self) -> Sequence[Route]:
        return (await self.s.scalars(select(Route).order_by(Route.municipality_id, Route.category_id))).all()


class Signals:
    def __init__(self, session: AsyncSession, dialect: str) -> None:
        self.s = session
        self.dialect = dialect

    async def next_number(self, year: int) -> str:
        """Allocate the next public number atomically (safe across instances)."""
        ins = _insert(self.dialect)(SignalCounter).values(year=year, last=0)
        await self.s.execute(ins.on_conflict_do_nothing(index_elements=["year"]))
        last = await self.s.scalar(
            update(SignalCounter)
            .where(SignalCounter.year == year)
            .values(last=SignalCounter.last + 1)
            .returning(SignalCounter.last)
        )
        return f"{year}-{last:06d}"

    async def get(self, signal_id: int, *, lock: bool = False) -> Signal | None:
        stmt = select(Signal).where(Signal.id == signal_id)
        if lock and self.dialect == "postgresql":
            stmt = stmt.with_for_update(of=Signal)
        return await self.s.scalar(stmt.execution_options(populate_existing=True))

    async def by_number(self, number: str) -> Signal | None:
        return await self.s.scalar(select(Signal).where(Signal.number == number))

    async def by_author(self, user_id: int, limit: int = 20) -> Sequence[Signal]:
        rows = await self.s.scalars(
            select(Signal).where(Signal.author_id == user_id).order_by(Signal.created_at.desc()).limit(limit)
        )
        return rows.all()

    async def count_by_author_since(self, user_id: int, since: datetime) -> int:
        return int(
            await self.s.scalar(
                select(func.count(Signal.id)).where(Signal.author_id == user_id, Signal.created_at >= since)
            )
            or 0
        )

    async def with_status(self, status: str, limit: int = 50, offset: int = 0) -> Sequence[Signal]:
        rows = await self.s.scalars(
            select(Signal).where(Signal.status == status).order_by(Signal.created_at, Signal.id)
            .limit(limit).offset(offset)
        )
        return rows.all()

    async def count_status(self, status: str) -> int:
        return int(await self.s.scalar(select(func.count(Signal.id)).where(Signal.status == status)) or 0)

    async def listing(self, status: str | None = None, limit: int = 50) -> Sequence[Signal]:
        stmt = select(Signal).order_by(Signal.created_at.desc(), Signal.id.desc()).limit(limit)
        if status:
            stmt = stmt.where(Signal.status == status)
        return (await self.s.scalars(stmt)).all()

    async def history(self, signal_id: int) -> Sequence[AuditEvent]:
        rows = await self.s.scalars(
            select(AuditEvent).where(AuditEvent.signal_id == signal_id).order_by(AuditEvent.id)
        )
        return rows.all()

    def audit(self, action: str, *, signal_id: int | None, actor_id: int | None, **details: Any) -> None:
        self.s.add(AuditEvent(signal_id=signal_id, actor_id=actor_id, action=action, details=details))


class Outbox:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def add(
        self,
        dedupe_key: str,
        *,
        channel: str,
        peer_id: int,
        user_id: int | None,
        payload: list[dict[str, Any]],
        available_at: datetime | None = None,
    ) -> bool:
        """Queue a notification unless one with the same dedupe key exists; True when queued."""
        exists = await self.s.scalar(select(OutboxMessage.id).where(OutboxMessage.dedupe_key == dedupe_key))
        if exists is not None:
            return False
        self.s.add(
            OutboxMessage(
                dedupe_key=dedupe_key,
                channel=channel,
                peer_id=peer_id,
                user_id=user_id,
                payload=payload,
                state="pending",
                available_at=available_at or utcnow(),
            )
        )
        await self.s.flush()
        return True


# One statement that creates the state if absent and returns it (locked on PostgreSQL). Plain SQL both
# databases speak, so it is compiled once (SQLAlchemy never caches its SQLite ON CONFLICT construct).
_LOAD_STATE = select(DialogState).from_statement(
    text("INSERT INTO dialog_states (channel, peer_id, step, data, updated_at) "
         "VALUES (:channel, :peer_id, 'idle', '{}', :now) "
         "ON CONFLICT (channel, peer_id) DO UPDATE SET updated_at = excluded.updated_at "
         "RETURNING channel, peer_id, step, data, updated_at")
    .bindparams(bindparam("now", type_=UTCDateTime()))
    .columns(*DialogState.__table__.c))


class DialogStates:
    def __init__(self, session: AsyncSession, dialect: str) -> None:
        self.s = session
        self.dialect = dialect

    async def load(self, channel: str, peer_id: int, *, lock: bool = True) -> DialogState:
        """A person's dialog state (created if absent). With `lock`, one statement upserts and returns
        the row; on PostgreSQL the upsert locks it, so one person's updates are handled strictly one after
        another, even across instances (SQLite has one writer anyway)."""
        if not lock:
            found = await self.s.scalar(
                select(DialogState).where(DialogState.channel == channel, DialogState.peer_id == peer_id))
            return found or DialogState(channel=channel, peer_id=peer_id, step="idle", data={})
        state = await self.s.scalar(_LOAD_STATE, {"channel": channel, "peer_id": peer_id, "now": utcnow()},
                                    execution_options={"populate_existing": True})
        assert state is not None
        return state
