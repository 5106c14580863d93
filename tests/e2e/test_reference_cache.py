"""Reference data cached per instance: a route changed by the CLI is used by every instance within seconds."""

from __future__ import annotations

import asyncio
import html
import re
import sys
from dataclasses import replace

import pytest
from sqlalchemy import select

from handlers.cases.filing import Draft, submit_signal
from handlers.context import Services
from handlers.conversation import Conversation
from handlers.types import Peer, Press
from storage.db import Database
from storage.media import LocalMediaStore
from storage.models import Organization, Signal, User, UserRole
from tests.e2e.multi import ROOT, until

OLD, NEW = "Служба дорог (старая)", "Служба дорог (новая)"
MODERATORS = {"a": Peer("telegram", 9101, "Мария"), "b": Peer("vk", 9102, "Олег")}
PICKUP = 5.0  # seconds: each instance re-reads the version token at most once a second


def visible(markup: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", markup))


async def cli(db_url: str, *args: str) -> str:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args, cwd=ROOT, env={"DATABASE_URL": db_url, "PATH": "/usr/bin:/bin"},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    out, _ = await proc.communicate()
    assert proc.returncode == 0, out.decode()
    return out.decode()


async def world(services) -> list[int]:
    """Two organizations, a moderator per instance, four new signals (Сыктывкар × Дороги)."""
    async with services.uow() as uow:
        uow.session.add_all([Organization(name=OLD), Organization(name=NEW)])
        now = services.now()
        for peer in MODERATORS.values():
            uow.session.add(User(channel=peer.channel, external_id=peer.peer_id, display_name=peer.display_name,
                                 consent_at=now, roles=[UserRole(role="moderator")]))
        author = await uow.users.get_or_create("vk", 5301)
        author.consent_at = now
        m = next(p for p in await uow.catalog.municipalities() if p.name == "Сыктывкар")
        c = next(k for k in await uow.catalog.categories() if k.name == "Дороги")
        ids = []
        for n in range(4):
            draft = Draft(m.id, c.id, f"Яма на дороге номер {n}, колёса пробиты, нужен ремонт", (), None, None,
                          f"ул. Ленина, {n}")
            ids.append((await submit_signal(services, uow, author, draft)).signal_id)
        await uow.commit()
    return ids


async def offered(conversation: Conversation, peer: Peer, signal_id: int) -> tuple[str, Press | None]:
    """What «✅ Принять» offers: the confirm text and its «✅ organization» button."""
    out = await conversation.handle(peer, Press(f"acc:{signal_id}"))
    text = visible("\n".join(r.text for r in out.replies))
    button = next((Press(b.payload) for r in out.replies for row in r.buttons for b in row
                   if b.payload.startswith("aco:")), None)
    return text, button


@pytest.mark.parametrize("backend", ["postgresql"])
async def test_route_changed_by_the_cli_is_used_by_both_instances(backend, services, db_url, tmp_path):
    config = replace(services.config, max_messages_per_minute=10_000)
    services.config = config
    other = Services(db=Database(db_url), config=config, region=services.region,
                     media=LocalMediaStore(tmp_path / "media-b"), signing_key=services.signing_key)
    try:
        signals = await world(services)
        instances = {"a": Conversation(services), "b": Conversation(other)}
        await cli(db_url, "routes", "set", "Сыктывкар", "Дороги", OLD)
        for name, first in zip(instances, signals[:2], strict=True):  # each instance caches the old route
            async def uses_old(name=name, first=first) -> bool:
                return OLD in (await offered(instances[name], MODERATORS[name], first))[0]

            await until(uses_old, PICKUP, f"instance {name} to use the first route")

        await cli(db_url, "routes", "set", "Сыктывкар", "Дороги", NEW)
        changed = asyncio.get_running_loop().time()
        picked: dict[str, float] = {}
        for name, signal_id in zip(instances, signals[2:], strict=True):
            async def uses_new(name=name, signal_id=signal_id) -> bool:
                text, button = await offered(instances[name], MODERATORS[name], signal_id)
                if NEW not in text:
                    return False
                assert button is not None
                await instances[name].handle(MODERATORS[name], button)  # accept by the offered route
                picked[name] = asyncio.get_running_loop().time() - changed
                return True

            await until(uses_new, PICKUP, f"instance {name} to use the new route")
        async with services.uow() as uow:
            orgs = {o.name: o.id for o in await uow.catalog.organizations()}
            routed = dict((await uow.session.execute(
                select(Signal.id, Signal.organization_id).where(Signal.id.in_(signals[2:])))).all())
        assert routed == {signal_id: orgs[NEW] for signal_id in signals[2:]}, (routed, picked)
    finally:
        await other.db.dispose()
