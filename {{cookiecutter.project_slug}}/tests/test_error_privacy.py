"""The project's errors keep stored values out of logs.

A server's message about a refused write can quote the row: PostgreSQL's
"DETAIL: Failing row contains (...)" holds every column, the password hash
included, and MySQL's "Duplicate entry '...'" the value. The project's errors
do not chain the driver's error, and name only the code, the constraint, the
table and the column: formatted as a traceback or logged with `exc_info`,
they show no stored value. Each case writes through `get_session()`, next to a
stored user with a real Argon2 hash, the way the application would.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import (
    CheckConstraint,
    Column,
    Connection,
    MetaData,
    String,
    Table,
    insert,
)
from sqlalchemy.orm import Session

from {{ cookiecutter.package_name }} import security
{%- if cookiecutter.database_backend == "mysql" %}
from {{ cookiecutter.package_name }}.error_codes import Details, details
{%- endif %}
from {{ cookiecutter.package_name }}.errors import (
    ConstraintError,
    DataLayerError,
    DuplicateError,
)
from {{ cookiecutter.package_name }}.infra.database import get_session
from {{ cookiecutter.package_name }}.models import Profile, User
from {{ cookiecutter.package_name }}.models.user import username_key

STORED = {
    "username": "stored-ada-7f3e",
    "email": "stored-ada-7f3e@example.com",
    "password": "stored password 7f3e",
}
#: Values the failing writes send. Named, not written out where they are
#: used: a traceback quotes the source lines of the test (Python 3.13 the
#: whole statement), which must not count as the error showing them.
NEW_NAME = "new-bob-91c2"
PRIVATE_BIO = "private bio 7f3e"
MISSING_ID = 987654321
#: A table made for the CHECK case (temporary: gone with the connection).
CHECKED = Table(
    "privacy_checked",
    MetaData(),
    Column("secret", String(255)),
    CheckConstraint("length(secret) < 20", name="ck_privacy_short"),
    prefixes=["TEMPORARY"],
)


@pytest.fixture
def stored(db_session: Session) -> dict[str, str]:
    """A committed-looking user whose values must not appear in any error."""
    password_hash = security.hash_password(STORED["password"])
    assert password_hash.startswith("$argon2id$")
    db_session.add(
        User(
            username=STORED["username"],
            email=STORED["email"],
            password_hash=password_hash,
        )
    )
    db_session.flush()
    return {**STORED, "password_hash": password_hash}


def row(values: dict[str, str], **changes: Any) -> dict[str, Any]:
    """A users row with `values`' username, e-mail and hash, then `changes`."""
    keys = ("username", "email", "password_hash")
    given = {**{key: values[key] for key in keys}, **changes}
    return {**given, "username_key": username_key(given["username"])}


def refused(write: Callable[[Session], object]) -> DataLayerError:
    """The project's error `get_session()` raises for `write`."""
    with pytest.raises(DataLayerError) as raised, get_session() as session:
        write(session)
    return raised.value


