"""Signals in every state for the Open311 tests, moved through the real use cases (no direct status writes)."""

from __future__ import annotations

from dataclasses import dataclass

from handlers import roles
from handlers.cases import queue as staff_queue
from handlers.cases import review as staff_review
from handlers.cases.filing import Draft, submit_signal
from storage.models import Organization

ORG = "Администрация МО ГО «Сыктывкар»"
MOD, EXE = 9101, 9102
RESIDENT_NAME = "Ольга Петровна Сидорова"  # personal data that no GET may show
RESIDENT_ID = 777000111


@dataclass
class Staff:
    org_id: int


async def make_staff(services) -> Staff:
    async with services.uow() as uow:
        org = Organization(name=ORG)
        uow.session.add(org)
        await uow.session.flush()
        await roles.grant(uow, f"telegram:{MOD}", "moderator")
        await roles.grant(uow, f"telegram:{EXE}", "executor", ORG)
        await uow.commit()
        return Staff(org.id)


async def file_from_bot(services, description: str, *, category: str = "roads", address: str | None = None,
                        lat: float | None = 61.67, lon: float | None = 50.84) -> int:
    async with services.uow() as uow:
        person = await uow.users.get_or_create("telegram", RESIDENT_ID)
        person.display_name = RESIDENT_NAME
        places = {m.name: m.id for m in await uow.catalog.municipalities()}
        kinds = {c.code: c.id for c in await uow.catalog.categories()}
        filed = await submit_signal(services, uow, person, Draft(places["Сыктывкар"], kinds[category], description,
                                                                 (), lat, lon, address))
        await uow.commit()
        return filed.signal_id


async def _as(uow, who: int):
    return await uow.users.get("telegram", who)


async def accept(services, staff_: Staff, signal_id: int) -> None:
    async with services.uow() as uow:
        await staff_queue.accept(services, uow, await _as(uow, MOD), signal_id, staff_.org_id)
        await uow.commit()


async def answer_and_publish(services, signal_id: int, text: str) -> None:
    async with services.uow() as uow:
        answer = await staff_review.submit_answer(services, uow, await _as(uow, EXE), signal_id, text)
        await uow.commit()
        answer_id = answer.id
    async with services.uow() as uow:
        await staff_review.publish_answer(services, uow, await _as(uow, MOD), answer_id)
        await uow.commit()


async def reject(services, signal_id: int) -> None:
    async with services.uow() as uow:
        await staff_queue.reject(services, uow, await _as(uow, MOD), signal_id, "own", "Это не относится к региону.")
        await uow.commit()


async def number_of(services, signal_id: int) -> str:
    async with services.uow() as uow:
        return (await uow.signals.get(signal_id)).number
