"""Answers: an executor submits a version, a moderator returns it with reasons or publishes it to residents."""

from __future__ import annotations

from collections.abc import Sequence

from handlers import brushoff, limits
from handlers.cases import answer_rules as rules
from handlers.cases import followup, staff_rules
from handlers.cases.answer_rules import Structure
from handlers.cases.notify import notify, tell_subscribers
from handlers.cases.staff_rules import (
    REVIEW,
    guarded,
    handled_by,
    member,
    move,
    require,
)
from handlers.context import Services
from handlers.errors import DomainError, NotFound
from handlers.i18n import staff_text, t
from handlers.texts import esc
from handlers.types import Button, Say
from storage.models import Answer, Signal, User
from storage.uow import UnitOfWork


async def submit_answer(services: Services, uow: UnitOfWork, executor: User, signal_id: int, text: str,
                        photo_ids: Sequence[int] = (), structure: Structure = Structure()) -> Answer:
    """A new answer version for review (earlier pending/returned versions superseded), its kind checked and
    its brush-off reasons stored for the review card; moderators told."""
    text = text.strip()
    if not limits.ANSWER_MIN <= len(text) <= limits.ANSWER_MAX:
        raise DomainError("staff-answer-too-long", max=limits.ANSWER_MAX, length=len(text)
                          if len(text) > limits.ANSWER_MAX else staff_text("staff-answer-too-short"))
    async with guarded(uow, signal_id, ("submit_answer",)):
        signal = await staff_rules.locked(uow, signal_id)
        member(executor, signal.organization_id)
        wanted = list(dict.fromkeys(photo_ids))[: services.config.max_photos]
        found = await uow.photos.existing(wanted)
        photos = [p for p in wanted if p in found]
        today = services.now().astimezone(services.config.tz).date()
        structure = rules.check(structure, today=today, horizon_days=services.config.answer_date_horizon_days,
                                photos=len(photos), category=signal.category.name,
                                photo_required=signal.category.code in services.region.photo_required)
        await move(services, uow, signal, "submit_answer", ("submit_answer",))
        for old in await uow.answers.open_versions(signal.id):
            old.review_status = "superseded"
        answer = Answer(signal_id=signal.id, version=await uow.answers.max_version(signal.id) + 1,
                        text=text, author_id=executor.id, organization_id=signal.organization_id,
                        review_status="pending", created_at=services.now(), kind=structure.kind,
                        promised_on=structure.promised_on, competent=structure.competent)
        await uow.answers.add(answer, photos)
        answer.flags = await brushoff.flags_for(uow, services.region, answer, signal, len(photos))
        uow.signals.audit("submit_answer", signal_id=signal.id, actor_id=executor.id, answer_id=answer.id,
                          version=answer.version, photos=len(photos), kind=structure.kind,
                          promised_on=structure.promised_on.isoformat() if structure.promised_on else None,
                          competent=structure.competent, flags=answer.flags)
        org = await uow.catalog.organization(signal.organization_id) if signal.organization_id else None
        note = Say(staff_text("staff-answer-for-review", number=signal.number, organization=esc(org.name if org else "—")),
                   ((Button(staff_text("staff-btn-check-answer"), f"rv:{answer.id}"),),))
        for moderator in await uow.users.with_role("moderator"):
            await notify(uow, f"answer_for_review:{answer.id}:{moderator.id}", moderator, note)
    uow.after_commit(services.wake_outbox)
    return answer


async def _signal_of(uow: UnitOfWork, answer_id: int) -> int:
    signal_id = await uow.answers.signal_of(answer_id)
    if signal_id is None:
        raise NotFound()
    return signal_id


async def _reviewable(uow: UnitOfWork, signal_id: int, answer_id: int) -> tuple[Signal, Answer]:
    """Lock the answer's signal, then re-read the answer; refuse when it no longer awaits review."""
    signal = await staff_rules.locked(uow, signal_id)
    answer = await uow.answers.get(answer_id, fresh=True)
    if answer is None:
        raise NotFound()
    if answer.review_status != "pending":
        raise await handled_by(uow, answer.reviewer_id)
    return signal, answer


