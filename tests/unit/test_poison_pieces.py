"""Pieces that keep poison inputs harmless: signature checks that never raise, text cleaning, error classes."""

from __future__ import annotations

import sqlite3

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from handlers.callbacks import sign, verify
from handlers.normalize import clean_input, clean_text
from handlers.types import Command, Location, Text, Unsupported
from storage.errors import error_class, is_transient

KEY = b"k"


@given(st.one_of(st.text(max_size=80), st.binary(max_size=64).map(lambda b: b.decode("utf-8", "replace")),
                 st.none(), st.integers(), st.lists(st.text())))
def test_verify_never_raises_and_accepts_only_our_signature(data):
    assert verify(KEY, "telegram", 1, data) is None or data == sign(KEY, "telegram", 1, data.rpartition("|")[0])


def test_verify_round_trip_and_non_ascii_forgeries():
    signed = sign(KEY, "vk", 5, "cat:3")
    assert verify(KEY, "vk", 5, signed) == "cat:3"
    assert verify(KEY, "vk", 6, signed) is None
    for forged in ("ёж|" + "x" * 12, "cat:3|ёжик", "\ud800|abc", "cat:3|\x00" * 3):
        assert verify(KEY, "vk", 5, forged) is None


@given(st.text(alphabet=st.characters(codec=None, exclude_categories=())))
def test_clean_text_has_no_controls_or_surrogates_and_is_stable(text):
    cleaned = clean_text(text)
    assert not any(ord(c) < 32 and c not in "\n\t" or 0x7F <= ord(c) <= 0x9F for c in cleaned)
    assert not any(0xD800 <= ord(c) <= 0xDFFF for c in cleaned)
    cleaned.encode("utf-8")  # always encodable, so PostgreSQL and SQLite store the same thing
    assert clean_text(cleaned) == cleaned


def test_clean_input_examples():
    assert clean_input(Text("Яма\x00 у дома\r\n5")) == Text("Яма у дома\n5")
    assert clean_input(Text("\x00\x01")) == Unsupported("other")
    assert clean_input(Text("е\u0308")) == Text("ё")  # NFC
    assert clean_input(Command("new\x00", "a\x07b")) == Command("new", "ab")
    assert clean_input(Location(float("nan"), 50.0)) == Unsupported("other")


def _wrapped(orig: BaseException, cls=DBAPIError, invalidated: bool = False) -> DBAPIError:
    return cls("INSERT ...", {}, orig, connection_invalidated=invalidated)


class _PgError(Exception):
    def __init__(self, sqlstate: str) -> None:
        super().__init__("x")
        self.sqlstate = sqlstate


def test_transient_errors_are_told_from_bad_data_and_bugs():
    assert is_transient(_wrapped(sqlite3.OperationalError("database is locked"), OperationalError))
    assert is_transient(_wrapped(_PgError("40001")))  # serialization failure
    assert is_transient(_wrapped(_PgError("08006")))  # connection failure
    assert is_transient(_wrapped(_PgError("57P01")))  # admin shutdown (a restart)
    assert is_transient(_wrapped(Exception("gone"), invalidated=True))
    assert is_transient(ConnectionRefusedError())
    assert not is_transient(_wrapped(_PgError("22021")))  # character not in repertoire (a NUL)
    assert not is_transient(_wrapped(_PgError("23505"), IntegrityError))
    assert not is_transient(_wrapped(sqlite3.OperationalError("no such table: x"), OperationalError))
    assert not is_transient(RuntimeError("bug"))
    assert not is_transient(TypeError("comparing strings with non-ASCII characters is not supported"))


def test_error_class_names_the_class_never_the_message():
    assert error_class(RuntimeError("Иван Петров, ул. Ленина")) == "builtins.RuntimeError"
    assert error_class(_wrapped(_PgError("22021"))) == "sqlalchemy.DBAPIError/_PgError"
