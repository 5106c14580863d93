"""Admins in the bot: /grant and /revoke staff roles (organizations are managed with the CLI)."""

from __future__ import annotations

from handlers import roles
from handlers import staff_format as sf
from handlers import staff_texts as st
from handlers.dialog import Registry, Turn
from handlers.errors import DomainError, NotFound
from handlers.staff_common import refusing
from handlers.texts import esc

registry = Registry("admin")


@registry.command("grant", role="admin")
@refusing
async def grant(turn: Turn, args: str) -> None:
    await _change_role(turn, args, granting=True)


@registry.command("revoke", role="admin")
@refusing
async def revoke(turn: Turn, args: str) -> None:
    await _change_role(turn, args, granting=False)


async def _change_role(turn: Turn, args: str, *, granting: bool) -> None:
    parts = args.split(maxsplit=2)
    if len(parts) < 2:
        turn.say(st.GRANT_USAGE)
        return
    role, who, org_name = parts[0].lower(), parts[1].lower(), parts[2] if len(parts) > 2 else None
    if role not in roles.ROLES:
        raise DomainError(st.UNKNOWN_ROLE.format(role=esc(role)))
    try:
        channel, external_id = roles.parse_identity(who)
    except DomainError:
        raise DomainError(st.BAD_IDENTITY) from None
    org = await turn.uow.catalog.organization_named(org_name) if org_name else None
    if org_name and org is None:
        known = ", ".join(o.name for o in await turn.uow.catalog.organizations()) or "—"
        raise NotFound(st.ORG_UNKNOWN.format(name=esc(org_name), known=esc(sf.trim(known, 1500)[0])))
    name = org.name if org else None
    suffix = st.ORG_SUFFIX.format(organization=esc(name)) if name else ""
    if granting:
        if role == "executor" and org is None:
            raise DomainError(st.NEED_ORG)
        await roles.grant(turn.uow, who, role, name, actor_id=turn.user.id)
        turn.say(st.GRANTED.format(who=esc(who), role=st.ROLE_NAMES[role], org=suffix))
        return
    if role == "admin" and (channel, external_id) == (turn.user.channel, turn.user.external_id):
        raise DomainError(st.SELF_REVOKE)
    if await turn.uow.users.get(channel, external_id) is None:
        raise NotFound(st.NOBODY.format(who=esc(who)))
    await roles.revoke(turn.uow, who, role, name, actor_id=turn.user.id)
    turn.say(st.REVOKED.format(who=esc(who), role=st.ROLE_NAMES[role], org=suffix))
