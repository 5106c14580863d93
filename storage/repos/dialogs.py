"""Dialog state per (channel, person): loaded and locked by one statement at the start of every turn."""

from __future__ import annotations

from sqlalchemy import JSON, String, bindparam, text
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.repos.identities import PERSON_COLUMNS, person_expressions, person_of
from storage.rows import Person, State
from storage.types import UTCDateTime, utcnow

# One statement that creates the state if absent and returns it (locked on PostgreSQL). Plain SQL both
# databases speak, compiled once; Core rows, no ORM on the hot path.
_LOAD = text("INSERT INTO dialog_states (channel, peer_id, step, data, updated_at) "
             "VALUES (:channel, :peer_id, 'idle', '{}', :now) "
             "ON CONFLICT (channel, peer_id) DO UPDATE SET updated_at = excluded.updated_at "
             "RETURNING step, data") \
    .bindparams(bindparam("now", type_=UTCDateTime())).columns(step=String(), data=JSON())


def _open_query(dialect: str):  # type: ignore[no-untyped-def]
    """The upsert of _LOAD that also returns the person behind the identity (one round trip per turn)."""
    user = "(SELECT id FROM users WHERE channel = dialog_states.channel AND external_id = dialog_states.peer_id)"
    return text("INSERT INTO dialog_states (channel, peer_id, step, data, updated_at) "
                "VALUES (:channel, :peer_id, 'idle', '{}', :now) "
                "ON CONFLICT (channel, peer_id) DO UPDATE SET updated_at = excluded.updated_at "
                f"RETURNING step, data, {person_expressions(dialect, user)}") \
        .bindparams(bindparam("now", type_=UTCDateTime())).columns(step=String(), data=JSON(), **PERSON_COLUMNS)


_OPEN = {dialect: _open_query(dialect) for dialect in ("sqlite", "postgresql")}
_PEEK = text("SELECT step, data FROM dialog_states WHERE channel = :channel AND peer_id = :peer_id") \
    .columns(step=String(), data=JSON())
_SAVE = text("UPDATE dialog_states SET step = :step, data = :data WHERE channel = :channel AND peer_id = :peer_id") \
    .bindparams(bindparam("data", type_=JSON()))


class DialogStates:
    def __init__(self, conn: AsyncConnection, dialect: str) -> None:
        self.c = conn
        self.dialect = dialect

    async def load(self, channel: str, peer_id: int, *, lock: bool = True) -> State:
        """A person's dialog state (created if absent). With `lock`, one statement upserts and returns
        the row; on PostgreSQL the upsert locks it, so one person's updates are handled strictly one after
        another, even across instances (SQLite has one writer anyway)."""
        params = {"channel": channel, "peer_id": peer_id}
        if not lock:
            row = (await self.c.execute(_PEEK, params)).first()
            return State(channel, peer_id, row.step, row.data or {}) if row else State(channel, peer_id)
        row = (await self.c.execute(_LOAD, params | {"now": utcnow()})).one()
        return State(channel, peer_id, row.step, row.data or {})

    async def open(self, channel: str, peer_id: int) -> tuple[State, Person | None]:
        """`load` with the lock, and the person (None if not enrolled yet) in the same statement."""
        row = (await self.c.execute(_OPEN[self.dialect], {"channel": channel, "peer_id": peer_id,
                                                          "now": utcnow()})).one()
        return State(channel, peer_id, row.step, row.data or {}), person_of(row, channel, peer_id)

    async def save(self, state: State) -> None:
        """Write the step and data back if the turn changed them."""
        if state.changed:
            await self.c.execute(_SAVE, {"channel": state.channel, "peer_id": state.peer_id,
                                         "step": state.step, "data": state.data})
            state.saved()
