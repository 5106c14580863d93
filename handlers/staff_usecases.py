"""Staff use cases (moderation, answers, extensions); each runs in the caller's unit of work, which commits once.

Every change to a signal, its answers or its extension requests happens under that signal's row lock
(SELECT … FOR UPDATE on PostgreSQL; SQLite serialises whole transactions) inside a savepoint, so a lost
race — seen as a changed status or a stale version — becomes AlreadyHandled with nothing written.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from handlers import lifecycle
from handlers import staff_texts as st
from handlers.context import Services
from handlers.errors import AlreadyHandled, DomainError, Forbidden, IllegalTransition, NotFound
from handlers.texts import esc
from handlers.types import Button, Say
from handlers.workdays import add_workdays
from storage import staff_queries as q
from storage.models import Answer, AnswerPhoto, ExtensionRequest, Photo, Signal, User
from storage.uow import UnitOfWork

MODERATION = ("accept", "reject")
REVIEW = ("publish_answer", "return_answer")
MAX_EXTENSION = 30


@dataclass(frozen=True)
class Accepted:
    number: str
    organization: str
    due_on: date
    executors: int


def _require(user: User, role: str) -> None:
    if role not in user.role_names:
        raise Forbidden()


def _member(user: User, organization_id: int | None) -> None:
    _require(user, "executor")
    if organization_id is None or organization_id not in {m.organization_id for m in user.memberships}:
        raise Forbidden(st.OTHER_ORG)


async def who_handled(uow: UnitOfWork, signal_id: int, actions: Iterable[str]) -> str | None:
    user = await q.last_actor(uow.session, signal_id, actions)
    return q.display(user) if user else None


@asynccontextmanager
async def guarded(uow: UnitOfWork, signal_id: int, actions: Iterable[str]) -> AsyncIterator[None]:
    """A savepoint; a stale signal version (someone else changed it meanwhile) becomes AlreadyHandled."""
    try:
        async with uow.session.begin_nested():
            yield
            await uow.session.flush()
    except StaleDataError:
        raise AlreadyHandled(await who_handled(uow, signal_id, actions)) from None


async def _locked(uow: UnitOfWork, signal_id: int) -> Signal:
    signal = await uow.signals.get(signal_id, lock=True)
    if signal is None:
        raise NotFound()
    return signal


def _now(services: Services) -> datetime:
    return services.now().astimezone(services.config.tz)


async def _move(services: Services, uow: UnitOfWork, signal: Signal, action: str, actions: Iterable[str],
                **kw: object) -> None:
    try:
        lifecycle.apply(signal, action, now=_now(services), **kw)  # type: ignore[arg-type]
    except IllegalTransition:
        raise AlreadyHandled(await who_handled(uow, signal.id, actions)) from None


async def _notify(uow: UnitOfWork, key: str, user: User, *says: Say) -> bool:
    return await uow.outbox.add(key, channel=user.channel, peer_id=user.external_id, user_id=user.id,
                                payload=[s.to_dict() for s in says])


def _day(value: date | None) -> str:
    return value.strftime("%d.%m.%Y") if value else "—"


# ----- moderation of new signals -----
async def accept(services: Services, uow: UnitOfWork, moderator: User, signal_id: int,
                 organization_id: int) -> Accepted:
    """new → in_progress for an organization; its executors and the residents are told."""
    _require(moderator, "moderator")
    async with guarded(uow, signal_id, MODERATION):
        signal = await _locked(uow, signal_id)
        org = await uow.catalog.organization(organization_id)
        if org is None:
            raise NotFound()
        await _move(services, uow, signal, "accept", MODERATION, workdays=services.config.deadline_workdays)
        signal.organization_id = org.id
        uow.signals.audit("accept", signal_id=signal.id, actor_id=moderator.id, organization_id=org.id,
                          organization=org.name, due_on=signal.due_on.isoformat() if signal.due_on else None)
        await uow.session.flush()
        executors = await uow.users.members_of(org.id)
        task = Say(st.TASK_ASSIGNED.format(number=signal.number, municipality=esc(signal.municipality.name),
                                           category=esc(signal.category.name), due=_day(signal.due_on)),
                   ((Button(st.OPEN_TASK, f"tk:{signal.id}"),),))
        for executor in executors:
            await _notify(uow, f"task_assigned:{signal.id}:{executor.id}", executor, task)
        told = Say(st.RESIDENT_ACCEPTED.format(number=signal.number, organization=esc(org.name),
                                               due=_day(signal.due_on)))
        for person in await q.audience(uow.session, signal):
            await _notify(uow, f"signal_accepted:{signal.id}:{person.id}", person, told)
    uow.after_commit(services.wake_outbox)
    assert signal.due_on is not None
    return Accepted(signal.number, org.name, signal.due_on, len(executors))


async def reject_reason(uow: UnitOfWork, services: Services, signal: Signal, code: str,
                        detail: str | None) -> str:
    """The plain-words reason a resident reads (validated)."""
    if code == "own":
        text = " ".join((detail or "").split())
        if not st.REASON_MIN <= len(text) <= st.REASON_MAX:
            raise DomainError(st.REASON_LENGTH.format(min=st.REASON_MIN, max=st.REASON_MAX))
        return text
    if code == "duplicate":
        original = await uow.signals.by_number(detail or "")
        if original is None:
            raise NotFound(st.DUPLICATE_UNKNOWN.format(number=esc(detail or "")))
        if original.id == signal.id:
            raise DomainError(st.DUPLICATE_SELF)
        url = services.config.portal_signal_url.format(number=original.number)
        return st.REJECT_FOR_RESIDENT[code].format(original=original.number, url=url)
    if code not in st.REJECT_FOR_RESIDENT:
        raise NotFound()
    return st.REJECT_FOR_RESIDENT[code]


async def reject(services: Services, uow: UnitOfWork, moderator: User, signal_id: int, code: str,
                 detail: str | None = None) -> str:
    """new → rejected; the residents get the reason in plain words. Returns that reason."""
    _require(moderator, "moderator")
    async with guarded(uow, signal_id, MODERATION):
        signal = await _locked(uow, signal_id)
        reason = await reject_reason(uow, services, signal, code, detail)
        await _move(services, uow, signal, "reject", MODERATION, reason=reason)
        uow.signals.audit("reject", signal_id=signal.id, actor_id=moderator.id, code=code, reason=reason)
        told = Say(st.RESIDENT_REJECTED.format(number=signal.number, reason=esc(reason)))
        for person in await q.audience(uow.session, signal):
            await _notify(uow, f"signal_rejected:{signal.id}:{person.id}", person, told)
    uow.after_commit(services.wake_outbox)
    return reason


async def edit(services: Services, uow: UnitOfWork, moderator: User, signal_id: int, *,
               category_id: int | None = None, municipality_id: int | None = None) -> Signal:
    """Change a new signal's category or municipality (before routing)."""
    _require(moderator, "moderator")
    async with guarded(uow, signal_id, MODERATION):
        signal = await _locked(uow, signal_id)
        if signal.status != lifecycle.NEW:
            raise AlreadyHandled(await who_handled(uow, signal.id, MODERATION))
        if category_id is not None:
            if await uow.catalog.category(category_id) is None:
                raise NotFound()
            old, signal.category_id, field = signal.category_id, category_id, "category_id"
        elif municipality_id is not None:
            if await uow.catalog.municipality(municipality_id) is None:
                raise NotFound()
            old, signal.municipality_id, field = signal.municipality_id, municipality_id, "municipality_id"
        else:
            raise ValueError("nothing to change")
        uow.signals.audit("edit", signal_id=signal.id, actor_id=moderator.id, field=field, old=old,
                          new=getattr(signal, field))
    return signal


