"""The small formatters staff cards share: trimmed text, place, age, due dates, refusals, pagers, names."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from handlers import menus
from handlers.errors import DomainError, message
from handlers.i18n import DEFAULT, staff_text, t
from handlers.moments import day
from handlers.texts import esc
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
    return esc(signal.address) if signal.address else staff_text("staff-no-place")


def age(created: datetime, now: datetime) -> str:
    hours = int((now - created).total_seconds() // 3600)
    if hours < 1:
        return staff_text("staff-age-minutes")
    return staff_text("staff-age-hours", hours=hours) if hours < 48 else staff_text("staff-age-days", days=hours // 24)


def due_left(due: date | None, today: date) -> str:
    if due is None:
        return staff_text("staff-due-none")
    shown = day(due)
    if due < today:
        return staff_text("staff-due-overdue", late=workdays_between(due, today), due=shown)
    left = workdays_between(today, due)
    return staff_text("staff-due-today", due=shown) if left == 0 else staff_text("staff-due-left", due=shown, left=left)


def refusal(exc: DomainError) -> str:
    """A polite reply for a refused action (staff read Russian; handlers/errors.py renders it)."""
    return message(DEFAULT, exc)


def status_name(status: str) -> str:
    return t(DEFAULT, f"status.{status}")


def pager(items: Sequence[tuple[str, str]], page: int, page_payload: str,
          back: Button | None = None) -> tuple[tuple[Button, ...], ...]:
    """menus.paged with our own back button instead of «Назад / Отмена» (≤ 9 buttons in ≤ 5 rows)."""
    rows = menus.paged(DEFAULT, items, page, page_payload, back=False)[:-1]
    return (*rows, (back,)) if back else rows


def back_to(payload: str, label: str | None = None) -> Button:
    return Button(label or t(DEFAULT, "btn-back"), payload)


def display(user: User) -> str:
    """A person's name for staff (their identity when they gave none)."""
    return user.display_name or user.identity
