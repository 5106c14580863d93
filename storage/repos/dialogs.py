"""Dialog state per (channel, person): loaded and locked by one statement at the start of every turn."""

from __future__ import annotations

from sqlalchemy import bindparam, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import DialogState
from storage.types import UTCDateTime, utcnow

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
