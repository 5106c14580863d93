"""Which database failures are worth retrying (a restart, a lost connection, a lock) and which are not."""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

# PostgreSQL SQLSTATEs of failures that a later attempt of the same transaction can get past.
TRANSIENT_SQLSTATES = {
    "40001",  # serialization_failure
    "40P01",  # deadlock_detected
    "55P03",  # lock_not_available (lock_timeout)
    "57014",  # query_canceled (statement_timeout)
    "57P01", "57P02", "57P03",  # admin_shutdown, crash_shutdown, cannot_connect_now
    "53300",  # too_many_connections
}
TRANSIENT_SQLSTATE_CLASSES = {"08"}  # connection exceptions
SQLITE_TRANSIENT = ("database is locked", "database table is locked", "busy")


def is_transient(exc: BaseException) -> bool:
    """True for a database restart, a dropped connection, a lock or serialization conflict; False for bad
    data and bugs (retrying those would fail the same way)."""
    if isinstance(exc, (ConnectionError, TimeoutError)):
        return True
    if isinstance(exc, OSError) and not isinstance(exc, DBAPIError):
        return True  # the driver could not reach the server at all
    if not isinstance(exc, DBAPIError):
        return False
    if exc.connection_invalidated:
        return True
    orig = exc.orig
    state = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    if state:
        return state in TRANSIENT_SQLSTATES or state[:2] in TRANSIENT_SQLSTATE_CLASSES
    if isinstance(orig, (ConnectionError, TimeoutError, OSError)):
        return True
    message = str(orig).lower()
    if isinstance(exc, OperationalError):
        # SQLite reports locks and I/O trouble as OperationalError; asyncpg's lost connections land here too
        return any(m in message for m in SQLITE_TRANSIENT) or "connection" in message or "closed" in message
    return isinstance(exc, InterfaceError) and ("connection" in message or "closed" in message)


def error_class(exc: BaseException) -> str:
    """What went wrong, for the inbox and the metrics, without the message (it may quote personal data)."""
    orig = getattr(exc, "orig", None)
    inner = f"/{type(orig).__name__}" if orig is not None else ""
    return f"{type(exc).__module__.split('.')[0]}.{type(exc).__name__}{inner}"[:200]
