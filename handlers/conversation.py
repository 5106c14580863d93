"""Entry point for every channel: handle one neutral input from one person, return the replies."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from sqlalchemy.exc import DBAPIError

from handlers import (
    admin,
    exports,
    extensions,
    followup,
    intake,
    intake_finish,
    queue,
    rating,
    reroute,
    resident,
    review,
    signal_card,
    stats,
    subscriptions,
    tasks,
)
from handlers.commands_menu import commands_for
from handlers.context import Services
from handlers.dialog import ACTIONS, COMMANDS, STEPS, Route, Turn, include
from handlers.errors import DomainError, Forbidden, message
from handlers.i18n import DEFAULT, platform_language, t
from handlers.normalize import clean_input, clean_peer
from handlers.peers import FloodGate, PeerLocks
from handlers.photos import ingest
from handlers.types import Command, Input, Outcome, Peer, Photos, Press, Say, Text, Unsupported
from storage import inbox
from storage.errors import error_class, is_transient

log = logging.getLogger(__name__)

# kinds of input with a reply of their own (unsupported.…); anything else gets unsupported.other
UNSUPPORTED = ("sticker", "voice", "audio", "video", "video_note", "document", "contact", "poll", "forged", "wall",
               "link", "unknown_command")
ALWAYS_ALLOWED = {"start", "help", "forget", "cancel"}
DB_ATTEMPTS = 5


# Every dialog module's registry; a step, command or button prefix claimed twice stops the start-up.
DIALOGS = (resident.registry, intake.registry, intake_finish.registry, queue.registry, signal_card.registry,
           review.registry, extensions.registry, admin.registry, tasks.registry, rating.registry,
           followup.registry, reroute.registry, subscriptions.registry, stats.registry, exports.registry)
include(*DIALOGS)


class Conversation:
    def __init__(self, services: Services) -> None:
        self.services = services
        self.locks = PeerLocks()
        self.flood = FloodGate(services.config.max_messages_per_minute)
        # people who read another language than the default, as of their last turn: for the few replies
        # made without a turn (too fast, poison, database down) — no query for them
        self.languages: dict[tuple[str, int], str] = {}

    def language_of(self, key: tuple[str, int]) -> str:
        return self.languages.get(key, DEFAULT)

    async def handle(self, peer: Peer, inp: Input, inbox_ids: Sequence[int] = ()) -> Outcome:
        """Handle one input; with `inbox_ids` the stored updates are marked handled in the same
        transaction, and an input whose updates were already handled (a redelivery) does nothing.

        A transient database failure (restart, lost connection, lock) is retried; anything else is a poison
        input: its updates are set aside as failed and the person is asked to try differently."""
        peer, inp = clean_peer(peer), clean_input(inp)
        key = (peer.channel, peer.peer_id)
        async with self.locks.hold(key):
            if not self.flood.allow(key):
                await self._mark_only(inbox_ids)
                return Outcome([Say(t(self.language_of(key), "too-fast"))])
            last: BaseException | None = None
            for attempt in range(1, DB_ATTEMPTS + 1):
                try:
                    if isinstance(inp, Photos):
                        inp = await self._prefetch(peer, inp)
                    return await self._turn(peer, inp, inbox_ids)
                except Exception as exc:
                    if not is_transient(exc):
                        log.exception("failed to handle %s input on %s", type(inp).__name__, peer.channel)
                        await self.set_aside(inbox_ids, exc)
                        return Outcome([Say(t(self.language_of(key), "poisoned"))], failed=True,
                                       error=error_class(exc))
                    # a database restart or a lock timeout: the transaction rolled back, so retry cleanly
                    log.warning("database error on attempt %d/%d: %s", attempt, DB_ATTEMPTS, type(exc).__name__)
                    last = exc
                    if attempt < DB_ATTEMPTS:
                        await asyncio.sleep(0.25 * 2 ** (attempt - 1))
            # still unreachable: the person is told; the update is set aside if the database lets us,
            # otherwise it stays queued and the inbox sweep hands it to a later attempt
            assert last is not None
            await self.set_aside(inbox_ids, last, note=f" after {DB_ATTEMPTS} attempts")
            return Outcome([Say(t(self.language_of(key), "internal-error"))], failed=True, error=error_class(last))

    async def mark_handled(self, inbox_ids: Sequence[int]) -> None:
        """Mark stored updates handled without a dialog turn (updates the bot ignores)."""
        await self._mark_only(inbox_ids)

    async def set_aside(self, inbox_ids: Sequence[int], exc: BaseException, note: str = "") -> bool:
        """Mark poison updates failed with their error class, so they never block the person's queue."""
        if not inbox_ids:
            return True
        try:
            async with self.services.uow() as uow:
                await inbox.mark_failed(uow.conn, inbox_ids, error_class(exc) + note)
                await uow.commit()
            return True
        except Exception as db_exc:
            if not is_transient(db_exc):
                raise
            log.warning("could not set inbox rows aside: %s", type(db_exc).__name__)
            return False

    async def _mark_only(self, inbox_ids: Sequence[int]) -> None:
        if not inbox_ids:
            return
        try:
            async with self.services.uow() as uow:
                await inbox.mark_handled(uow.conn, inbox_ids)
                await uow.commit()
        except DBAPIError as exc:
            log.warning("could not mark inbox rows handled: %s", type(exc).__name__)

    async def _prefetch(self, peer: Peer, inp: Photos):  # type: ignore[no-untyped-def]
        """Download photos outside the transaction, and only when a step is waiting for them."""
        async with self.services.uow() as uow:
            state = await uow.dialogs.load(peer.channel, peer.peer_id, lock=False)
            user = await uow.people.find(peer.channel, peer.peer_id)
            expecting = STEPS.get(state.step)
            wanted = expecting is not None and expecting.accepts_photos and user is not None and user.consent_at
        if not wanted:
            return Unsupported("photo_unexpected")
        return await ingest(self.services, inp.refs)

    async def _turn(self, peer: Peer, inp: Input, inbox_ids: Sequence[int]) -> Outcome:
        """One transaction: lock the person's state, run the dialog, mark the updates handled and journal
        the replies with it (a redelivery or an update that must wait for an earlier one rolls back)."""
        async with self.services.uow() as uow:
            state, user = await uow.dialogs.open(peer.channel, peer.peer_id)
            if user is None:
                user = await uow.people.enrol(peer.channel, peer.peer_id)
            await uow.people.reachable(user)
            if user.language is None and platform_language(peer.language) != DEFAULT:
                await uow.people.set_language(user, platform_language(peer.language))  # Telegram reports kv
            turn = Turn(self.services, uow, peer, user, state)
            await dispatch(turn, inp)
            remember_menu(turn)
            refresh_commands(turn)
            if not turn.data.get("forgotten"):
                await uow.dialogs.save(state)
            if inbox_ids:
                replies = [reply.to_dict() for reply in turn.outcome.replies]
                status = await inbox.finish_turn(uow.conn, inbox_ids, replies)
                if status != "done":  # nothing of this turn is kept: the transaction rolls back
                    return Outcome(duplicate=status == "duplicate", later=status == "later")
                if turn.data.get("forgotten"):  # 152-ФЗ: this update goes too, now that it is handled
                    await inbox.forget_peer(uow.conn, peer.channel, peer.peer_id)
            await uow.commit()
            if turn.lang != DEFAULT and not turn.data.get("forgotten"):
                self.languages[(peer.channel, peer.peer_id)] = turn.lang
            else:
                self.languages.pop((peer.channel, peer.peer_id), None)
            return turn.outcome


