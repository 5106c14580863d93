"""The command menu each person sees (Telegram setMyCommands per chat, the VK keyboard), by role."""

from __future__ import annotations

from collections.abc import Iterable

from handlers.staff_texts import COMMANDS as STAFF_COMMANDS
from handlers.stats_texts import COMMANDS as STATS_COMMANDS

COMMANDS = {**STAFF_COMMANDS, **STATS_COMMANDS}

BY_ROLE: dict[str, tuple[str, ...]] = {
    "resident": ("start", "new", "my", "subscriptions", "stats", "help", "cancel", "forget"),
    "executor": ("tasks",),
    "moderator": ("queue", "review", "extensions", "signal"),
    "admin": ("grant", "revoke", "export", "opendata"),
}


def commands_for(roles: Iterable[str]) -> list[tuple[str, str]]:
    """(command, Russian description) pairs: resident commands first, then each role's, without repeats."""
    held = {"resident", *roles}
    names = [name for role, names in BY_ROLE.items() if role in held for name in names]
    return [(name, COMMANDS[name]) for name in dict.fromkeys(names)]