def review_details(reasons: Sequence[str], comment: str | None) -> str:
    """Plain text the executor reads: one line per reason, then the comment."""
    lines = ["• " + staff_text(f"staff-return-reasons.{r}") for r in reasons]
    if comment:
        lines.append(staff_text("staff-comment-plain", comment=comment))
    return "\n".join(lines)


async def return_answer(services: Services, uow: UnitOfWork, moderator: User, answer_id: int,
                        reasons: Sequence[str], comment: str | None = None) -> Signal:
    """answer_review → in_progress; the executor gets the reasons and the comment."""
    require(moderator, "moderator")
    reasons = [r for r in dict.fromkeys(reasons) if r in limits.RETURN_CODES]
    comment = (comment or "").strip() or None
    if not reasons and not comment:
        raise DomainError("staff-return-need")
    if comment and len(comment) > limits.REASON_MAX:
        raise DomainError("staff-comment-length", max=limits.REASON_MAX)
    signal_id = await _signal_of(uow, answer_id)
    async with guarded(uow, signal_id, REVIEW):
        signal, answer = await _reviewable(uow, signal_id, answer_id)
        await move(services, uow, signal, "return_answer", REVIEW)
        details = review_details(reasons, comment)
        answer.review_status, answer.reviewer_id = "returned", moderator.id
        answer.review_comment, answer.reviewed_at = details, services.now()
        uow.signals.audit("return_answer", signal_id=signal.id, actor_id=moderator.id, answer_id=answer.id,
                          reasons=reasons, comment=comment)
        author = await uow.users.by_id(answer.author_id) if answer.author_id else None
        people = [author] if author and signal.organization_id in author.organization_ids \
            else list(await uow.users.members_of(signal.organization_id or 0))
        note = Say(staff_text("staff-executor-returned", number=signal.number, details=esc(details)),
                   ((Button(staff_text("staff-btn-open-task"), f"tk:{signal.id}"),),))
        for person in people:
            await notify(uow, f"answer_returned:{answer.id}:{person.id}", person, note)
    uow.after_commit(services.wake_outbox)
    return signal


def resident_answer(services: Services, number: str, organization: str, answer: Answer, lang: str) -> Say:
    """The published answer as residents receive it in `lang`, with rating buttons."""
    url = services.config.portal_signal_url.format(number=number)
    summary = "".join(f"{line}\n" for line in rules.summary_lines(answer.kind, answer.promised_on, answer.competent,
                                                                 lang))
    text = t(lang, "notify-answer", number=number, organization=esc(organization),
             text=summary + esc(answer.text), url=esc(url)) + t(lang, "notify-rate-prompt")
    rate = ((Button(t(lang, "btn-rate-up"), f"rate:up:{answer.id}"),
             Button(t(lang, "btn-rate-down"), f"rate:down:{answer.id}")),)
    return Say(text, rate, tuple(p.photo_id for p in answer.photos))


async def publish_answer(services: Services, uow: UnitOfWork, moderator: User,
                         answer_id: int) -> tuple[Signal, int]:
    """answer_review → answered; every subscriber gets the answer. Returns the signal and how many were told."""
    require(moderator, "moderator")
    signal_id = await _signal_of(uow, answer_id)
    async with guarded(uow, signal_id, REVIEW):
        signal, answer = await _reviewable(uow, signal_id, answer_id)
        await move(services, uow, signal, "publish_answer", REVIEW)
        answer.review_status, answer.reviewer_id, answer.reviewed_at = "published", moderator.id, services.now()
        uow.signals.audit("publish_answer", signal_id=signal.id, actor_id=moderator.id, answer_id=answer.id,
                          version=answer.version, kind=answer.kind)
        if answer.flags:  # published although the card warned: the moderator's decision, with what was shown
            uow.signals.audit("publish_override", signal_id=signal.id, actor_id=moderator.id,
                              answer_id=answer.id, reasons=list(answer.flags))
        org = await uow.catalog.organization(answer.organization_id) if answer.organization_id else None
        org_name = org.name if org else "—"
        await followup.schedule(services, uow, signal, answer)
        people = await tell_subscribers(uow, f"answer_published:{answer.id}", signal,
                                        lambda lang: resident_answer(services, signal.number, org_name, answer, lang))
    uow.after_commit(services.wake_outbox)
    return signal, len(people)