async def dispatch(turn: Turn, inp: Input) -> None:
    if isinstance(inp, Text):
        mapped = turn.data.get("_menu", {}).get(inp.text.strip().casefold())
        if mapped:
            inp = Press(mapped)
    try:
        if isinstance(inp, Command):
            await _command(turn, inp)
        elif isinstance(inp, Press) and inp.payload.split(":", 1)[0] in ACTIONS:
            prefix, *args = inp.payload.split(":")
            await _run(turn, ACTIONS[prefix], args, name=prefix)
        elif turn.user.consent_at is None:
            await resident.ask_consent(turn, reminder=True)
        elif isinstance(inp, Unsupported):
            await _unsupported(turn, inp.kind)
        elif turn.state.step in STEPS:
            await STEPS[turn.state.step].handle(turn, inp)
        else:
            await resident.idle(turn, inp)
    except Forbidden:
        turn.say(turn.t("error-forbidden"))
    except DomainError as exc:
        turn.say(message(turn.lang, exc))


async def _command(turn: Turn, inp: Command) -> None:
    route = COMMANDS.get(inp.name)
    if route is None:
        await _unsupported(turn, "unknown_command")
        return
    await _run(turn, route, inp.args, name=inp.name)


async def _run(turn: Turn, route: Route, args: object, *, name: str) -> None:
    if route.needs_consent and turn.user.consent_at is None and name not in ALWAYS_ALLOWED:
        await resident.ask_consent(turn, reminder=True)
        return
    if route.role and not turn.has_role(route.role):
        turn.say(t(turn.lang, "error-forbidden"))
        return
    await route.fn(turn, args)


async def _unsupported(turn: Turn, kind: str) -> None:
    if kind == "photo_unexpected":
        turn.say(t(turn.lang, "photo-unexpected"))
    else:
        turn.say(turn.t(f"unsupported.{kind}" if kind in UNSUPPORTED else "unsupported.other"))
    if turn.user.consent_at is None:
        await resident.ask_consent(turn)
    elif turn.state.step in STEPS:
        await turn.reprompt()
    else:
        await resident.main_menu(turn)


def refresh_commands(turn: Turn) -> None:
    """Tell the adapter to change the person's command menu when their staff roles changed."""
    if turn.data.get("forgotten"):
        return
    roles = sorted(turn.user.role_names - {"resident"})
    if turn.data.get("_roles", []) != roles or turn.data.get("_commands_lang", DEFAULT) != turn.lang:
        turn.set(_roles=roles, _commands_lang=turn.lang)
        turn.outcome.commands = commands_for(roles, turn.lang)


def remember_menu(turn: Turn) -> None:
    """Let a typed button label count as pressing it (reply keyboards, VK text buttons, typing «Отмена»)."""
    for reply in reversed(turn.outcome.replies):
        if reply.buttons:
            menu = {b.label.casefold(): b.payload for row in reply.buttons for b in row}
            turn.set(_menu=menu)
            return
