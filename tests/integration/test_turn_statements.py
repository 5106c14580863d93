"""The hot path's promise, checked by counting statements: a plain dialog step is one transaction of a
few Core statements — the state upsert that also returns the person, the state write, the inbox mark —
with no ORM session and no separate person lookup (bench/README.md explains why it matters)."""

from __future__ import annotations

from sqlalchemy import event

from handlers.conversation import Conversation
from handlers.types import Command, Peer, Press, Text
from storage.inbox import put_many


async def test_a_plain_step_is_one_transaction_of_three_statements(services):
    conv = Conversation(services)
    peer = Peer("telegram", 4242, "Анна")
    await conv.handle(peer, Command("start"))
    await conv.handle(peer, Press("consent"))
    async with services.uow() as uow:
        [row] = await put_many(uow.conn, uow.dialect, "telegram", [("u-1", peer.peer_id, {})])
        await uow.commit()
    statements: list[str] = []

    def seen(conn, cursor, statement, params, context, executemany):  # type: ignore[no-untyped-def]
        statements.append(" ".join(statement.split())[:60])

    event.listen(services.db.engine.sync_engine, "before_cursor_execute", seen)
    try:
        out = await conv.handle(peer, Text("что-то непонятное"), [row.id])
    finally:
        event.remove(services.db.engine.sync_engine, "before_cursor_execute", seen)
    assert out.replies  # the person got an answer
    work = [s for s in statements if not s.startswith(("BEGIN", "COMMIT", "ROLLBACK"))]
    assert len(work) <= 3, statements
    assert work[0].startswith("INSERT INTO dialog_states"), statements  # the person comes back with it
    assert not any(s.startswith("SELECT") for s in work), statements  # no separate person or ORM load
    assert work[-1].startswith("UPDATE inbox"), statements
