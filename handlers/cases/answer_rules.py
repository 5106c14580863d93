"""Rules of structured answers: kinds, the promised date (parsed, not past, within the horizon), who is competent."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from handlers import limits
from handlers.errors import DomainError
from handlers.i18n import t
from handlers.moments import day as fmt
from handlers.texts import esc

KINDS = limits.ANSWER_KINDS
_DATE = re.compile(r"\s*(\d{1,2})[./-](\d{1,2})(?:[./-](\d{2}|\d{4}))?\s*")


@dataclass(frozen=True)
class Structure:
    """What the executor chose before writing the text."""

    kind: str | None = None
    promised_on: date | None = None
    competent: str | None = None


def parse_date(text: str, today: date) -> date:
    """ДД.ММ[.ГГГГ] → a date (this year when the year is left out); DomainError with a clear message."""
    match = _DATE.fullmatch(text)
    example = fmt(today + timedelta(days=7))
    if match is None:
        raise DomainError("staff-answer-date-bad", text=text.strip()[:40], example=example)
    day, month, year = int(match[1]), int(match[2]), match[3]
    year_n = today.year if year is None else int(year) + (2000 if len(year) == 2 else 0)
    try:
        return date(year_n, month, day)
    except ValueError:
        raise DomainError("staff-answer-date-bad", text=text.strip()[:40], example=example) from None


def check_date(day: date, today: date, horizon_days: int) -> date:
    last = today + timedelta(days=horizon_days)
    if day < today:
        raise DomainError("staff-answer-date-past", date=fmt(day))
    if day > last:
        raise DomainError("staff-answer-date-too-far", date=fmt(day), last=fmt(last))
    return day


def check_competent(text: str | None) -> str:
    who = (text or "").strip()
    if not who:
        raise DomainError("staff-answer-competent-required")
    if not limits.COMPETENT_MIN <= len(who) <= limits.COMPETENT_MAX:
        raise DomainError("staff-answer-competent-length", min=limits.COMPETENT_MIN, max=limits.COMPETENT_MAX)
    return who


def check(structure: Structure, *, today: date, horizon_days: int, photos: int, photo_required: bool,
          category: str) -> Structure:
    """The structure as stored, or DomainError: a date for «Будет устранено», who for «Не в нашей
    компетенции», a photo for «Устранено» in a photo-required category."""
    kind = structure.kind
    if kind is None:
        return Structure()
    if kind not in KINDS:
        raise DomainError("staff-answer-kind-required")
    if kind == "planned":
        if structure.promised_on is None:
            raise DomainError("staff-answer-date-required")
        return Structure(kind, check_date(structure.promised_on, today, horizon_days))
    if kind == "not_ours":
        return Structure(kind, competent=check_competent(structure.competent))
    if kind == "fixed" and photo_required and photos == 0:
        raise DomainError("staff-answer-photo-required", category=category)
    return Structure(kind)


def summary_lines(kind: str | None, promised_on: date | None, competent: str | None,
                  lang: str = "ru") -> list[str]:
    """HTML lines shown on cards (Russian) and to residents (in their language)."""
    if kind is None:
        return []
    name = t(lang, f"answer-kind.{kind}") if kind in KINDS else esc(kind)
    lines = [t(lang, "answer-line-kind", kind=name)]
    if promised_on is not None:
        lines.append(t(lang, "answer-line-date", date=fmt(promised_on, lang)))
    if competent:
        lines.append(t(lang, "answer-line-competent", who=esc(competent)))
    return lines
