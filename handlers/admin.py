"""Admins in the bot: /grant and /revoke staff roles (organizations are managed with the CLI)."""

from __future__ import annotations

from handlers import roles
from handlers import staff_format as sf
from handlers.dialog import Registry, Turn
from handlers.errors import DomainError, NotFound
from handlers.i18n import staff_text, t
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
        turn.say(staff_text("staff-grant-usage"))
        return
    role, who, org_name = parts[0].lower(), parts[1].lower(), parts[2] if len(parts) > 2 else None
    if role not in roles.ROLES:
        raise DomainError("staff-unknown-role", role=esc(role))
    try:
        channel, external_id = roles.parse_identity(who)
    except DomainError:
        raise DomainError("staff-bad-identity") from None
    org = await turn.uow.catalog.organization_named(org_name) if org_name else None
    if org_name and org is None:
        known = ", ".join(o.name for o in await turn.uow.catalog.organizations()) or "—"
        raise NotFound("staff-org-unknown", name=esc(org_name), known=esc(sf.trim(known, 1500)[0]))
    name = org.name if org else None
    suffix = staff_text("staff-org-suffix", organization=esc(name)) if name else ""
    if granting:
        if role == "executor" and org is None:
            raise DomainError("staff-need-org")
        await roles.grant(turn.uow, who, role, name, actor_id=turn.user.id)
        turn.say(staff_text("staff-granted", who=esc(who), role=t(turn.lang, f"staff-role-names.{role}"), org=suffix))
        return
    if role == "admin" and (channel, external_id) == (turn.user.channel, turn.user.external_id):
        raise DomainError("staff-self-revoke")
    if await turn.uow.users.get(channel, external_id) is None:
        raise NotFound("staff-nobody", who=esc(who))
    await roles.revoke(turn.uow, who, role, name, actor_id=turn.user.id)
    turn.say(staff_text("staff-revoked", who=esc(who), role=t(turn.lang, f"staff-role-names.{role}"), org=suffix))
