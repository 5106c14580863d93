"""Moderators re-route a signal from a «Не в нашей компетенции» answer's review card to another organization."""

from __future__ import annotations

from handlers import staff_format as sf
from handlers.cases import reroute as uc
from handlers.cases.staff_rules import day
from handlers.dialog import Registry, Turn
from handlers.errors import DomainError
from handlers.i18n import staff_text
from handlers.review import _pending_answer
from handlers.staff_common import ints, leave_step, load_signal, page_of, refusing
from handlers.texts import esc
from handlers.types import Button

registry = Registry("reroute")


@registry.action("rro", role="moderator")
@refusing
async def choose(turn: Turn, args: list[str]) -> None:
    leave_step(turn)
    answer = await _pending_answer(turn, *ints(args, 1))
    if answer.kind != "not_ours":
        raise DomainError("staff-reroute-only-not-ours")
    signal = await load_signal(turn, answer.signal_id)
    orgs = [o for o in await turn.uow.catalog.organizations() if o.id != signal.organization_id]
    if not orgs:
        turn.say(staff_text("staff-no-orgs"))
        return
    items = [(o.name, f"rrd:{answer.id}:{o.id}") for o in orgs]
    turn.say(staff_text("staff-reroute-pick", number=signal.number, who=esc(answer.competent or "—")),
             sf.pager(items, page_of(args[1:]), f"rro:{answer.id}", sf.back_to(f"rv:{answer.id}")))


@registry.action("rrd", role="moderator")
@refusing
async def reroute(turn: Turn, args: list[str]) -> None:
    answer_id, organization_id = ints(args, 2)
    signal, org = await uc.reroute(turn.services, turn.uow, turn.user, answer_id, organization_id)
    turn.say(staff_text("staff-rerouted", number=signal.number, organization=esc(org.name), due=day(signal.due_on)),
             ((Button(staff_text("staff-btn-to-list"), "rvl:0"),),))
