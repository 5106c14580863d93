"""The command menu each person sees (Telegram setMyCommands per chat, the VK keyboard), by role and language."""

from __future__ import annotations

from collections.abc import Iterable

from handlers.i18n import DEFAULT, t

BY_ROLE: dict[str, tuple[str, ...]] = {
    "resident": ("start", "new", "my", "subscriptions", "stats", "lang", "help", "cancel", "forget"),
    "executor": ("tasks",),
    "moderator": ("queue", "review", "extensions", "signal"),
    "admin": ("grant", "revoke", "export", "opendata"),
}


def commands_for(roles: Iterable[str], lang: str = DEFAULT) -> list[tuple[str, str]]:
    """(command, description in `lang`) pairs: resident commands first, then each role's, without repeats."""
    held = {"resident", *roles}
    names = [name for role, names in BY_ROLE.items() if role in held for name in names]
    return [(name, t(lang, f"command.{name}" if role_of(name) == "resident" else f"staff-command.{name}"))
            for name in dict.fromkeys(names)]


def role_of(command: str) -> str:
    return next(role for role, names in BY_ROLE.items() if command in names)
