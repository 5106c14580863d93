"""The database side of poison inputs: a NUL is a data error (not retried), failed rows are listed and requeued."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from storage import inbox
from storage.errors import is_transient
from storage.models import InboxUpdate, Municipality


async def test_a_nul_character_is_a_data_error_not_a_transient_one(services, backend):
    async with services.uow() as uow:
        statement = update(Municipality).where(Municipality.id == 1).values(name="Сыктывкар\x00")
        if backend == "sqlite":  # SQLite stores it: the normaliser is what keeps the two databases equal
            await uow.session.execute(statement)
            return
        with pytest.raises(Exception) as caught:
            await uow.session.execute(statement)
    assert not is_transient(caught.value)


async def test_failed_rows_are_set_aside_listed_requeued_and_forgotten(services):
    async with services.uow() as uow:
        await inbox.put_many(uow.session, uow.dialect, "telegram",
                             [("1", 42, {"update_id": 1}), ("2", 42, {"update_id": 2}), ("3", 43, {"update_id": 3})])
        await uow.commit()
    async with services.uow() as uow:
        first, second, other = await inbox.pending_for_peer(uow.session, "telegram", 42) + \
            await inbox.pending_for_peer(uow.session, "telegram", 43)
        assert await inbox.mark_failed(uow.session, [first.id], "builtins.RuntimeError") == 1
        await uow.commit()
    async with services.uow() as uow:
        # set aside: no longer pending, so the person's next update is next in line
        assert [r.id for r in await inbox.pending_for_peer(uow.session, "telegram", 42)] == [second.id]
        [failed] = await inbox.failed(uow.session)
        assert (failed.id, failed.error) == (first.id, "builtins.RuntimeError")
        assert await inbox.failed_counts(uow.session) == {"telegram": 1}
        assert await inbox.requeue(uow.session, [first.id]) == 1
        await uow.commit()
    async with services.uow() as uow:
        assert [r.id for r in await inbox.pending_for_peer(uow.session, "telegram", 42)] == [first.id, second.id]
        await inbox.mark_failed(uow.session, [first.id], "x")
        await inbox.forget_peer(uow.session, "telegram", 42)
        await uow.commit()
    async with services.uow() as uow:
        left = {r.id for r in await uow.session.scalars(select(InboxUpdate))}
        assert left == {second.id, other.id}  # the unhandled update stays queued; the other person's too
