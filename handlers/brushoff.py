"""Brush-off («отписка») reasons found in an answer, from the very first one: phrases, missing dates or
evidence, unexplained norms, no overlap with the signal, and similarity to earlier answers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from rapidfuzz import fuzz

from handlers import boilerplate
from handlers.russian import ACT as _ACT
from handlers.russian import cites_norm_unexplained, claims_done, has_date, promises_work, stems

REASONS = ("similar", "phrase", "no_date", "no_evidence", "norm", "off_topic")
GENERIC = frozenset(stems("обращение уважаемый заявитель сообщаем информируем администрация вопрос"))
PHRASE_SCORE = 90  # rapidfuzz partial_ratio over stems: tolerant of typos and endings, not of other words


@dataclass(frozen=True)
class Draft:
    """What the check reads of an answer (the same for a stored one and the labelled test set)."""

    text: str
    kind: str | None = None
    promised_on: date | None = None
    photos: int = 0


def phrase_found(text_stems: list[str], phrases: tuple[str, ...]) -> str | None:
    joined = " ".join(text_stems)
    for phrase in phrases:
        wanted = " ".join(stems(phrase))
        if wanted and fuzz.partial_ratio(wanted, joined, score_cutoff=PHRASE_SCORE):
            return phrase
    return None


def reasons(draft: Draft, signal_text: str, phrases: tuple[str, ...], similar: bool = False) -> list[str]:
    """Every brush-off reason found, in the order of REASONS."""
    text, mine = draft.text, stems(draft.text)
    found = {"similar": similar, "phrase": phrase_found(mine, phrases) is not None}
    dated = draft.promised_on is not None or has_date(text)
    found["no_date"] = not dated and (draft.kind == "planned" or promises_work(text))
    evidenced = draft.photos > 0 or _ACT.search(text) is not None
    found["no_evidence"] = not evidenced and (draft.kind == "fixed" or claims_done(text))
    found["norm"] = cites_norm_unexplained(text)
    subject = set(stems(signal_text)) - GENERIC
    found["off_topic"] = bool(subject) and draft.kind != "not_ours" and not subject & set(mine)
    return [r for r in REASONS if found[r]]


async def flags_for(uow, region, answer, signal, photos: int) -> list[str]:  # type: ignore[no-untyped-def]
    """The reasons for a stored answer: its signal's text and address, the region's phrases, earlier answers."""
    similar = (await boilerplate.check_answer(uow, answer)).is_boilerplate
    draft = Draft(answer.text, answer.kind, answer.promised_on, photos)
    return reasons(draft, f"{signal.description} {signal.address or ''}", region.brushoff_phrases, similar)
