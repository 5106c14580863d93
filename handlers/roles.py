"""Granting and revoking staff roles (used by the CLI and by admins in the bot)."""

from __future__ import annotations

from handlers.errors import DomainError, NotFound
from storage.models import OrganizationMember, User, UserRole
from storage.uow import UnitOfWork

ROLES = ("executor", "moderator", "admin")
CHANNELS = ("telegram", "vk", "web")


def parse_identity(who: str) -> tuple[str, int]:
    """'telegram:123' → ('telegram', 123); raises DomainError with a readable message."""
    channel, _, raw = who.partition(":")
    if channel not in CHANNELS or not raw.lstrip("-").isdigit():
        raise DomainError(f"expected telegram:<id>, vk:<id> or web:<id>, got {who!r}")
    return channel, int(raw)


async def grant(uow: UnitOfWork, who: str, role: str, org_name: str | None = None,
                actor_id: int | None = None) -> User:
    if role not in ROLES:
        raise DomainError(f"unknown role {role!r}; expected one of {', '.join(ROLES)}")
    channel, external_id = parse_identity(who)
    if role == "executor" and not org_name:
        raise DomainError("an executor belongs to an organization: give its name")
    user = await uow.users.get_or_create(channel, external_id)
    if role not in {r.role for r in user.roles}:
        user.roles.append(UserRole(user_id=user.id, role=role))
    if org_name:
        org = await uow.catalog.organization_by_name(org_name)
        if org is None:
            raise NotFound(f"no organization named {org_name!r}")
        if org.id not in {m.organization_id for m in user.memberships}:
            user.memberships.append(OrganizationMember(user_id=user.id, organization_id=org.id))
    uow.signals.audit("role_granted", signal_id=None, actor_id=actor_id, role=role, who=who,
                      organization=org_name)
    return user


async def revoke(uow: UnitOfWork, who: str, role: str, org_name: str | None = None,
                 actor_id: int | None = None) -> User:
    channel, external_id = parse_identity(who)
    user = await uow.users.get(channel, external_id)
    if user is None:
        raise NotFound(f"nobody known as {who}")
    if org_name:
        org = await uow.catalog.organization_by_name(org_name)
        if org is None:  # nothing to take away: refuse before changing or auditing anything
            raise NotFound(f"no organization named {org_name!r}")
        user.memberships = [m for m in user.memberships if m.organization_id != org.id]
    else:
        user.roles = [r for r in user.roles if r.role != role]
        if role == "executor":
            user.memberships = []
    uow.signals.audit("role_revoked", signal_id=None, actor_id=actor_id, role=role, who=who,
                      organization=org_name)
    return user
