"""Channel-neutral dialog inputs and replies; adapters translate platform updates to and from these."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Peer:
    """Who is talking: a channel identity and a display name offered by the platform."""

    channel: str
    peer_id: int
    display_name: str | None = None
    language: str | None = None  # the platform's language code for the person (Telegram's language_code)


@dataclass(frozen=True)
class PhotoRef:
    """Where a channel can fetch an incoming image: Telegram file_id or a VK URL."""

    channel: str
    ref: str
    mime: str = "image/jpeg"


# ----- inputs -----
@dataclass(frozen=True)
class Text:
    text: str


@dataclass(frozen=True)
class Command:
    name: str
    args: str = ""


@dataclass(frozen=True)
class Press:
    """A button press whose payload passed signature verification."""

    payload: str


@dataclass(frozen=True)
class Photos:
    refs: tuple[PhotoRef, ...]


@dataclass(frozen=True)
class Location:
    lat: float
    lon: float


@dataclass(frozen=True)
class Unsupported:
    """A sticker, voice, video, contact, non-image document... or a forged button."""

    kind: str


Input = Text | Command | Press | Photos | Location | Unsupported


# ----- replies -----
@dataclass(frozen=True)
class Button:
    label: str
    payload: str


@dataclass(frozen=True)
class FileRef:
    """A generated file in the media store (a PNG chart, a CSV/XLSX export) sent after a reply's text:
    an image (`image/png`, `image/jpeg`) as a picture, anything else as a document named `name`."""

    name: str
    key: str
    mime: str = "application/octet-stream"

    @property
    def is_image(self) -> bool:
        return self.mime in ("image/png", "image/jpeg")


@dataclass(frozen=True)
class Say:
    """One message. `text` is HTML-subset markup (<b>, <i>, <a>) with user text escaped;
    `photos` are stored photo ids shown before the text; `ask_location` adds a share-location button;
    `files` are generated files sent after the text (charts as pictures, exports as documents)."""

    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()
    photos: tuple[int, ...] = ()
    ask_location: bool = False
    location_label: str = ""  # the share-location button's label in the reader's language
    files: tuple[FileRef, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @staticmethod
    def from_dict(raw: dict[str, Any]) -> Say:
        buttons = tuple(tuple(Button(**b) for b in row) for row in raw.get("buttons", ()))
        files = tuple(FileRef(**f) for f in raw.get("files", ()))
        return Say(raw["text"], buttons, tuple(raw.get("photos", ())), bool(raw.get("ask_location")),
                   str(raw.get("location_label") or ""), files)


@dataclass
class Outcome:
    """What handling one input produced."""

    replies: list[Say] = field(default_factory=list)
    notice: str | None = None  # short toast for a button press (Telegram answerCallbackQuery / VK snackbar)
    duplicate: bool = False  # the stored update was already handled (a redelivery): nothing to send
    later: bool = False  # an earlier update of this person is still waiting: handle that one first
    failed: bool = False  # handling failed; the person was asked to try again
    error: str | None = None  # the error class when handling failed
    commands: list[tuple[str, str]] | None = None  # the person's command menu, when their roles changed


@dataclass(frozen=True)
class StoredPhotos:
    """Photos already fetched, cleaned and stored (made from Photos before the transaction)."""

    photo_ids: tuple[int, ...]
    failed: int = 0
    bad: int = 0
