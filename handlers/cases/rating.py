"""A resident rates a published answer: 👍 closes an answered signal, 👎 reopens it and tells moderators."""

from __future__ import annotations

from handlers import lifecycle
from handlers.cases.notify import notify, tell_subscribers
from handlers.context import Services
from handlers.i18n import staff_text, t
from handlers.texts import esc
from handlers.types import Say
from storage.models import Answer, Signal, User
from storage.uow import UnitOfWork


async def rate_answer(services: Services, uow: UnitOfWork, user: User, answer: Answer, signal: Signal,
                      value: int, comment: str | None = None) -> bool:
    """Store the rating; close (👍) or reopen (👎) an answered signal; tell moderators about a 👎.
    True when the signal's status changed."""
    now = services.now()
    changed = signal.status == lifecycle.ANSWERED
    if changed:
        change = lifecycle.apply(signal, "close" if value > 0 else "reopen", now=now)
        if value < 0:
            answer.reopened_at = now
        uow.signals.audit(change.action, signal_id=signal.id, actor_id=user.id, rating=value,
                          answer_id=answer.id, reopen_count=signal.reopen_count)
        if change.action == "reopen":  # the other subscribers hear of it; the rater has just been told
            await tell_subscribers(uow, f"signal_reopened:{signal.id}:{signal.reopen_count}", signal,
                                   lambda lang: Say(t(lang, "notify-reopened", number=signal.number)), skip=user.id)
            uow.after_commit(services.wake_outbox)
    else:
        uow.signals.audit("rated", signal_id=signal.id, actor_id=user.id, rating=value, answer_id=answer.id)
    if value < 0:
        note = Say(staff_text("staff-rating-for-moderators", number=signal.number,
                              reopened=staff_text("staff-rating-reopened") if changed else "",
                              comment=staff_text("staff-rating-comment", text=esc(comment)) if comment else ""))
        for mod in await uow.users.with_role("moderator"):
            await notify(uow, f"rated_down:{answer.id}:{user.id}:{mod.id}", mod, note)
        uow.after_commit(services.wake_outbox)
    await uow.answers.rate(signal_id=signal.id, answer_id=answer.id, user_id=user.id, value=value,
                           comment=comment, now=now)
    return changed
