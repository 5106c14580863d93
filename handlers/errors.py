"""Domain errors: raised by use cases with a message id and parameters, rendered by the dialogs (message)."""

from __future__ import annotations

import logging
from html import escape

log = logging.getLogger(__name__)


class DomainError(Exception):
    """A rule of the domain forbids the action; nothing was written. `code` is a catalog message id,
    `params` its placeholders (already escaped); message() renders it in the reader's language."""

    code = "error-failed"

    def __init__(self, code: str | None = None, **params: object) -> None:
        super().__init__(code or self.code)
        self.code = code or self.code
        self.params = params

    def __str__(self) -> str:
        """The Russian text (logs, the CLI); a code that is no catalog id (the CLI's own errors) as it is."""
        from handlers.i18n import DEFAULT, MissingMessage, t

        try:
            return t(DEFAULT, self.code, **self.params)
        except MissingMessage:
            return self.code


class IllegalTransition(DomainError):
    code = "error-status-changed"

    def __init__(self, current: str, target: str) -> None:
        super().__init__()
        self.current = current
        self.target = target

    def __str__(self) -> str:
        return f"signal cannot go from {self.current!r} to {self.target!r}"


class NotFound(DomainError):
    code = "error-not-found"


class Forbidden(DomainError):
    """The person lacks the role (checked in the database at the moment of the action)."""

    code = "error-forbidden"


class AlreadyHandled(DomainError):
    """Someone else already moved the item on; `by` names them when known."""

    def __init__(self, by: str | None = None) -> None:
        if by:
            super().__init__("error-already-handled-by", by=escape(by, quote=False))
        else:
            super().__init__("error-already-handled")
        self.by = by


class RateLimited(DomainError):
    code = "daily-limit"


def message(lang: str, exc: DomainError) -> str:
    """The one rendering of a refused action, for residents and staff alike."""
    from handlers.i18n import MissingMessage, t

    try:
        return t(lang, exc.code, **exc.params)
    except MissingMessage:  # a code meant for the CLI (handlers/roles.py) reached a dialog
        log.warning("domain error without a message: %s", exc.code)
        return t(lang, "error-failed")
