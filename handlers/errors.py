"""Domain errors: raised by use cases, turned into polite replies by the dialogs."""


class DomainError(Exception):
    """A rule of the domain forbids the action; nothing was written."""


class IllegalTransition(DomainError):
    def __init__(self, current: str, target: str) -> None:
        super().__init__(f"signal cannot go from {current!r} to {target!r}")
        self.current = current
        self.target = target


class NotFound(DomainError):
    pass


class Forbidden(DomainError):
    """The person lacks the role (checked in the database at the moment of the action)."""


class AlreadyHandled(DomainError):
    """Someone else already moved the item on; `by` names them when known."""

    def __init__(self, by: str | None = None) -> None:
        super().__init__(f"already handled by {by}" if by else "already handled")
        self.by = by


class RateLimited(DomainError):
    pass