# ----- answers -----
async def submit_answer(services: Services, uow: UnitOfWork, executor: User, signal_id: int, text: str,
                        photo_ids: Sequence[int] = ()) -> Answer:
    """A new answer version for review (earlier pending/returned versions superseded); moderators told."""
    text = text.strip()
    if not st.ANSWER_MIN <= len(text) <= st.ANSWER_MAX:
        raise DomainError(st.ANSWER_TOO_LONG.format(max=st.ANSWER_MAX, length=len(text))
                          if len(text) > st.ANSWER_MAX else st.ANSWER_TOO_SHORT)
    async with guarded(uow, signal_id, ("submit_answer",)):
        signal = await _locked(uow, signal_id)
        _member(executor, signal.organization_id)
        await _move(services, uow, signal, "submit_answer", ("submit_answer",))
        for old in await q.open_answers(uow.session, signal.id):
            old.review_status = "superseded"
        answer = Answer(signal_id=signal.id, version=await q.max_answer_version(uow.session, signal.id) + 1,
                        text=text, author_id=executor.id, organization_id=signal.organization_id,
                        review_status="pending", created_at=services.now())
        uow.session.add(answer)
        await uow.session.flush()
        wanted = list(dict.fromkeys(photo_ids))[: services.config.max_photos]
        found = set(await uow.session.scalars(select(Photo.id).where(Photo.id.in_(wanted))))
        for position, photo_id in enumerate(p for p in wanted if p in found):
            uow.session.add(AnswerPhoto(answer_id=answer.id, photo_id=photo_id, position=position))
        uow.signals.audit("submit_answer", signal_id=signal.id, actor_id=executor.id, answer_id=answer.id,
                          version=answer.version, photos=len(found))
        org = await uow.catalog.organization(signal.organization_id) if signal.organization_id else None
        note = Say(st.ANSWER_FOR_REVIEW.format(number=signal.number, organization=esc(org.name if org else "—")),
                   ((Button(st.CHECK_ANSWER, f"rv:{answer.id}"),),))
        for moderator in await uow.users.with_role("moderator"):
            await _notify(uow, f"answer_for_review:{answer.id}:{moderator.id}", moderator, note)
    uow.after_commit(services.wake_outbox)
    return answer


