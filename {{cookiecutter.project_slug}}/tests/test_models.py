{%- set timestamp = (cookiecutter | backend).timestamp_type -%}
{%- set zone = timestamp.zone if timestamp else none -%}
{%- set mssql = cookiecutter.database_backend == "mssql" -%}
"""Models: timestamps in UTC, the naming convention, what `to_dict` and `repr` show."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import inspect, select{% if zone == "sql" %}, update{% endif %}
{%- if zone == "sql" %}
from sqlalchemy.dialects import {{ cookiecutter.database_backend }}
{%- endif %}
from sqlalchemy.exc import StatementError
from sqlalchemy.orm import Session, sessionmaker

from {{ cookiecutter.package_name }}.errors import (
    ConcurrentUpdateError,
    ValidationError,
)
from {{ cookiecutter.package_name }}.infra.database import get_session
from {{ cookiecutter.package_name }}.models import Base, Profile, User


def make_user(session: Session, name: str = "ada") -> User:
    user = User(username=name, email=f"{name}@example.com")
    user.set_password("correct horse")
    session.add(user)
    session.flush()
    return user


def test_timestamps_are_timezone_aware_utc(db_session: Session) -> None:
    before = datetime.now(UTC)
    user = make_user(db_session)
    db_session.expire_all()  # read back from the database, not from memory
    loaded = db_session.get(User, user.id)
    assert loaded is not None
    assert loaded.created_at.tzinfo is UTC
    assert before - timedelta(seconds=1) <= loaded.created_at <= datetime.now(UTC)


def test_timestamps_keep_microseconds(db_session: Session) -> None:
    user = make_user(db_session)
    moment = datetime(2030, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)
    user.created_at = moment
    db_session.flush()
    db_session.expire_all()
    assert db_session.scalar(select(User.created_at)) == moment


def test_other_time_zones_are_stored_as_utc(db_session: Session) -> None:
    user = make_user(db_session)
    user.created_at = datetime(2030, 1, 1, 12, 0, tzinfo=timezone(timedelta(hours=2)))
    db_session.flush()
    db_session.expire_all()
    assert db_session.scalar(select(User.created_at)) == datetime(
        2030, 1, 1, 10, 0, tzinfo=UTC
    )


{%- if zone == "sql" %}


def test_the_database_converts_timestamps_to_and_from_utc() -> None:
    """python-oracledb drops a datetime's time zone: the SQL does the converting."""
    dialect = {{ cookiecutter.database_backend }}.dialect()  # type: ignore[no-untyped-call]
    moment = datetime(2030, 1, 1, 12, 0, tzinfo=timezone(timedelta(hours=2)))
    write = update(User).values(updated_at=moment).compile(dialect=dialect)
    assert "from_tz(CAST(:updated_at AS TIMESTAMP), '+00:00')" in str(write)
    read = select(User.created_at).compile(dialect=dialect)
    assert "sys_extract_utc(users.created_at)" in str(read)
{%- endif %}


def test_naive_datetimes_are_refused(db_session: Session) -> None:
    user = make_user(db_session)
    user.created_at = datetime(2030, 1, 1)  # no time zone: refused
    with pytest.raises(StatementError, match="naive datetime"):
        db_session.flush()


def test_updated_at_changes_on_update(db_session: Session) -> None:
    user = make_user(db_session)
    created = user.updated_at
    user.active = False
    db_session.flush()
    assert user.updated_at > created


def test_to_dict_leaves_out_the_password_hash(db_session: Session) -> None:
    user = make_user(db_session)
    data = user.to_dict()
    assert set(data) == {
        "id",
        "created_at",
        "updated_at",
        "username",
        "email",
        "active",
    }
    assert data["username"] == "ada"
    assert datetime.fromisoformat(data["created_at"]).tzinfo is not None
    assert user.password_hash not in repr(user)
    assert user.password_hash not in str(data)


