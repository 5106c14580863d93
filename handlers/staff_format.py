"""The small formatters staff cards share: trimmed text, place, age, due dates, refusals, pagers, names."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from handlers import menus
from handlers.errors import AlreadyHandled, DomainError, Forbidden, IllegalTransition, NotFound
from handlers.staff_texts import ALREADY_HANDLED, ALREADY_HANDLED_ANON, STATUS_CHANGED
from handlers.texts import BACK, FORBIDDEN, NOT_FOUND, STATUS, esc
from handlers.types import Button
from handlers.workdays import workdays_between
from storage.models import User


def trim(text: str, limit: int) -> tuple[str, bool]:
    """The text cut to `limit` characters with «…», and whether it was cut."""
    return (text, False) if len(text) <= limit else (text[:limit].rstrip() + "…", True)


def place(signal) -> str:  # type: ignore[no-untyped-def]
    if signal.latitude is not None and signal.longitude is not None:
        url = f"https://yandex.ru/maps/?pt={signal.longitude},{signal.latitude}&z=17&l=map"
        return f'<a href="{esc(url)}">{signal.latitude:.5f}, {signal.longitude:.5f}</a>'
    return esc(signal.address) if signal.address else "не указано"


def age(created: datetime, now: datetime) -> str:
    hours = int((now - created).total_seconds() // 3600)
    if hours < 1:
        return "меньше часа"
    return f"{hours} ч" if hours < 48 else f"{hours // 24} дн."


def due_left(due: date | None, today: date) -> str:
    if due is None:
        return "не назначен"
    shown = due.strftime("%d.%m.%Y")
    if due < today:
        return f"⚠ просрочено на {workdays_between(due, today)} раб. дн. (срок был {shown})"
    left = workdays_between(today, due)
    return f"до {shown} (сегодня последний день)" if left == 0 else f"до {shown} (осталось {left} раб. дн.)"


def refusal(exc: DomainError) -> str:
    """A polite reply for a refused action."""
    if isinstance(exc, AlreadyHandled):
        return ALREADY_HANDLED.format(by=esc(exc.by)) if exc.by else ALREADY_HANDLED_ANON
    if isinstance(exc, IllegalTransition):
        return STATUS_CHANGED
    if isinstance(exc, Forbidden):
        return str(exc) or FORBIDDEN
    if isinstance(exc, NotFound):
        return str(exc) or NOT_FOUND
    return str(exc)


def status_name(status: str) -> str:
    return STATUS.get(status, status)


def pager(items: Sequence[tuple[str, str]], page: int, page_payload: str,
          back: Button | None = None) -> tuple[tuple[Button, ...], ...]:
    """menus.paged with our own back button instead of «Назад / Отмена» (≤ 9 buttons in ≤ 5 rows)."""
    rows = menus.paged(items, page, page_payload, back=False)[:-1]
    return (*rows, (back,)) if back else rows


def back_to(payload: str, label: str = BACK) -> Button:
    return Button(label, payload)


def display(user: User) -> str:
    """A person's name for staff (their identity when they gave none)."""
    return user.display_name or user.identity
