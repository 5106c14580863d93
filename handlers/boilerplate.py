"""Boilerplate detection: how closely an answer repeats earlier answers (normalised token cosine)."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from storage.models import Answer
from storage.uow import UnitOfWork

THRESHOLD = 0.9
STEM = 5  # crude Russian stemming: keep the first letters (дорога/дороги/дороге → дорог)
CORPUS_LIMIT = 2000
_WORD = re.compile(r"[a-zа-я]+")
STOP = frozenset(
    "и в во на по с со к ко о об обо от до за из у для при не ни что как а но или же ли то это этот эта "
    "эти так также был была было были будет будут вас ваш ваше вашего вам мы нами его ее их она они оно "
    "который которая которые которого уже еще там тут все всех".split()
)


@dataclass(frozen=True)
class Similarity:
    best: float  # 0..1, the closest earlier answer
    matches: int  # earlier answers at or above THRESHOLD

    @property
    def is_boilerplate(self) -> bool:
        return self.matches > 0


def tokens(text: str) -> list[str]:
    """Lowercased word stems without punctuation, numbers, dates and stop words."""
    words = _WORD.findall(text.casefold().replace("ё", "е"))
    return [w[:STEM] for w in words if len(w) > 2 and w not in STOP]


def vector(text: str) -> Counter[str]:
    return Counter(tokens(text))


def cosine(a: Counter[str], b: Counter[str]) -> float:
    if not a or not b:
        return 0.0
    dot = sum(count * b[word] for word, count in a.items() if word in b)
    return dot / (math.sqrt(sum(v * v for v in a.values())) * math.sqrt(sum(v * v for v in b.values())))


def similarity(text: str, earlier: Iterable[str], threshold: float = THRESHOLD) -> Similarity:
    mine = vector(text)
    scores = [cosine(mine, vector(other)) for other in earlier]
    return Similarity(max(scores, default=0.0), sum(1 for s in scores if s >= threshold))


async def check_answer(uow: UnitOfWork, answer: Answer) -> Similarity:
    """Compare an answer with earlier published or pending answers of other signals."""
    return similarity(answer.text, await uow.answers.earlier_texts(answer, CORPUS_LIMIT))
