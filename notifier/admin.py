"""Admin views of the outbox: failed rows, retrying them, counts per state (CLI, /healthz, /metrics)."""

from __future__ import annotations

from collections.abc import Sequence

from notifier.context import Hub
from storage.models import OutboxMessage as Row


async def list_rows(services: Hub, state: str = "failed", *, channel: str | None = None,
                    limit: int = 100) -> list[Row]:
    """Rows in `state`, newest first (for `outbox list --failed`)."""
    async with services.uow() as uow:
        rows = await uow.outbox.in_state(state, channel=channel, limit=limit)
        await uow.commit()
    return rows


async def retry(services: Hub, ids: Sequence[int] | None = None) -> int:
    """Queue failed rows again with fresh attempts: the given ids (failed or undeliverable) or all failed."""
    if ids is not None and not ids:
        return 0
    async with services.uow() as uow:
        count = await uow.outbox.requeue(ids, services.now())
        await uow.commit()
        uow.after_commit(services.wake_outbox)
    return count


async def counts(services: Hub) -> dict[str, int]:
    """Rows per state (for /healthz, /metrics and the CLI)."""
    async with services.uow() as uow:
        found = await uow.outbox.counts()
        await uow.commit()
    return found