class Recorder(logging.Handler):
    """Keeps each record as a formatted line, traceback included."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


def shown(error: BaseException) -> str:
    """`error` as a traceback and as `logging` writes it with exc_info."""
    logger = logging.getLogger("privacy-test")
    recorder = Recorder()
    logger.addHandler(recorder)
    try:
        logger.error("the write failed", exc_info=error)
    finally:
        logger.removeHandler(recorder)
    assert recorder.lines
    return "".join(traceback.format_exception(error)) + "\n".join(recorder.lines)


def assert_private(error: DataLayerError, values: dict[str, str]) -> str:
    text = shown(error)
    for name, value in values.items():
        assert value not in text, (name, text)
    assert error.__cause__ is None
    assert error.__suppress_context__
    assert "in <lambda>" in text  # the traceback still reaches the write
    return text


def test_not_null_violation_shows_the_column_not_the_row(
    stored: dict[str, str], db_session: Session
) -> None:
    error = refused(
        lambda session: session.execute(
            insert(User).values(row(stored, username=NEW_NAME, email=None))
        )
    )
    assert type(error) is ConstraintError
    text = assert_private(error, {**stored, "new": NEW_NAME})
    assert error.column == "email"
    assert "column email" in text


def test_duplicate_shows_the_constraint_not_the_stored_row(
    stored: dict[str, str], db_session: Session
) -> None:
    other_hash = security.hash_password("other password 91c2")
    error = refused(
        lambda session: session.execute(
            insert(User).values(
                row(stored, email="other-91c2@example.com", password_hash=other_hash)
            )
        )
    )
    assert type(error) is DuplicateError
    assert_private(error, {**stored, "other_hash": other_hash})
    assert "username" in f"{error.constraint} {error.column}"


def test_foreign_key_violation_shows_no_value(
    stored: dict[str, str], db_session: Session
) -> None:
    error = refused(
        lambda session: session.execute(
            insert(Profile).values(user_id=MISSING_ID, bio=PRIVATE_BIO)
        )
    )
    assert type(error) is ConstraintError
    assert_private(error, {**stored, "bio": PRIVATE_BIO, "id": str(MISSING_ID)})
    if db_session.get_bind().dialect.name != "sqlite":  # SQLite names none
        assert error.constraint == "fk_profiles_user_id_users"


def test_check_violation_shows_the_constraint_not_the_value(
    stored: dict[str, str], db_session: Session
) -> None:
    connection: Connection = db_session.connection()
    CHECKED.create(connection)  # rolled back with the test's transaction
{%- if cookiecutter.database_backend == "mysql" %}
    try:
        error = refused(
            lambda session: session.execute(
                insert(CHECKED).values(secret=stored["password_hash"])
            )
        )
    finally:
        # MySQL keeps a temporary table until the connection closes, and a
        # plain DROP TABLE would commit the test's transaction (the SQLite
        # fallback drops it with the rollback).
        if connection.dialect.name == "mysql":
            connection.exec_driver_sql("DROP TEMPORARY TABLE privacy_checked")
{%- else %}
    error = refused(
        lambda session: session.execute(
            insert(CHECKED).values(secret=stored["password_hash"])
        )
    )
{%- endif %}
    assert type(error) is ConstraintError
    assert_private(error, stored)
    assert error.constraint == "ck_privacy_short"
    assert "ck_privacy_short" in str(error)


{%- if cookiecutter.database_backend == "mysql" %}


@pytest.mark.parametrize(
    ("number", "message", "names"),
    [
        (
            1062,
            "Duplicate entry 'a' for key 'fake'' for key 'uq_users_username'",
            {"constraint": "uq_users_username"},
        ),
        (
            1062,
            "Duplicate entry 'a' for key 'users.uq_users_email'",
            {"constraint": "users.uq_users_email"},
        ),
        (
            1366,
            "Incorrect string value: '\\xF0 for column 'fake' at row 1' for column"
            " `app`.`users`.`username` at row 1",
            {"column": "username"},
        ),
        (1406, "Data too long for column 'username' at row 1", {"column": "username"}),
        (1048, "Column 'email' cannot be null", {"column": "email"}),
        (
            3819,
            "Check constraint 'ck_users_x' is violated.",
            {"constraint": "ck_users_x"},
        ),
        (
            4025,
            "CONSTRAINT `ck_users_x` failed for `app`.`users`",
            {"constraint": "ck_users_x", "table": "users"},
        ),
    ],
)
def test_mysql_names_are_read_after_the_value(
    number: int, message: str, names: dict[str, str]
) -> None:
    """MySQL's and MariaDB's messages quote the value before the names: a
    value that looks like a name is not taken for one."""
    import pymysql

    assert details(pymysql.err.IntegrityError(number, message)) == Details(
        str(number), **names
    )
{%- endif %}
