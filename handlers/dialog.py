"""The dialog machinery every flow uses: a Turn, per-module registries of steps, commands and actions."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from handlers.context import Services
from handlers.i18n import language, t
from handlers.types import Button, FileRef, Input, Outcome, Peer, Say
from storage.rows import Person, State
from storage.uow import UnitOfWork

StepHandler = Callable[["Turn", Input], Awaitable[None]]
Prompt = Callable[["Turn"], Awaitable[None]]


@dataclass
class Step:
    name: str
    handle: StepHandler
    prompt: Prompt
    accepts_photos: bool = False


STEPS: dict[str, Step] = {}


@dataclass
class Turn:
    """One input being handled inside one transaction."""

    services: Services
    uow: UnitOfWork
    peer: Peer
    user: Person
    state: State
    outcome: Outcome = field(default_factory=Outcome)

    @property
    def data(self) -> dict[str, Any]:
        return self.state.data

    @property
    def lang(self) -> str:
        """The person's language (stored on their users row; Russian until chosen)."""
        return language(self.user.language)

    def t(self, msg_id: str, **params: object) -> str:
        """A message in the person's language (handlers/i18n.py)."""
        return t(self.lang, msg_id, **params)

    def say(self, text: str, buttons: tuple[tuple[Button, ...], ...] = (), photos: tuple[int, ...] = (),
            ask_location: bool = False, files: tuple[FileRef, ...] = ()) -> None:
        label = self.t("btn-share-location") if ask_location else ""
        self.outcome.replies.append(Say(text, buttons, photos, ask_location, label, files))

    def notice(self, text: str) -> None:
        self.outcome.notice = text

    def set(self, **values: Any) -> None:
        """Change draft data (a new dict, so the JSON column is saved)."""
        self.state.data = {**self.state.data, **values}

    def drop(self, *keys: str) -> None:
        self.state.data = {k: v for k, v in self.state.data.items() if k not in keys}

    async def goto(self, name: str, **values: Any) -> None:
        """Move to step `name` and ask its question."""
        self.state.step = name
        if values:
            self.set(**values)
        await STEPS[name].prompt(self)

    async def reprompt(self) -> None:
        current = STEPS.get(self.state.step)
        if current is not None:
            await current.prompt(self)

    def reset(self, step_name: str = "idle") -> None:
        self.state.step = step_name
        self.state.data = {}

    def has_role(self, role: str) -> bool:
        return role in self.user.role_names


CommandHandler = Callable[[Turn, str], Awaitable[None]]
ActionHandler = Callable[[Turn, list[str]], Awaitable[None]]


@dataclass
class Route:
    fn: Callable[..., Awaitable[None]]
    needs_consent: bool
    role: str | None


# The dialog the conversation runs: every included registry's steps, commands and button prefixes.
COMMANDS: dict[str, Route] = {}
ACTIONS: dict[str, Route] = {}


class DuplicateKey(Exception):
    """Two dialog handlers claim the same step name, command or button prefix."""


def _put(table: dict[str, Any], kind: str, key: str, value: object, owner: str) -> None:
    if key in table and table[key] is not value:
        raise DuplicateKey(f"{kind} {key!r} is registered twice (again by {owner})")
    table[key] = value


class Registry:
    """One dialog module's steps, commands and actions; the conversation includes it (see include)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.steps: dict[str, Step] = {}
        self.commands: dict[str, Route] = {}
        self.actions: dict[str, Route] = {}

    def step(self, name: str, *, prompt: Prompt, accepts_photos: bool = False
             ) -> Callable[[StepHandler], StepHandler]:
        """A dialog step: `handle` reacts to an input, `prompt` (re)asks the step's question."""

        def register(fn: StepHandler) -> StepHandler:
            _put(self.steps, "step", name, Step(name, fn, prompt, accepts_photos), self.name)
            return fn

        return register

    def command(self, *names: str, needs_consent: bool = True, role: str | None = None):  # type: ignore[no-untyped-def]
        """A slash command available at any step (role checked in the database each time)."""

        def register(fn: CommandHandler) -> CommandHandler:
            for name in names:
                _put(self.commands, "command", name, Route(fn, needs_consent, role), self.name)
            return fn

        return register

    def action(self, prefix: str, *, needs_consent: bool = True, role: str | None = None):  # type: ignore[no-untyped-def]
        """A button payload prefix handled at any step ("prefix:arg:arg")."""

        def register(fn: ActionHandler) -> ActionHandler:
            _put(self.actions, "button prefix", prefix, Route(fn, needs_consent, role), self.name)
            return fn

        return register


def include(*registries: Registry) -> None:
    """Add dialog modules' registries to the dialog; a key claimed by two of them stops the start-up."""
    for registry in registries:
        for table, mine, kind in ((STEPS, registry.steps, "step"), (COMMANDS, registry.commands, "command"),
                                  (ACTIONS, registry.actions, "button prefix")):
            for key, value in mine.items():
                _put(table, kind, key, value, registry.name)