async def _signal_of(uow: UnitOfWork, answer_id: int) -> int:
    signal_id = await uow.session.scalar(select(Answer.signal_id).where(Answer.id == answer_id))
    if signal_id is None:
        raise NotFound()
    return signal_id


async def _reviewable(uow: UnitOfWork, signal_id: int, answer_id: int) -> tuple[Signal, Answer]:
    """Lock the answer's signal, then re-read the answer; refuse when it no longer awaits review."""
    signal = await _locked(uow, signal_id)
    answer = await uow.session.get(Answer, answer_id, populate_existing=True)
    if answer is None:
        raise NotFound()
    if answer.review_status != "pending":
        reviewer = await uow.users.by_id(answer.reviewer_id) if answer.reviewer_id else None
        raise AlreadyHandled(q.display(reviewer) if reviewer else None)
    return signal, answer


def review_details(reasons: Sequence[str], comment: str | None) -> str:
    """Plain text the executor reads: one line per reason, then the comment."""
    lines = [f"• {st.RETURN_REASONS[r]}" for r in reasons]
    if comment:
        lines.append(f"Комментарий модератора: {comment}")
    return "\n".join(lines)


async def return_answer(services: Services, uow: UnitOfWork, moderator: User, answer_id: int,
                        reasons: Sequence[str], comment: str | None = None) -> Signal:
    """answer_review → in_progress; the executor gets the reasons and the comment."""
    _require(moderator, "moderator")
    reasons = [r for r in dict.fromkeys(reasons) if r in st.RETURN_REASONS]
    comment = (comment or "").strip() or None
    if not reasons and not comment:
        raise DomainError(st.RETURN_NEED)
    if comment and len(comment) > st.REASON_MAX:
        raise DomainError(st.COMMENT_LENGTH.format(max=st.REASON_MAX))
    signal_id = await _signal_of(uow, answer_id)
    async with guarded(uow, signal_id, REVIEW):
        signal, answer = await _reviewable(uow, signal_id, answer_id)
        await _move(services, uow, signal, "return_answer", REVIEW)
        details = review_details(reasons, comment)
        answer.review_status, answer.reviewer_id = "returned", moderator.id
        answer.review_comment, answer.reviewed_at = details, services.now()
        uow.signals.audit("return_answer", signal_id=signal.id, actor_id=moderator.id, answer_id=answer.id,
                          reasons=reasons, comment=comment)
        author = await uow.users.by_id(answer.author_id) if answer.author_id else None
        people = [author] if author and signal.organization_id in {m.organization_id for m in author.memberships} \
            else list(await uow.users.members_of(signal.organization_id or 0))
        note = Say(st.EXECUTOR_RETURNED.format(number=signal.number, details=esc(details)),
                   ((Button(st.OPEN_TASK, f"tk:{signal.id}"),),))
        for person in people:
            await _notify(uow, f"answer_returned:{answer.id}:{person.id}", person, note)
    uow.after_commit(services.wake_outbox)
    return signal


def resident_answer(services: Services, number: str, organization: str, answer: Answer) -> Say:
    """The published answer as residents receive it, with rating buttons."""
    url = services.config.portal_signal_url.format(number=number)
    text = st.RESIDENT_ANSWER.format(number=number, organization=esc(organization), text=esc(answer.text),
                                     url=esc(url)) + st.RATE_PROMPT
    rate = ((Button(st.RATE_UP, f"rate:up:{answer.id}"), Button(st.RATE_DOWN, f"rate:down:{answer.id}")),)
    return Say(text, rate, tuple(p.photo_id for p in answer.photos))


async def publish_answer(services: Services, uow: UnitOfWork, moderator: User,
                         answer_id: int) -> tuple[Signal, int]:
    """answer_review → answered; every subscriber gets the answer. Returns the signal and how many were told."""
    _require(moderator, "moderator")
    signal_id = await _signal_of(uow, answer_id)
    async with guarded(uow, signal_id, REVIEW):
        signal, answer = await _reviewable(uow, signal_id, answer_id)
        await _move(services, uow, signal, "publish_answer", REVIEW)
        answer.review_status, answer.reviewer_id, answer.reviewed_at = "published", moderator.id, services.now()
        uow.signals.audit("publish_answer", signal_id=signal.id, actor_id=moderator.id, answer_id=answer.id,
                          version=answer.version)
        org = await uow.catalog.organization(answer.organization_id) if answer.organization_id else None
        message = resident_answer(services, signal.number, org.name if org else "—", answer)
        people = await q.audience(uow.session, signal)
        for person in people:
            await _notify(uow, f"answer_published:{answer.id}:{person.id}", person, message)
    uow.after_commit(services.wake_outbox)
    return signal, len(people)


