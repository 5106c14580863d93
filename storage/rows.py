"""Plain rows the dialog turn works on — a person and their dialog state — read and written with Core SQL."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(eq=False)
class Person:
    """One channel identity with its staff roles and organizations (what a turn needs of a user)."""

    id: int
    channel: str
    external_id: int
    display_name: str | None = None
    consent_at: datetime | None = None
    unreachable_at: datetime | None = None
    roles: tuple[str, ...] = ()
    organization_ids: tuple[int, ...] = ()
    language: str | None = None  # the person's chosen language (None: not chosen, Russian)

    @property
    def identity(self) -> str:
        return f"{self.channel}:{self.external_id}"

    @property
    def role_names(self) -> set[str]:
        return {"resident", *self.roles}


@dataclass(eq=False)
class State:
    """Where a person is in a dialog; saved at the end of the turn only when the step or the data changed
    (the data is replaced, never edited in place: `Turn.set` builds a new dict)."""

    channel: str
    peer_id: int
    step: str = "idle"
    data: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._loaded = (self.step, self.data)

    @property
    def changed(self) -> bool:
        return self.step != self._loaded[0] or self.data is not self._loaded[1]

    def saved(self) -> None:
        self._loaded = (self.step, self.data)
