"""What the review card adds about an answer: its kind, date and who is competent, and the brush-off warning."""

from __future__ import annotations

from handlers import answer_texts as at
from handlers import brushoff
from handlers.cases.answer_rules import summary_lines
from handlers.dialog import Turn
from handlers.russian import stems
from handlers.texts import esc
from storage.models import Answer, Signal


def structure_block(answer: Answer) -> str:
    lines = summary_lines(answer.kind, answer.promised_on, answer.competent)
    return "".join(f"{line}\n" for line in lines)


def reason_lines(turn: Turn, answer: Answer, flags: list[str]) -> list[str]:
    lines = []
    for code in flags:
        label = at.REASONS.get(code, code)
        if code == "phrase":
            phrase = brushoff.phrase_found(stems(answer.text), turn.services.region.brushoff_phrases) or "…"
            label = label.format(phrase=esc(phrase))
        lines.append(f"• {label}")
    return lines


async def warning(turn: Turn, answer: Answer, signal: Signal) -> str:
    """The reasons stored when the answer was submitted (found now for answers older than the check)."""
    flags = answer.flags
    if flags is None:
        flags = await brushoff.flags_for(turn.uow, turn.services.region, answer, signal, len(answer.photos))
    if not flags:
        return ""
    return at.BRUSHOFF_WARNING.format(lines="\n".join(reason_lines(turn, answer, flags)))
