"""Boilerplate detection: how closely an answer repeats earlier answers (fuzzy ratio over Snowball word stems)."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz import fuzz

from handlers.russian import stems
from storage.models import Answer
from storage.uow import UnitOfWork

THRESHOLD = 0.9
CORPUS_LIMIT = 2000


@dataclass(frozen=True)
class Similarity:
    best: float  # 0..1, the closest earlier answer
    matches: int  # earlier answers at or above THRESHOLD

    @property
    def is_boilerplate(self) -> bool:
        return self.matches > 0


def tokens(text: str) -> list[str]:
    """Word stems (Snowball's Russian stemmer) without punctuation, numbers and stop words."""
    return [s for s in stems(text) if not s.isdigit()]


def vector(text: str) -> Counter[str]:
    return Counter(tokens(text))


def cosine(a: Counter[str], b: Counter[str]) -> float:
    if not a or not b:
        return 0.0
    dot = sum(count * b[word] for word, count in a.items() if word in b)
    return dot / (math.sqrt(sum(v * v for v in a.values())) * math.sqrt(sum(v * v for v in b.values())))


def similarity(text: str, earlier: Iterable[str], threshold: float = THRESHOLD) -> Similarity:
    """rapidfuzz's token-sort ratio over stems: word order and a few changed letters do not hide a template."""
    mine = " ".join(sorted(tokens(text)))
    scores = [fuzz.token_sort_ratio(mine, " ".join(tokens(other))) / 100 if mine else 0.0 for other in earlier]
    return Similarity(max(scores, default=0.0), sum(1 for s in scores if s >= threshold))


async def check_answer(uow: UnitOfWork, answer: Answer) -> Similarity:
    """Compare an answer with earlier published or pending answers of other signals."""
    return similarity(answer.text, await uow.answers.earlier_texts(answer, CORPUS_LIMIT))
