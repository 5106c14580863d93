"""The follow-up job on its own: an answer that is no longer current when its day comes is marked skipped and
nobody is asked; a question after a 👍 already closed the signal is asked and records the outcome."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from handlers import lifecycle
from handlers.cases import followup, followup_reply
from storage.models import Answer, Followup, OutboxMessage, Subscription
from tests.integration.test_jobs import at
from tests.integration.test_jobs import world as world  # noqa: F401  (the fixture)


async def published(services, world, status: str) -> tuple[int, int]:
    signal_id = await world.signal(status, answered_at=world.clock["now"] - timedelta(days=20),
                                   author_id=world.author_id)
    async with services.uow() as uow:
        answer = Answer(signal_id=signal_id, text="Яма заделана", review_status="published", kind="fixed")
        uow.session.add(answer)
        uow.session.add(Subscription(signal_id=signal_id, user_id=world.author_id))  # as filing does
        await uow.session.flush()
        uow.session.add(Followup(answer_id=answer.id, signal_id=signal_id, ask_on=date(2026, 1, 12)))
        await uow.commit()
        return signal_id, answer.id


async def test_an_outdated_answer_is_skipped_and_a_closed_signal_is_still_asked(services, world):
    reopened, outdated = await published(services, world, "in_progress")  # a 👎 sent it back meanwhile
    closed, current = await published(services, world, "closed")  # a 👍 closed it meanwhile
    assert await followup.run(services) == (1, 0)
    async with services.uow() as uow:
        rows = {f.answer_id: f for f in await uow.session.scalars(select(Followup))}
        keys = list(await uow.session.scalars(select(OutboxMessage.dedupe_key)))
        author = await uow.users.by_id(world.author_id)
    assert rows[outdated].outcome == "skipped" and rows[outdated].asked_at is None
    assert rows[current].asked_at is not None and keys == [f"followup:{current}:{world.author_id}"]
    world.clock["now"] = at(date(2026, 1, 13))
    async with services.uow() as uow:
        signal = await followup_reply.confirm_fixed(services, uow, author, current)
        await uow.commit()
    assert (signal.status, signal.outcome) == (lifecycle.CLOSED, lifecycle.FIXED)
    async with services.uow() as uow:
        assert (await uow.signals.get(reopened)).status == "in_progress"
