"""Admin views of the outbox: failed rows, retrying them, counts per state (CLI, /healthz, /metrics)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import and_, func, select, update

from handlers.context import Services
from storage.models import OutboxMessage as Row


async def list_rows(services: Services, state: str = "failed", *, channel: str | None = None,
                    limit: int = 100) -> list[Row]:
    """Rows in `state`, newest first (for `outbox list --failed`)."""
    stmt = select(Row).where(Row.state == state).order_by(Row.id.desc()).limit(limit)
    if channel:
        stmt = stmt.where(Row.channel == channel)
    async with services.uow() as uow:
        rows = list(await uow.session.scalars(stmt))
        await uow.commit()
    return rows


async def retry(services: Services, ids: Sequence[int] | None = None) -> int:
    """Queue failed rows again with fresh attempts: the given ids (failed or undeliverable) or all failed."""
    if ids is not None and not ids:
        return 0
    where = Row.state == "failed" if ids is None else and_(Row.id.in_(list(ids)),
                                                           Row.state.in_(("failed", "undeliverable")))
    async with services.uow() as uow:
        result = await uow.session.execute(
            update(Row).where(where).values(state="pending", attempts=0, available_at=services.now(),
                                            claimed_until=None))
        await uow.commit()
        uow.after_commit(services.wake_outbox)
    return result.rowcount


async def counts(services: Services) -> dict[str, int]:
    """Rows per state (for /healthz and /metrics)."""
    async with services.uow() as uow:
        rows = (await uow.session.execute(select(Row.state, func.count(Row.id)).group_by(Row.state))).all()
        await uow.commit()
    return {state: n for state, n in rows}
