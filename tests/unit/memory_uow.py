"""An in-memory unit of work (a fake, not a mock): the same repository methods over Python lists.

Dialog and use-case unit tests run the real Conversation and use cases on it, without a database, in
milliseconds. It keeps what those tests need; the database tests cover the repositories themselves."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from handlers.context import DialogConfig, Services
from storage.models import (
    Answer,
    AnswerPhoto,
    AuditEvent,
    Category,
    DialogState,
    ExtensionRequest,
    Followup,
    Municipality,
    Organization,
    OrganizationMember,
    Signal,
    SignalPhoto,
    User,
    UserRole,
)
from storage.refcache import Kind, Place
from storage.region import distance_km
from storage.repos.catalog import fold
from storage.repos.followups import AnswerFacts
from storage.repos.nearby import CLOSED_STATUSES, Near
from storage.types import utcnow


def _defaults(row: Any) -> Any:
    """Column defaults a flush would fill in (0, 1, 'pending', now)."""
    for column in row.__table__.columns:
        if getattr(row, column.key, None) is None and column.default is not None:
            arg = column.default.arg
            setattr(row, column.key, arg(None) if callable(arg) else arg)
    return row


@dataclass
class Store:
    """Everything the fake database holds (shared by every unit of work of one test)."""

    places: list[Place] = field(default_factory=list)
    kinds: list[Kind] = field(default_factory=list)
    organizations: dict[int, Organization] = field(default_factory=dict)
    routes: dict[tuple[int, int], int] = field(default_factory=dict)
    users: dict[int, User] = field(default_factory=dict)
    signals: dict[int, Signal] = field(default_factory=dict)
    subscriptions: set[tuple[int, int]] = field(default_factory=set)
    supporters: set[tuple[int, int]] = field(default_factory=set)
    answers: dict[int, Answer] = field(default_factory=dict)
    ratings: list[dict[str, Any]] = field(default_factory=list)
    extensions: dict[int, ExtensionRequest] = field(default_factory=dict)
    followups: dict[int, Followup] = field(default_factory=dict)
    photos: dict[int, str] = field(default_factory=dict)  # id → sha256
    outbox: list[dict[str, Any]] = field(default_factory=list)
    audit: list[AuditEvent] = field(default_factory=list)
    states: dict[tuple[str, int], DialogState] = field(default_factory=dict)
    counters: dict[int, int] = field(default_factory=dict)
    ids: itertools.count = field(default_factory=lambda: itertools.count(1))
    commits: int = 0

    def new_id(self) -> int:
        return next(self.ids)

    def place(self, mid: int) -> Municipality:
        p = next(p for p in self.places if p.id == mid)
        return Municipality(id=p.id, code=p.code, name=p.name, kind=p.kind, centre=p.centre,
                            latitude=p.latitude, longitude=p.longitude, locative=p.locative)

    def kind(self, cid: int) -> Category:
        k = next(k for k in self.kinds if k.id == cid)
        return Category(id=k.id, code=k.code, name=k.name, position=k.position)

    def refresh(self, signal: Signal) -> Signal:
        """What the ORM's joined relationships would show after a reload."""
        signal.municipality = self.place(signal.municipality_id)
        signal.category = self.kind(signal.category_id)
        signal.organization = self.organizations.get(signal.organization_id or 0)
        return signal


