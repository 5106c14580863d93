"""Rules of structured answers: kinds, the promised date (parsed, not past, within the horizon), who is competent."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from handlers import answer_texts as at
from handlers.errors import DomainError
from handlers.texts import esc

KINDS = tuple(at.KIND_BUTTONS)
_DATE = re.compile(r"\s*(\d{1,2})[./-](\d{1,2})(?:[./-](\d{2}|\d{4}))?\s*")


@dataclass(frozen=True)
class Structure:
    """What the executor chose before writing the text."""

    kind: str | None = None
    promised_on: date | None = None
    competent: str | None = None


def fmt(day: date) -> str:
    return day.strftime("%d.%m.%Y")


def parse_date(text: str, today: date) -> date:
    """ДД.ММ[.ГГГГ] → a date (this year when the year is left out); DomainError with a clear message."""
    match = _DATE.fullmatch(text)
    example = fmt(today + timedelta(days=7))
    if match is None:
        raise DomainError(at.DATE_BAD.format(text=text.strip()[:40], example=example))
    day, month, year = int(match[1]), int(match[2]), match[3]
    year_n = today.year if year is None else int(year) + (2000 if len(year) == 2 else 0)
    try:
        return date(year_n, month, day)
    except ValueError:
        raise DomainError(at.DATE_BAD.format(text=text.strip()[:40], example=example)) from None


def check_date(day: date, today: date, horizon_days: int) -> date:
    last = today + timedelta(days=horizon_days)
    if day < today:
        raise DomainError(at.DATE_PAST.format(date=fmt(day)))
    if day > last:
        raise DomainError(at.DATE_TOO_FAR.format(date=fmt(day), last=fmt(last)))
    return day


def check_competent(text: str | None) -> str:
    who = (text or "").strip()
    if not who:
        raise DomainError(at.COMPETENT_REQUIRED)
    if not at.COMPETENT_MIN <= len(who) <= at.COMPETENT_MAX:
        raise DomainError(at.COMPETENT_LENGTH.format(min=at.COMPETENT_MIN, max=at.COMPETENT_MAX))
    return who


def check(structure: Structure, *, today: date, horizon_days: int, photos: int, photo_required: bool,
          category: str) -> Structure:
    """The structure as stored, or DomainError: a date for «Будет устранено», who for «Не в нашей
    компетенции», a photo for «Устранено» in a photo-required category."""
    kind = structure.kind
    if kind is None:
        return Structure()
    if kind not in KINDS:
        raise DomainError(at.KIND_REQUIRED)
    if kind == "planned":
        if structure.promised_on is None:
            raise DomainError(at.DATE_REQUIRED)
        return Structure(kind, check_date(structure.promised_on, today, horizon_days))
    if kind == "not_ours":
        return Structure(kind, competent=check_competent(structure.competent))
    if kind == "fixed" and photo_required and photos == 0:
        raise DomainError(at.PHOTO_REQUIRED.format(category=category))
    return Structure(kind)


def summary_lines(kind: str | None, promised_on: date | None, competent: str | None) -> list[str]:
    """HTML lines shown on cards and to residents."""
    if kind is None:
        return []
    lines = [at.LINE_KIND.format(kind=at.KIND_NAMES.get(kind, kind))]
    if promised_on is not None:
        lines.append(at.LINE_DATE.format(date=fmt(promised_on)))
    if competent:
        lines.append(at.LINE_COMPETENT.format(who=esc(competent)))
    return lines
