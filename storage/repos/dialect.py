"""The INSERT construct of the database in use (for ON CONFLICT clauses both databases speak)."""

from __future__ import annotations

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert


def insert_for(dialect: str):  # type: ignore[no-untyped-def]
    return pg_insert if dialect == "postgresql" else sqlite_insert
