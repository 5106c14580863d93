"""What the review card adds about an answer: its kind, date and who is competent, and the brush-off warning."""

from __future__ import annotations

from handlers import brushoff, limits
from handlers.cases.answer_rules import summary_lines
from handlers.dialog import Turn
from handlers.i18n import staff_text
from handlers.russian import stems
from handlers.texts import esc
from storage.models import Answer, Signal


def structure_block(answer: Answer) -> str:
    lines = summary_lines(answer.kind, answer.promised_on, answer.competent)
    return "".join(f"{line}\n" for line in lines)


def reason_lines(turn: Turn, answer: Answer, flags: list[str]) -> list[str]:
    lines = []
    for code in flags:
        if code == "phrase":
            phrase = brushoff.phrase_found(stems(answer.text), turn.services.region.brushoff_phrases) or "…"
            label = staff_text("staff-answer-reasons.phrase", phrase=esc(phrase))
        else:
            label = staff_text(f"staff-answer-reasons.{code}") if code in limits.BRUSHOFF_REASONS else esc(code)
        lines.append(f"• {label}")
    return lines


async def warning(turn: Turn, answer: Answer, signal: Signal) -> str:
    """The reasons stored when the answer was submitted (found now for answers older than the check)."""
    flags = answer.flags
    if flags is None:
        flags = await brushoff.flags_for(turn.uow, turn.services.region, answer, signal, len(answer.photos))
    if not flags:
        return ""
    return staff_text("staff-answer-brushoff-warning", lines="\n".join(reason_lines(turn, answer, flags)))