# ----- extensions -----
async def request_extension(services: Services, uow: UnitOfWork, executor: User, signal_id: int, reason: str,
                            workdays: int) -> ExtensionRequest:
    """Ask the moderators to move the due date by `workdays` working days."""
    reason = " ".join(reason.split())
    if not st.REASON_MIN <= len(reason) <= st.REASON_MAX:
        raise DomainError(st.REASON_LENGTH.format(min=st.REASON_MIN, max=st.REASON_MAX))
    if not 1 <= workdays <= MAX_EXTENSION:
        raise DomainError(st.EXT_DAYS_BAD.format(max=MAX_EXTENSION))
    async with guarded(uow, signal_id, ("extension_requested",)):
        signal = await _locked(uow, signal_id)
        _member(executor, signal.organization_id)
        if signal.status not in (lifecycle.IN_PROGRESS, lifecycle.ANSWER_REVIEW):
            raise DomainError(st.NOT_IN_WORK.format(number=signal.number, status=st.status_name(signal.status)))
        if await q.pending_extension_for(uow.session, signal.id) is not None:
            raise DomainError(st.EXT_ALREADY.format(number=signal.number))
        request = ExtensionRequest(signal_id=signal.id, requested_by=executor.id, reason=reason,
                                   workdays=workdays, status="pending", created_at=services.now())
        uow.session.add(request)
        await uow.session.flush()
        uow.signals.audit("extension_requested", signal_id=signal.id, actor_id=executor.id,
                          request_id=request.id, workdays=workdays, reason=reason)
        org = await uow.catalog.organization(signal.organization_id) if signal.organization_id else None
        note = Say(st.EXTENSION_FOR_MODERATORS.format(
            organization=esc(org.name if org else "—"), number=signal.number, days=workdays,
            due=_day(signal.due_on), reason=esc(reason)),
            ((Button(st.EXT_APPROVE, f"exa:{request.id}"), Button(st.EXT_DECLINE, f"exd:{request.id}")),))
        for moderator in await uow.users.with_role("moderator"):
            await _notify(uow, f"extension_requested:{request.id}:{moderator.id}", moderator, note)
    uow.after_commit(services.wake_outbox)
    return request


async def decide_extension(services: Services, uow: UnitOfWork, moderator: User, request_id: int,
                           approve: bool) -> tuple[Signal, ExtensionRequest]:
    """Approve (due date moved by working days from the current one; residents told) or decline."""
    _require(moderator, "moderator")
    first = await uow.session.get(ExtensionRequest, request_id)
    if first is None:
        raise NotFound()
    async with guarded(uow, first.signal_id, ("extend", "extension_declined")):
        signal = await _locked(uow, first.signal_id)
        request = await uow.session.get(ExtensionRequest, request_id, populate_existing=True)
        assert request is not None
        if request.status != "pending":
            decider = await uow.users.by_id(request.decided_by) if request.decided_by else None
            raise AlreadyHandled(q.display(decider) if decider else None)
        if approve and signal.status not in (lifecycle.IN_PROGRESS, lifecycle.ANSWER_REVIEW):
            raise DomainError(st.NOT_IN_WORK.format(number=signal.number, status=st.status_name(signal.status)))
        request.status = "approved" if approve else "declined"
        request.decided_by, request.decided_at = moderator.id, services.now()
        old_due = signal.due_on
        if approve:
            signal.due_on = add_workdays(old_due or _now(services).date(), request.workdays)
        uow.signals.audit("extend" if approve else "extension_declined", signal_id=signal.id,
                          actor_id=moderator.id, request_id=request.id, workdays=request.workdays,
                          old_due=old_due.isoformat() if old_due else None,
                          new_due=signal.due_on.isoformat() if signal.due_on else None)
        requester = await uow.users.by_id(request.requested_by) if request.requested_by else None
        if requester is not None:
            text = st.EXECUTOR_EXT_APPROVED if approve else st.EXECUTOR_EXT_DECLINED
            await _notify(uow, f"extension_decided:{request.id}:{requester.id}", requester,
                          Say(text.format(number=signal.number, due=_day(signal.due_on))))
        if approve:
            told = Say(st.RESIDENT_EXTENDED.format(number=signal.number, due=_day(signal.due_on),
                                                   reason=esc(request.reason)))
            for person in await q.audience(uow.session, signal):
                await _notify(uow, f"extension_decided:{request.id}:{person.id}", person, told)
    uow.after_commit(services.wake_outbox)
    return signal, request
