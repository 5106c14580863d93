"""Russian text tools for answer checks: Snowball word stems, dates, norm citations, claims of work."""

from __future__ import annotations

import re
from functools import lru_cache

import snowballstemmer

_STEMMER = snowballstemmer.stemmer("russian")
_WORD = re.compile(r"[a-zа-я0-9]+")
STOP = frozenset(
    "и в во на по с со к ко о об обо от до за из у для при не ни что как а но или же ли то это этот эта "
    "эти так также был была было были будет будут вас ваш ваше вашего вам мы нами его ее их она они оно "
    "который которая которые которого уже еще там тут все всех".split()
)
_MONTHS = r"(январ|феврал|март|апрел|ма[йя]|июн|июл|август|сентябр|октябр|ноябр|декабр)"
DATE = re.compile(
    rf"\b\d{{1,2}}\.\d{{1,2}}(\.\d{{2,4}})?\b|\b\d{{1,2}}\s+{_MONTHS}|\b{_MONTHS}\w*\s+\d{{4}}|\b(19|20)\d{{2}}\b"
    r"|в течение \d+|до конца (недели|месяца)|\b\d+\s+(рабочих|календарных)?\s*дн", re.IGNORECASE)
NORM = re.compile(
    r"\bст\.\s*\d|\bстать\w*\s+\d|\d+\s*-\s*фз|федеральн\w+\s+закон|\bзакон\w*\b|санпин|\bгост\b|\bсп\s+\d|\bснип"
    r"|\bпостановлени\w*|\bприказ\w*|\bп\.\s*\d|\bпункт\w*\s+\d|\bкодекс\w*|\bкоап\b|\bжк\s+рф|\bрегламент\w*",
    re.IGNORECASE)
EXPLAINED = re.compile(
    r"\bэто означает|\bэто значит|\bто есть\b|\bт\.\s?е\.|\bпоэтому\b|\bследовательно\b|\bв связи с чем\b"
    r"|\bзначит\b|\bдолжн\w*|\bобязан\w*|\bне (менее|более|ближе|далее|позднее)\b|\bсогласно котор\w+", re.IGNORECASE)
_DONE = re.compile(
    r"(выполнен|устранен|произведен|проведен|отремонтирован|заделан|засыпан|вывезен|убран|восстановлен|заменен"
    r"|очищен|ликвидирован|демонтирован|отсыпан|заасфальтирован|покрашен|скошен|спилен|починен|исправлен"
    r"|закрыт|вывезен)[аоы]?")
_PROMISE = re.compile(r"будет|будут|планиру\w*|запланирован\w*|планов\w*|предусмотрен\w*|намечен\w*|включен\w*")
_NOT_A_CLAIM = frozenset("будет будут быть не планируется должна должно должны может могут".split())
ACT = re.compile(r"\bакт(а|ом|у|ы|ов|е)?\b|\bфото\w*\s+прилага\w*", re.IGNORECASE)


def words(text: str) -> list[str]:
    return _WORD.findall(text.casefold().replace("ё", "е"))


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    return _STEMMER.stemWord(word)


def stems(text: str) -> list[str]:
    """Stems of the meaningful words (no stop words, no words of one or two letters)."""
    return [stem(w) for w in words(text) if (len(w) > 2 or w.isdigit()) and w not in STOP]


def has_date(text: str) -> bool:
    return DATE.search(text) is not None


def promises_work(text: str) -> bool:
    return any(_PROMISE.fullmatch(w) for w in words(text))


def claims_done(text: str) -> bool:
    """A past claim of work («яма засыпана», «работы выполнены»), not a promise or a denial."""
    ws = words(text)
    return any(_DONE.fullmatch(w) and (i == 0 or ws[i - 1] not in _NOT_A_CLAIM) for i, w in enumerate(ws))


def cites_norm_unexplained(text: str) -> bool:
    return NORM.search(text) is not None and EXPLAINED.search(text) is None