class Users:
    def __init__(self, store: Store) -> None:
        self.st = store

    async def get(self, channel: str, external_id: int) -> User | None:
        return next((u for u in self.st.users.values() if (u.channel, u.external_id) == (channel, external_id)), None)

    async def by_id(self, user_id: int) -> User | None:
        return self.st.users.get(user_id)

    async def get_or_create(self, channel: str, external_id: int) -> User:
        user = await self.get(channel, external_id)
        if user is None:
            user = _defaults(User(id=self.st.new_id(), channel=channel, external_id=external_id, roles=[],
                                  memberships=[]))
            self.st.users[user.id] = user
        return user

    async def with_role(self, role: str) -> list[User]:
        return [u for u in sorted(self.st.users.values(), key=lambda u: u.id) if role in {r.role for r in u.roles}]

    async def members_of(self, organization_id: int) -> list[User]:
        return [u for u in await self.with_role("executor")
                if organization_id in {m.organization_id for m in u.memberships}]

    async def named(self, user_ids: Iterable[int | None]) -> list[User]:
        return [self.st.users[i] for i in set(user_ids) if i in self.st.users]

    async def audience(self, signal: Signal) -> list[User]:
        ids = sorted(u for s, u in self.st.subscriptions if s == signal.id)
        return [self.st.users[i] for i in ids if i in self.st.users]

    async def last_actor(self, signal_id: int, actions: Iterable[str]) -> User | None:
        wanted = set(actions)
        found = [e for e in self.st.audit if e.signal_id == signal_id and e.action in wanted]
        return self.st.users.get(found[-1].actor_id or 0) if found else None

    async def forget(self, user: User) -> int:
        mine = [s for s in self.st.signals.values() if s.author_id == user.id]
        for s in mine:
            if s.status == "new":
                del self.st.signals[s.id]
            else:
                s.author_id = None
        self.st.subscriptions = {(s, u) for s, u in self.st.subscriptions if u != user.id}
        self.st.supporters = {(s, u) for s, u in self.st.supporters if u != user.id}
        self.st.states.pop((user.channel, user.external_id), None)
        del self.st.users[user.id]
        return sum(1 for s in mine if s.status == "new")


class Catalog:
    def __init__(self, store: Store) -> None:
        self.st = store

    async def changed(self) -> None:
        return None

    async def municipalities(self) -> list[Place]:
        return list(self.st.places)

    async def municipality(self, mid: int) -> Place | None:
        return next((m for m in self.st.places if m.id == mid), None)

    async def municipality_by_name(self, name: str) -> Place | None:
        return next((m for m in self.st.places if m.name.casefold() == name.strip().casefold()), None)

    async def categories(self) -> list[Kind]:
        return list(self.st.kinds)

    async def category(self, cid: int) -> Kind | None:
        return next((c for c in self.st.kinds if c.id == cid), None)

    async def category_by_name(self, name: str) -> Kind | None:
        return next((c for c in self.st.kinds if c.name.casefold() == name.strip().casefold()), None)

    async def organizations(self) -> list[Organization]:
        return sorted(self.st.organizations.values(), key=lambda o: o.name)

    async def organization(self, oid: int) -> Organization | None:
        return self.st.organizations.get(oid)

    async def organization_by_name(self, name: str) -> Organization | None:
        return next((o for o in self.st.organizations.values() if o.name == name), None)

    async def organization_named(self, name: str) -> Organization | None:
        return next((o for o in self.st.organizations.values() if fold(o.name) == fold(name)), None)

    async def add_organization(self, name: str) -> Organization:
        org = Organization(id=self.st.new_id(), name=name)
        self.st.organizations[org.id] = org
        return org

    async def route(self, municipality_id: int, category_id: int) -> Organization | None:
        return self.st.organizations.get(self.st.routes.get((municipality_id, category_id), 0))

    async def set_route(self, municipality_id: int, category_id: int, organization_id: int) -> None:
        self.st.routes[(municipality_id, category_id)] = organization_id


