"""Who is writing: the person behind a channel identity, read and written with Core SQL on every turn."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Integer, String, bindparam, text
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.rows import Person
from storage.types import UTCDateTime, utcnow

_AGG = {"sqlite": "group_concat({col}, ',')", "postgresql": "string_agg({col}::text, ',')"}


PERSON_COLUMNS = {"id": Integer(), "display_name": String(), "consent_at": UTCDateTime(),
                  "unreachable_at": UTCDateTime(), "language": String(), "roles": String(), "orgs": String()}


def person_expressions(dialect: str, user: str) -> str:
    """The person's columns as SQL expressions over `user` (a subquery yielding the users row id)."""
    agg = _AGG[dialect]
    one = f"(SELECT {{col}} FROM users WHERE id = {user})"
    return ", ".join([
        f"{user} AS id", *(one.format(col=c) + f" AS {c}" for c in ("display_name", "consent_at", "unreachable_at",
                                                                         "language")),
        f"(SELECT {agg.format(col='role')} FROM user_roles WHERE user_id = {user}) AS roles",
        f"(SELECT {agg.format(col='organization_id')} FROM organization_members WHERE user_id = {user}) AS orgs"])


def _person_query(dialect: str):  # type: ignore[no-untyped-def]
    agg = _AGG[dialect]
    return text(
        "SELECT u.id, u.display_name, u.consent_at, u.unreachable_at, u.language, "
        f"(SELECT {agg.format(col='role')} FROM user_roles WHERE user_id = u.id) AS roles, "
        f"(SELECT {agg.format(col='organization_id')} FROM organization_members WHERE user_id = u.id) AS orgs "
        "FROM users u WHERE u.channel = :channel AND u.external_id = :external_id"
    ).columns(**PERSON_COLUMNS)


def person_of(row, channel: str, external_id: int) -> Person | None:  # type: ignore[no-untyped-def]
    """A Person from a row with PERSON_COLUMNS (None when the id is NULL: not enrolled yet)."""
    if row.id is None:
        return None
    return Person(row.id, channel, external_id, row.display_name, row.consent_at, row.unreachable_at,
                  tuple(sorted(row.roles.split(","))) if row.roles else (),
                  tuple(sorted(int(o) for o in row.orgs.split(","))) if row.orgs else (), row.language)


_PERSON = {dialect: _person_query(dialect) for dialect in _AGG}
_ENROL = text("INSERT INTO users (channel, external_id, created_at) VALUES (:channel, :external_id, :now) "
              "RETURNING id").bindparams(bindparam("now", type_=UTCDateTime()),
                                         bindparam("external_id", type_=BigInteger())).columns(id=Integer())
_CONSENT = text("UPDATE users SET consent_at = :now, display_name = :name WHERE id = :id") \
    .bindparams(bindparam("now", type_=UTCDateTime()))
_REACHABLE = text("UPDATE users SET unreachable_at = NULL WHERE id = :id")
_LANGUAGE = text("UPDATE users SET language = :language WHERE id = :id")


class Identities:
    def __init__(self, conn: AsyncConnection, dialect: str) -> None:
        self.c = conn
        self.person_query = _PERSON[dialect]

    async def find(self, channel: str, external_id: int) -> Person | None:
        """The person with their roles and organizations, in one statement."""
        row = (await self.c.execute(self.person_query, {"channel": channel, "external_id": external_id})).first()
        return person_of(row, channel, external_id) if row is not None else None

    async def enrol(self, channel: str, external_id: int) -> Person:
        """A new person on first contact (no personal data until they consent)."""
        new_id = await self.c.scalar(_ENROL, {"channel": channel, "external_id": external_id, "now": utcnow()})
        return Person(int(new_id), channel, external_id)

    async def consent(self, person: Person, now: datetime, name: str | None) -> None:
        await self.c.execute(_CONSENT, {"id": person.id, "now": now, "name": name})
        person.consent_at, person.display_name = now, name

    async def reachable(self, person: Person) -> None:
        """They write to us again: reachable again."""
        if person.unreachable_at is not None:
            await self.c.execute(_REACHABLE, {"id": person.id})
            person.unreachable_at = None

    async def set_language(self, person: Person, lang: str | None) -> None:
        """Store the person's language (one UPDATE) and keep the row in step."""
        await self.c.execute(_LANGUAGE, {"id": person.id, "language": lang})
        person.language = lang
