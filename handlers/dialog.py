"""The dialog machinery every flow uses: a Turn, a registry of steps, and shared behaviour."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from handlers.context import Services
from handlers.types import Button, Input, Outcome, Peer, Say
from storage.models import DialogState, User
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


def step(name: str, *, prompt: Prompt, accepts_photos: bool = False) -> Callable[[StepHandler], StepHandler]:
    """Register a dialog step: `handle` reacts to an input, `prompt` (re)asks the step's question."""

    def register(fn: StepHandler) -> StepHandler:
        STEPS[name] = Step(name, fn, prompt, accepts_photos)
        return fn

    return register


@dataclass
class Turn:
    """One input being handled inside one transaction."""

    services: Services
    uow: UnitOfWork
    peer: Peer
    user: User
    state: DialogState
    outcome: Outcome = field(default_factory=Outcome)

    @property
    def data(self) -> dict[str, Any]:
        return self.state.data

    def say(self, text: str, buttons: tuple[tuple[Button, ...], ...] = (), photos: tuple[int, ...] = (),
            ask_location: bool = False) -> None:
        self.outcome.replies.append(Say(text, buttons, photos, ask_location))

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


COMMANDS: dict[str, Route] = {}
ACTIONS: dict[str, Route] = {}


def command(*names: str, needs_consent: bool = True, role: str | None = None):  # type: ignore[no-untyped-def]
    """Register a slash command available at any step (role checked in the database each time)."""

    def register(fn: CommandHandler) -> CommandHandler:
        for name in names:
            COMMANDS[name] = Route(fn, needs_consent, role)
        return fn

    return register


def action(prefix: str, *, needs_consent: bool = True, role: str | None = None):  # type: ignore[no-untyped-def]
    """Register a button payload prefix handled at any step ("prefix:arg:arg")."""

    def register(fn: ActionHandler) -> ActionHandler:
        ACTIONS[prefix] = Route(fn, needs_consent, role)
        return fn

    return register
