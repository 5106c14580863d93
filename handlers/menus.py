"""Button layouts that fit every channel: at most 10 buttons in 6 rows (VK's inline limit)."""

from __future__ import annotations

from collections.abc import Sequence

from handlers.i18n import t
from handlers.types import Button

PER_PAGE = 6
LABEL_MAX = 40


def label(text: str) -> str:
    return text if len(text) <= LABEL_MAX else text[: LABEL_MAX - 1] + "…"


def nav_row(lang: str, back: bool = True, cancel: bool = True) -> tuple[Button, ...]:
    row = []
    if back:
        row.append(Button(t(lang, "btn-back"), "back"))
    if cancel:
        row.append(Button(t(lang, "btn-cancel"), "cancel"))
    return tuple(row)


def paged(lang: str, items: Sequence[tuple[str, str]], page: int, page_payload: str,
          extra: Sequence[tuple[Button, ...]] = (), per_page: int = PER_PAGE,
          back: bool = True) -> tuple[tuple[Button, ...], ...]:
    """Items two per row, a ‹ › row when there is more than one page, then «Назад» / «Отмена»."""
    pages = max(1, -(-len(items) // per_page))
    page = min(max(page, 0), pages - 1)
    chunk = items[page * per_page:(page + 1) * per_page]
    rows: list[tuple[Button, ...]] = [
        tuple(Button(label(text), payload) for text, payload in chunk[i:i + 2]) for i in range(0, len(chunk), 2)
    ]
    if pages > 1:
        nav = []
        if page > 0:
            nav.append(Button(t(lang, "btn-prev-page") + f" {page}/{pages}", f"{page_payload}:{page - 1}"))
        if page < pages - 1:
            nav.append(Button(f"{page + 2}/{pages} " + t(lang, "btn-next-page"), f"{page_payload}:{page + 1}"))
        rows.append(tuple(nav))
    rows.extend(extra)
    rows.append(nav_row(lang, back=back))
    return tuple(rows)


def page_count(n: int, per_page: int = PER_PAGE) -> int:
    return max(1, -(-n // per_page))
