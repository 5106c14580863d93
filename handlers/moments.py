"""The one formatting helper: dates, times, numbers and plural forms as people read them, per language."""

from __future__ import annotations

from datetime import date, datetime

from handlers.context import Services
from handlers.i18n import language, template

# Russian and Komi both write dates day first with dots (ГОСТ Р 7.0.97 for Russian; the Komi press does
# the same), so the patterns are shared; a language with other habits gets its own entry here.
DAY = {"ru": "%d.%m.%Y", "kv": "%d.%m.%Y"}
DAY_MONTH = {"ru": "%d.%m", "kv": "%d.%m"}
TIME = {"ru": "%H:%M", "kv": "%H:%M"}
NONE = "—"


def day(value: date | None, lang: str = "ru") -> str:
    """A calendar date: 30.11.2026."""
    return value.strftime(DAY[language(lang)]) if value is not None else NONE


def day_month(value: date, lang: str = "ru") -> str:
    """A short date for buttons: 30.11."""
    return value.strftime(DAY_MONTH[language(lang)])


def moment(value: datetime | date | None, services: Services, lang: str = "ru") -> str:
    """A date, or a date and time in the region's time zone: 30.11.2026 14:05."""
    if value is None:
        return NONE
    if isinstance(value, datetime):
        lang = language(lang)
        return value.astimezone(services.config.tz).strftime(f"{DAY[lang]} {TIME[lang]}")
    return day(value, lang)


def number(value: int, lang: str = "ru") -> str:
    """An integer with a thin non-breaking space between thousands from 10 000 on (Russian and Komi use)."""
    return f"{value:,}".replace(",", "\u202f") if abs(value) >= 10_000 else str(value)


def plural(lang: str, count: int, msg_id: str) -> str:
    """The form of `msg_id` for `count`: the entry holds the forms separated by «|» — Russian three
    (one|few|many: 1 обращение, 2 обращения, 5 обращений), Komi one (a noun after a numeral stays singular)."""
    forms = template(lang, msg_id).split("|")
    if len(forms) < 3:
        return forms[0]
    n10, n100 = count % 10, count % 100
    if n10 == 1 and n100 != 11:
        return forms[0]
    if 2 <= n10 <= 4 and not 12 <= n100 <= 14:
        return forms[1]
    return forms[2]
