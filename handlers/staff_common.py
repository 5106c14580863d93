"""What the staff dialogs share: refusals as replies, payload ids, pages, leaving a step, loading a signal."""

from __future__ import annotations

import functools
import re
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

from handlers.dialog import Turn
from handlers.errors import AlreadyHandled, DomainError, Forbidden, NotFound, message
from storage.models import Signal

Handler = Callable[[Turn, Any], Awaitable[None]]
LIST_LIMIT = 60


def refusing(fn: Handler) -> Handler:
    """Turn a refused action (DomainError) into a polite reply; nothing was written."""

    @functools.wraps(fn)
    async def wrapper(turn: Turn, args: Any) -> None:
        try:
            await fn(turn, args)
        except DomainError as exc:
            turn.say(message(turn.lang, exc))  # staff ids fall back to Russian

    return wrapper


def ints(args: object, count: int) -> list[int]:
    """The first `count` payload arguments as ids (a malformed payload is simply «not found»)."""
    values = list(args) if isinstance(args, list) else []
    if len(values) < count or not all(v.isdigit() for v in values[:count]):
        raise NotFound()
    return [int(v) for v in values[:count]]


def page_of(args: object) -> int:
    return int(args[0]) if isinstance(args, list) and args and args[0].isdigit() else 0


def leave_step(turn: Turn) -> None:
    """Drop an unfinished staff step (a new staff command or card replaces it)."""
    if turn.state.step.startswith(("mod.", "ex.")):
        turn.state.step = "idle"
    turn.drop("staff")


async def attempt(turn: Turn, use_case: Awaitable[object]) -> bool:
    """Run a staff use case from a dialog step; True when it went through. A lost race or a revoked
    role ends the step with a refusal; any other refusal (bad input) keeps the person on the step."""
    try:
        await use_case
    except (AlreadyHandled, Forbidden) as exc:
        leave_step(turn)
        turn.say(message(turn.lang, exc))  # staff ids fall back to Russian
        return False
    except DomainError as exc:
        turn.say(message(turn.lang, exc))  # staff ids fall back to Russian
        return False
    return True


def staff(turn: Turn) -> dict[str, Any]:
    return dict(turn.data.get("staff") or {})


def today(turn: Turn) -> date:
    return turn.services.now().astimezone(turn.services.config.tz).date()


async def load_signal(turn: Turn, signal_id: int) -> Signal:
    signal = await turn.uow.signals.get(signal_id)
    if signal is None:
        raise NotFound()
    return signal


async def may_read(turn: Turn, organization_id: int | None) -> None:
    """Moderators read everything; executors only their organizations' signals."""
    if turn.has_role("moderator"):
        return
    if turn.has_role("executor") and organization_id in turn.user.organization_ids:
        return
    raise Forbidden()


def signal_number(raw: str, year: str) -> str:
    """«№ 2025-123», «2025-000123» or «123» (this year) → 2025-000123."""
    raw = raw.strip().lstrip("№").strip()
    full = re.fullmatch(r"(\d{4})-(\d{1,6})", raw)
    if full:
        return f"{full.group(1)}-{int(full.group(2)):06d}"
    return f"{year}-{int(raw):06d}" if raw.isdigit() and len(raw) <= 6 else raw