def test_email_is_stored_in_lower_case(db_session: Session) -> None:
    user = User(username="grace", email="  Grace@Example.COM ", password_hash="x")
    assert user.email == "grace@example.com"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("username", ""),
        ("username", "   "),
        ("username", "x" * 101),
        ("username", "nul\x00byte"),
        ("email", "not-an-address"),
        ("email", "two words@example.com"),
        ("email", "@example.com"),
    ],
)
def test_invalid_values_are_refused(field: str, value: str) -> None:
    with pytest.raises(ValidationError, match=field):
        User(**{field: value})


EMOJI = "\N{GRINNING FACE}"  # outside the Basic Multilingual Plane
{%- if mssql %}
#: SQL Server's NVARCHAR(100) holds 100 UTF-16 code units: 50 emoji (2 each).
EMOJI_IN_100 = 50
LENGTH_UNIT = "UTF-16 code units"
{%- else %}
#: A 100-character column holds 100 characters (code points), emoji included.
EMOJI_IN_100 = 100
LENGTH_UNIT = "characters"
{%- endif %}


def test_lengths_are_counted_as_the_column_counts_them() -> None:
    assert User(username="ü" * 100).username == "ü" * 100
    assert User(username=EMOJI * EMOJI_IN_100).username == EMOJI * EMOJI_IN_100
    assert Profile(bio=EMOJI * EMOJI_IN_100 * 10).bio == EMOJI * EMOJI_IN_100 * 10
    too_long = f"username is longer than 100 {LENGTH_UNIT}"
    with pytest.raises(ValidationError, match=too_long):
        User(username=EMOJI * (EMOJI_IN_100 + 1))
    with pytest.raises(ValidationError, match=f"bio is longer than 1000 {LENGTH_UNIT}"):
        Profile(bio=EMOJI * (EMOJI_IN_100 * 10 + 1))


@pytest.mark.parametrize("empty", ["", None])
def test_an_empty_bio_is_none(empty: str | None) -> None:
    """Oracle stores "" as NULL: every database stores no bio instead."""
    assert Profile(bio=empty).bio is None


def test_an_empty_password_hash_is_refused() -> None:
    """Oracle would store "" as NULL, refused by the NOT NULL column (ORA-01400)."""
    with pytest.raises(ValidationError, match="password_hash must not be empty"):
        User(username="ada", email="ada@example.com", password_hash="")


def test_constraints_follow_the_naming_convention() -> None:
    users = Base.metadata.tables["users"]
    names = {constraint.name for constraint in users.constraints}
    assert {"pk_users", "uq_users_username", "uq_users_email"} <= names
    profiles = Base.metadata.tables["profiles"]
    names = {constraint.name for constraint in profiles.constraints}
    assert {"pk_profiles", "uq_profiles_user_id", "fk_profiles_user_id_users"} <= names


def test_profile_is_deleted_with_its_user(db_session: Session) -> None:
    user = make_user(db_session)
    user.profile = Profile(bio="hello")
    db_session.flush()
    db_session.delete(user)
    db_session.flush()
    assert db_session.scalar(select(Profile)) is None
    assert inspect(user).deleted


def test_a_stale_copy_cannot_overwrite_a_newer_change(
    session_factory: sessionmaker[Session],
) -> None:
    """Optimistic locking: the later of two writers fails instead of overwriting."""
    with get_session() as session:
        user_id = make_user(session, "contested").id
    with get_session() as session:
        stale = session.get(User, user_id)  # read at version 1, kept after close
    assert stale is not None
    with get_session() as session:
        fresh = session.get(User, user_id)
        assert fresh is not None
        fresh.email = "newer@example.com"  # saved as version 2

    def overwrite_with_the_stale_copy() -> None:
        with get_session() as session:
            session.add(stale)
            stale.email = "older@example.com"

    with pytest.raises(ConcurrentUpdateError):
        overwrite_with_the_stale_copy()
    with get_session() as session:  # run the unit of work again: it reads version 2
        current = session.get(User, user_id)
        assert current is not None
        assert (current.email, current.version) == ("newer@example.com", 2)
        current.active = False
    with session_factory() as check:
        final = check.get(User, user_id)
        assert final is not None
        assert (final.email, final.active) == ("newer@example.com", False)
        assert final.version == 3