class Signals:
    def __init__(self, store: Store) -> None:
        self.st = store

    async def next_number(self, year: int) -> str:
        self.st.counters[year] = self.st.counters.get(year, 0) + 1
        return f"{year}-{self.st.counters[year]:06d}"

    async def add(self, signal: Signal, photo_ids: Sequence[int], subscriber_id: int, now: datetime) -> None:
        signal.id = self.st.new_id()
        _defaults(signal)
        signal.photos = [SignalPhoto(signal_id=signal.id, photo_id=p, position=i) for i, p in enumerate(photo_ids)]
        self.st.signals[signal.id] = self.st.refresh(signal)
        self.st.subscriptions.add((signal.id, subscriber_id))

    async def get(self, signal_id: int, *, lock: bool = False) -> Signal | None:
        signal = self.st.signals.get(signal_id)
        return self.st.refresh(signal) if signal is not None else None

    async def by_number(self, number: str) -> Signal | None:
        return next((s for s in self.st.signals.values() if s.number == number), None)

    async def by_author(self, user_id: int, limit: int = 20) -> list[Signal]:
        mine = [s for s in self.st.signals.values() if s.author_id == user_id]
        return sorted(mine, key=lambda s: s.created_at, reverse=True)[:limit]

    async def count_by_author_since(self, user_id: int, since: datetime) -> int:
        return sum(1 for s in self.st.signals.values() if s.author_id == user_id and s.created_at >= since)

    async def earlier_of_author(self, signal: Signal) -> int:
        if signal.author_id is None:
            return 0
        return sum(1 for s in self.st.signals.values() if s.author_id == signal.author_id and s.id < signal.id)

    async def with_status(self, status: str, limit: int = 50, offset: int = 0) -> list[Signal]:
        found = sorted((s for s in self.st.signals.values() if s.status == status), key=lambda s: (s.created_at, s.id))
        return [self.st.refresh(s) for s in found[offset:offset + limit]]

    async def count_status(self, status: str) -> int:
        return sum(1 for s in self.st.signals.values() if s.status == status)

    async def in_work_for(self, organization_ids: Iterable[int], limit: int = 60, *,
                          most_affected: bool = False) -> list[Signal]:
        ids = set(organization_ids)
        found = [s for s in self.st.signals.values() if s.status == "in_progress" and s.organization_id in ids]
        backing = Counter(s for s, _ in self.st.supporters)
        found.sort(key=lambda s: (-backing[s.id] if most_affected else 0, s.due_on or date.max, s.id))
        return [self.st.refresh(s) for s in found][:limit]

    async def history(self, signal_id: int) -> list[AuditEvent]:
        return [e for e in self.st.audit if e.signal_id == signal_id]

    def audit(self, action: str, *, signal_id: int | None, actor_id: int | None, **details: Any) -> None:
        self.st.audit.append(AuditEvent(id=self.st.new_id(), signal_id=signal_id, actor_id=actor_id, action=action,
                                        details=details, created_at=utcnow()))


class Answers:
    def __init__(self, store: Store) -> None:
        self.st = store

    async def get(self, answer_id: int, *, fresh: bool = False) -> Answer | None:
        return self.st.answers.get(answer_id)

    async def signal_of(self, answer_id: int) -> int | None:
        answer = self.st.answers.get(answer_id)
        return answer.signal_id if answer else None

    async def latest(self, signal_id: int, statuses: Iterable[str] | None = None) -> Answer | None:
        wanted = set(statuses) if statuses is not None else None
        found = [a for a in self.st.answers.values()
                 if a.signal_id == signal_id and (wanted is None or a.review_status in wanted)]
        return max(found, key=lambda a: a.version, default=None)

    async def latest_published(self, signal_id: int) -> Answer | None:
        return await self.latest(signal_id, ("published",))

    async def max_version(self, signal_id: int) -> int:
        return max((a.version for a in self.st.answers.values() if a.signal_id == signal_id), default=0)

    async def open_versions(self, signal_id: int) -> list[Answer]:
        return [a for a in self.st.answers.values()
                if a.signal_id == signal_id and a.review_status in ("pending", "returned")]

    async def pending(self, limit: int = 60) -> list[tuple[Answer, Signal]]:
        found = sorted((a for a in self.st.answers.values() if a.review_status == "pending"), key=lambda a: a.id)
        return [(a, self.st.refresh(self.st.signals[a.signal_id])) for a in found[:limit]]

    async def count_pending(self) -> int:
        return sum(1 for a in self.st.answers.values() if a.review_status == "pending")

    async def add(self, answer: Answer, photo_ids: Sequence[int]) -> None:
        answer.id = self.st.new_id()
        _defaults(answer)
        answer.photos = [AnswerPhoto(answer_id=answer.id, photo_id=p, position=i) for i, p in enumerate(photo_ids)]
        self.st.answers[answer.id] = answer

    async def earlier_texts(self, answer: Answer, limit: int) -> list[str]:
        return [a.text for a in sorted(self.st.answers.values(), key=lambda a: -a.id)
                if a.id < answer.id and a.signal_id != answer.signal_id
                and a.review_status in ("published", "pending")][:limit]

    async def rated_by(self, answer_id: int, user_id: int) -> bool:
        return any(r["answer_id"] == answer_id and r["user_id"] == user_id for r in self.st.ratings)

    async def rate(self, **rating: Any) -> None:
        self.st.ratings.append(rating)


