"""Property: any text, any callback data, any VK payload at any dialog step gets an answer and the resident
can still file a signal afterwards (both channels, both databases, real clients over HTTP)."""

from __future__ import annotations

import itertools
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from storage import inbox
from storage.models import Signal, User
from tests.e2e.test_intake_scenarios import consent, file_signal

# Every character, lone surrogates included (they survive JSON as \\udxxx escapes).
ANY_TEXT = st.text(alphabet=st.characters(codec=None, exclude_categories=()), min_size=1, max_size=300)
ANY_CALLBACK = st.one_of(
    st.binary(min_size=1, max_size=64).map(lambda b: b.decode("utf-8", "replace")),
    st.text(min_size=1, max_size=64),
    st.text(max_size=40).map(lambda t: t + "|" + "A" * 12),  # looks signed, is not
    st.tuples(st.text(max_size=30), st.text(min_size=1, max_size=30)).map("|".join),  # any "signature"
)
JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
                    lambda kids: st.lists(kids, max_size=3) | st.dictionaries(st.text(max_size=4), kids, max_size=3),
                    max_leaves=6)
ANY_VK_PAYLOAD = st.one_of(JSON, st.fixed_dictionaries({"b": JSON}), st.fixed_dictionaries({"b": ANY_CALLBACK}),
                           st.fixed_dictionaries({"command": JSON}))
POISON = st.one_of(st.tuples(st.just("text"), ANY_TEXT), st.tuples(st.just("press"), ANY_CALLBACK),
                   st.tuples(st.just("vk_payload"), ANY_VK_PAYLOAD))

INTAKE = [("say", "/start"), ("press", "Согласен"), ("say", "/new"), ("press", "Сыктывкар"), ("press", "Дороги"),
          ("say", "Яма у дома номер пять"), ("press", "Пропустить"), ("say", "ул. Мира, 1")]
ids = itertools.count(900_000)


async def walk(r, steps: int) -> None:
    """Take the resident `steps` steps into the intake dialog (0: a new person)."""
    for how, what in INTAKE[:steps]:
        await (r.say(what) if how == "say" else r.press(what))


async def poison(env, r, kind: str, value) -> None:
    target = r.messages[-1]["message_id"] if r.messages else None
    if kind == "text":
        await r.say(value)
    elif kind == "press" and target is not None:
        await r.press_data(target, value, check=False)
    elif env.channel_name == "vk" and kind == "vk_payload":
        body = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        await r._after(lambda: env.fake.user_message(r.user_id, "x", payload=body))
        if target is not None:
            msg = next(m for m in r.messages if m["message_id"] == target)
            await r._after(lambda: env.fake.user_presses(r.user_id, value, msg["conversation_message_id"]))
    else:
        await r.say(str(value)[:100] or "?")


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(step=st.integers(0, len(INTAKE)), first=POISON, second=POISON)
async def test_any_input_at_any_step_is_answered_and_filing_still_works(env, services, step, first, second):
    r = env.resident(next(ids))
    await walk(r, step)
    for kind, value in (first, second):
        before = len(r.messages)
        await poison(env, r, kind, value)  # waits until the channel handled it: no exception escaped
        assert len(r.messages) > before, f"no answer to {kind} {value!r}"
    await r.say("/cancel")
    async with services.uow() as uow:
        consented = await uow.session.scalar(select(User.consent_at).where(User.external_id == r.user_id))
    if consented is None:
        await consent(r)
    await file_signal(r)
    async with services.uow() as uow:
        filed = await uow.session.scalar(select(func.count(Signal.id)).join(User, Signal.author_id == User.id)
                                         .where(User.external_id == r.user_id))
        assert filed == 1
        assert await inbox.failed(uow.session) == []
    assert env.fake.rejected == []
