"""`run --demo`: an organization, routes to it and two staff personas, so one browser can walk the cycle."""

from __future__ import annotations

import logging

from bot.web.identity import PERSONAS
from handlers import roles
from handlers.context import Services
from storage.models import Organization

log = logging.getLogger(__name__)

DEMO_ORG = "Администрация МО ГО «Сыктывкар» (демо)"
NAMES = {"moderator": "Демо-модератор", "executor": "Демо-исполнитель"}


async def seed_demo(services: Services) -> None:
    """Idempotent: routes every municipality × category not routed yet to the demo organization, and gives
    the moderator and executor personas their roles and consent."""
    async with services.uow() as uow:
        org = await uow.catalog.organization_by_name(DEMO_ORG)
        if org is None:
            org = Organization(name=DEMO_ORG)
            uow.session.add(org)
            await uow.session.flush()
        routed = 0
        existing = {(r.municipality_id, r.category_id) for r in await uow.catalog.routes()}
        for m in await uow.catalog.municipalities():
            for c in await uow.catalog.categories():
                if (m.id, c.id) not in existing:
                    await uow.catalog.set_route(m.id, c.id, org.id)
                    routed += 1
        for persona, org_name in (("moderator", None), ("executor", DEMO_ORG)):
            user = await uow.users.get("web", PERSONAS[persona])
            if user is None or persona not in user.role_names:
                user = await roles.grant(uow, f"web:{PERSONAS[persona]}", persona, org_name)
            if user.consent_at is None:
                user.consent_at = services.now()
                user.display_name = NAMES[persona]
        await uow.commit()
    log.info("demo: organization %r, %d new routes, moderator and executor personas ready", DEMO_ORG, routed)