class Extensions:
    def __init__(self, store: Store) -> None:
        self.st = store

    async def get(self, request_id: int, *, fresh: bool = False) -> ExtensionRequest | None:
        return self.st.extensions.get(request_id)

    async def pending(self, limit: int = 60) -> list[tuple[ExtensionRequest, Signal]]:
        found = [r for r in self.st.extensions.values() if r.status == "pending"][:limit]
        return [(r, self.st.refresh(self.st.signals[r.signal_id])) for r in found]

    async def count_pending(self) -> int:
        return sum(1 for r in self.st.extensions.values() if r.status == "pending")

    async def pending_for(self, signal_id: int) -> ExtensionRequest | None:
        return next((r for r in self.st.extensions.values()
                     if r.signal_id == signal_id and r.status == "pending"), None)

    async def add(self, request: ExtensionRequest) -> None:
        request.id = self.st.new_id()
        self.st.extensions[request.id] = _defaults(request)


class Photos:
    def __init__(self, store: Store) -> None:
        self.st = store

    async def existing(self, photo_ids: Iterable[int]) -> set[int]:
        return {p for p in photo_ids if p in self.st.photos}

    async def id_by_hash(self, sha256: str) -> int | None:
        return next((i for i, sha in self.st.photos.items() if sha == sha256), None)

    async def add(self, *, sha256: str, **_: Any) -> int:
        photo_id = self.st.new_id()
        self.st.photos[photo_id] = sha256
        return photo_id

    async def attach(self, signal_id: int, photo_ids: Iterable[int]) -> int:
        signal = self.st.signals[signal_id]
        have = {p.photo_id for p in signal.photos}
        new = [p for p in dict.fromkeys(photo_ids) if p not in have]
        signal.photos = [*signal.photos, *(SignalPhoto(signal_id=signal_id, photo_id=p, position=len(have) + i)
                                           for i, p in enumerate(new, 1))]
        return len(new)


class Outbox:
    def __init__(self, store: Store) -> None:
        self.st = store

    async def add(self, dedupe_key: str, *, channel: str, peer_id: int, user_id: int | None,
                  payload: list[dict[str, Any]], available_at: datetime | None = None) -> bool:
        if any(row["dedupe_key"] == dedupe_key for row in self.st.outbox):
            return False
        self.st.outbox.append({"dedupe_key": dedupe_key, "channel": channel, "peer_id": peer_id,
                               "user_id": user_id, "payload": payload})
        return True


