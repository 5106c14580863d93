"""Rating a published answer through the channel-neutral conversation: 👍 closes, 👎 reopens, strangers refused."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from handlers.conversation import Conversation
from handlers.i18n import t
from handlers.roles import grant
from handlers.types import Peer, Press, Text
from storage.models import (
    Answer,
    AuditEvent,
    Category,
    Municipality,
    OutboxMessage,
    Rating,
    Signal,
    Subscription,
)
from storage.types import utcnow

AUTHOR, SUBSCRIBER, STRANGER = Peer("telegram", 42, "Иван"), Peer("vk", 43, "Мария"), Peer("telegram", 44)


@pytest.fixture
async def published(services):
    """An answered signal filed by AUTHOR (SUBSCRIBER follows it), with a published answer; a moderator."""
    conv = Conversation(services)
    for peer in (AUTHOR, SUBSCRIBER, STRANGER):
        await conv.handle(peer, Press("consent"))
    async with services.uow() as uow:
        author = await uow.users.get(AUTHOR.channel, AUTHOR.peer_id)
        follower = await uow.users.get(SUBSCRIBER.channel, SUBSCRIBER.peer_id)
        await grant(uow, "vk:900", "moderator")
        mun = await uow.session.scalar(select(Municipality).limit(1))
        cat = await uow.session.scalar(select(Category).limit(1))
        signal = Signal(number="2026-000001", author_id=author.id, municipality_id=mun.id, category_id=cat.id,
                        description="Яма во дворе", status="answered", source_channel="telegram",
                        answered_at=utcnow())
        uow.session.add(signal)
        await uow.session.flush()
        old = Answer(signal_id=signal.id, version=1, text="Старый ответ", review_status="superseded")
        answer = Answer(signal_id=signal.id, version=2, text="Яму заделаем", review_status="published")
        uow.session.add_all([old, answer, Subscription(signal_id=signal.id, user_id=follower.id)])
        await uow.commit()
    return conv, signal.id, answer.id, old.id


async def load(services, signal_id):
    async with services.uow() as uow:
        signal = await uow.signals.get(signal_id)
        ratings = list(await uow.session.scalars(select(Rating).where(Rating.signal_id == signal_id)))
        events = [e.action for e in await uow.session.scalars(
            select(AuditEvent).where(AuditEvent.signal_id == signal_id).order_by(AuditEvent.id))]
        notes = list(await uow.session.scalars(select(OutboxMessage).where(OutboxMessage.dedupe_key.like("rated_down:%"))))
        await uow.commit()
    return signal, ratings, events, notes


async def test_thumbs_up_closes_and_a_second_rating_is_refused_politely(services, published):
    conv, signal_id, answer_id, _ = published
    out = await conv.handle(AUTHOR, Press(f"rate:up:{answer_id}"))
    assert "закрыто" in out.replies[-1].text
    signal, ratings, events, notes = await load(services, signal_id)
    assert signal.status == "closed" and signal.closed_at is not None
    assert [(r.value, r.answer_id) for r in ratings] == [(1, answer_id)] and events == ["close"] and notes == []
    again = await conv.handle(AUTHOR, Press(f"rate:up:{answer_id}"))
    assert again.replies[-1].text == t("ru", "rating-already-rated")
    assert len((await load(services, signal_id))[1]) == 1


async def test_thumbs_down_asks_for_a_comment_then_reopens(services, published):
    conv, signal_id, answer_id, _ = published
    out = await conv.handle(AUTHOR, Press(f"rate:down:{answer_id}"))
    assert "Пропустить" in [b.label for row in out.replies[-1].buttons for b in row]
    assert (await load(services, signal_id))[0].status == "answered"  # nothing changes before the comment
    out = await conv.handle(AUTHOR, Text("Яму так и не заделали <b>совсем</b>"))
    assert "повторное рассмотрение" in out.replies[-1].text
    signal, ratings, events, notes = await load(services, signal_id)
    assert signal.status == "in_progress" and signal.reopen_count == 1 and signal.answered_at is None
    assert [(r.value, r.comment) for r in ratings] == [(-1, "Яму так и не заделали <b>совсем</b>")]
    assert events == ["reopen"]
    [note] = notes
    assert note.peer_id == 900 and "&lt;b&gt;совсем&lt;/b&gt;" in note.payload[0]["text"]
    assert "2026-000001" in note.payload[0]["text"]


async def test_the_rating_is_the_authors_and_a_reopening_is_told_to_the_other_subscribers(services, published):
    conv, signal_id, answer_id, _ = published
    for payload in (f"rate:up:{answer_id}", f"rate:down:{answer_id}"):  # a follower (supporter) does not rate
        out = await conv.handle(SUBSCRIBER, Press(payload))
        assert out.replies[-1].text == t("ru", "error-forbidden")
    await conv.handle(AUTHOR, Press(f"rate:down:{answer_id}"))
    out = await conv.handle(AUTHOR, Press("skip"))
    assert "повторное рассмотрение" in out.replies[-1].text
    signal, ratings, _, notes = await load(services, signal_id)
    assert signal.status == "in_progress" and [(r.value, r.comment) for r in ratings] == [(-1, None)]
    assert "Комментарий" not in notes[0].payload[0]["text"]
    async with services.uow() as uow:
        told = list(await uow.session.scalars(select(OutboxMessage).where(
            OutboxMessage.dedupe_key.like(f"signal_reopened:{signal_id}:%"))))
        follower = await uow.users.get(SUBSCRIBER.channel, SUBSCRIBER.peer_id)
    assert [(m.user_id, m.channel) for m in told] == [(follower.id, "vk")]  # once, on the follower's channel
    assert "повторное рассмотрение" in told[0].payload[0]["text"] and "/subscriptions" in told[0].payload[0]["text"]


async def test_a_strangers_press_is_refused(services, published):
    conv, signal_id, answer_id, _ = published
    for payload in (f"rate:up:{answer_id}", f"rate:down:{answer_id}"):
        out = await conv.handle(STRANGER, Press(payload))
        assert out.replies[-1].text == t("ru", "error-forbidden")
    signal, ratings, events, _ = await load(services, signal_id)
    assert signal.status == "answered" and ratings == [] and events == []


async def test_an_outdated_or_unknown_answer_changes_nothing(services, published):
    conv, signal_id, _, old_id = published
    out = await conv.handle(AUTHOR, Press(f"rate:up:{old_id}"))
    assert "неактуален" in out.replies[-1].text
    out = await conv.handle(AUTHOR, Press("rate:up:99999"))
    assert "Не нашёл" in out.replies[-1].text
    assert (await load(services, signal_id))[0].status == "answered"


async def test_rating_after_the_signal_was_closed_is_recorded_without_a_transition(services, published):
    conv, signal_id, answer_id, _ = published
    async with services.uow() as uow:  # closed meanwhile (nobody rated it in time)
        (await uow.signals.get(signal_id)).status = "closed"
        await uow.commit()
    out = await conv.handle(AUTHOR, Press(f"rate:up:{answer_id}"))
    assert out.replies[-1].text == t("ru", "rating-thanks-up-late")
    signal, ratings, events, _ = await load(services, signal_id)
    assert signal.status == "closed" and len(ratings) == 1 and events == ["rated"]