class DialogStates:
    def __init__(self, store: Store) -> None:
        self.st = store

    async def load(self, channel: str, peer_id: int, *, lock: bool = True) -> DialogState:
        state = self.st.states.get((channel, peer_id))
        if state is None:
            state = DialogState(channel=channel, peer_id=peer_id, step="idle", data={})
            if lock:
                self.st.states[(channel, peer_id)] = state
        return state

    async def open(self, channel: str, peer_id: int) -> tuple[DialogState, User | None]:
        state = await self.load(channel, peer_id)
        return state, next((u for u in self.st.users.values() if (u.channel, u.external_id) == (channel, peer_id)),
                           None)

    async def save(self, state: DialogState) -> None:
        return None  # the store holds the very object the turn changed


class People:
    """The turn's view of a person (the database keeps plain rows; here the stored User stands in)."""

    def __init__(self, store: Store) -> None:
        self.users = Users(store)

    async def find(self, channel: str, external_id: int) -> User | None:
        return await self.users.get(channel, external_id)

    async def enrol(self, channel: str, external_id: int) -> User:
        return await self.users.get_or_create(channel, external_id)

    async def consent(self, person: User, now: datetime, name: str | None) -> None:
        person.consent_at, person.display_name = now, name

    async def reachable(self, person: User) -> None:
        person.unreachable_at = None

    async def set_language(self, person: User, lang: str | None) -> None:
        person.language = lang


class Nearby:
    def __init__(self, store: Store) -> None:
        self.st = store

    async def open_near(self, lat: float, lon: float, *, radius_m: float, category_id: int, since: datetime,
                        limit: int = 5) -> list[Near]:
        found = [Near(self.st.refresh(s), distance_km(lat, lon, s.latitude, s.longitude) * 1000)
                 for s in self.st.signals.values()
                 if s.latitude is not None and s.longitude is not None and s.category_id == category_id
                 and s.status not in CLOSED_STATUSES and s.created_at >= since]
        found = sorted((n for n in found if n.distance_m <= radius_m), key=lambda n: (n.distance_m, n.signal.id))
        return found[:limit]


class Supporters:
    def __init__(self, store: Store) -> None:
        self.st = store

    async def supports(self, signal_id: int, user_id: int) -> bool:
        return (signal_id, user_id) in self.st.supporters

    async def add(self, signal_id: int, user_id: int, now: datetime) -> None:
        self.st.supporters.add((signal_id, user_id))
        self.st.subscriptions.add((signal_id, user_id))

    async def of(self, signal_id: int) -> list[int]:
        return sorted(u for s, u in self.st.supporters if s == signal_id)

    async def counts(self, signal_ids: Iterable[int]) -> dict[int, int]:
        wanted = set(signal_ids)
        return dict(Counter(s for s, _ in self.st.supporters if s in wanted))

    async def count(self, signal_id: int) -> int:
        return (await self.counts([signal_id])).get(signal_id, 0)

    async def supported_by(self, user_id: int, limit: int = 8) -> list[Signal]:
        ids = sorted((s for s, u in self.st.supporters if u == user_id), reverse=True)[:limit]
        return [self.st.refresh(self.st.signals[i]) for i in ids if i in self.st.signals]


class Followups:
    def __init__(self, store: Store) -> None:
        self.st = store

    async def add(self, followup: Followup) -> None:
        self.st.followups[followup.answer_id] = followup

    async def answer_facts(self, organization_id: int, since: datetime) -> list[AnswerFacts]:
        return [AnswerFacts(bool(a.flags), a.review_status == "published", a.reopened_at is not None,
                            self.st.signals[a.signal_id].accepted_at,
                            a.reviewed_at if a.review_status == "published" else None)
                for a in self.st.answers.values() if a.organization_id == organization_id and a.created_at >= since]


class Subscriptions:
    def __init__(self, store: Store) -> None:
        self.st = store

    async def followed(self, user_id: int, limit: int = 8) -> tuple[list[Signal], int]:
        mine = [self.st.refresh(self.st.signals[s]) for s, u in self.st.subscriptions
                if u == user_id and s in self.st.signals and self.st.signals[s].status not in ("rejected", "closed")]
        mine.sort(key=lambda s: (s.created_at, s.id), reverse=True)
        return mine[:limit], len(mine)

    async def follows(self, signal_id: int, user_id: int) -> bool:
        return (signal_id, user_id) in self.st.subscriptions

    async def follow(self, signal_id: int, user_id: int, now: datetime) -> bool:
        known = (signal_id, user_id) in self.st.subscriptions
        self.st.subscriptions.add((signal_id, user_id))
        return not known

    async def leave(self, signal_id: int, user_id: int) -> bool:
        known = (signal_id, user_id) in self.st.subscriptions
        self.st.subscriptions.discard((signal_id, user_id))
        return known


class FakeUnitOfWork:
    """Same shape as storage.uow.UnitOfWork. Changes are visible at once (no rollback): the use cases
    check before they change, which the database tests prove with a real rollback."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.users, self.catalog, self.signals = Users(store), Catalog(store), Signals(store)
        self.answers, self.extensions, self.photos = Answers(store), Extensions(store), Photos(store)
        self.outbox, self.dialogs, self.people = Outbox(store), DialogStates(store), People(store)
        self.nearby, self.supporters = Nearby(store), Supporters(store)
        self.followups = Followups(store)


        self.subscriptions = Subscriptions(store)
        self._after_commit: list = []
        self._committed = False

    async def __aenter__(self) -> FakeUnitOfWork:
        return self

    async def __aexit__(self, exc_type, exc, tb) -> None:  # type: ignore[no-untyped-def]
        if exc_type is None and self._committed:
            for callback in self._after_commit:
                callback()

    async def commit(self) -> None:
        self.store.commits += 1
        self._committed = True

    async def flush(self) -> None:
        return None

    @asynccontextmanager
    async def savepoint(self) -> AsyncIterator[None]:
        yield

    def after_commit(self, callback) -> None:  # type: ignore[no-untyped-def]
        self._after_commit.append(callback)


class World:
    """A store with two municipalities, two categories, an organization routed for all of them, and
    Services whose unit of work is the in-memory one."""

    def __init__(self, **config: Any) -> None:
        from bot.config import DEFAULT_REGION_FILE
        from storage.region import load_region

        self.store = store = Store()
        store.places = [Place(1, "syktyvkar", "Сыктывкар", "urban", "Сыктывкар", 61.67, 50.83, "в Сыктывкаре"),
                        Place(2, "ukhta", "Ухта", "urban", "Ухта", 63.56, 53.7, "в Ухте")]
        store.kinds = [Kind(1, "roads", "Дороги", 1), Kind(2, "light", "Освещение", 2)]
        org = Organization(id=store.new_id(), name="Администрация МО ГО «Сыктывкар»")
        store.organizations[org.id] = org
        self.org = org
        store.routes = {(p.id, k.id): org.id for p in store.places for k in store.kinds}
        self.woken = 0
        self.services = Services(db=None, config=DialogConfig(**config),  # type: ignore[arg-type]
                                 region=load_region(DEFAULT_REGION_FILE), media=None,  # type: ignore[arg-type]
                                 signing_key=b"k", unit_of_work=lambda: FakeUnitOfWork(store))
        self.services.outbox_listeners.append(self._woke)

    def _woke(self) -> None:
        self.woken += 1

    def person(self, external_id: int, *roles: str, channel: str = "telegram", consent: bool = True,
               organization: Organization | None = None, name: str | None = None) -> User:
        user = _defaults(User(id=self.store.new_id(), channel=channel, external_id=external_id, display_name=name,
                              consent_at=utcnow() if consent else None,
                              roles=[UserRole(role=r) for r in roles],
                              memberships=[OrganizationMember(organization_id=organization.id)] if organization else []))
        self.store.users[user.id] = user
        return user

    def notes(self, prefix: str) -> list[dict[str, Any]]:
        return [row for row in self.store.outbox if row["dedupe_key"].startswith(prefix)]
