{%- set mssql = cookiecutter.database_backend == "mssql" -%}
{#- Python 3.12 writes generic functions as `def f[T](...)`. -#}
{%- set type_params = cookiecutter.python_version != "3.11" -%}
"""Queries on users: create, find, search, page through, and change many at once.

The repository works inside the caller's session and never commits: the caller
decides where a unit of work ends (usually `with get_session() as session:`).
Every value reaches the database as a bound parameter, never as SQL text.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from datetime import datetime
from typing import Any, NotRequired, TypedDict{% if not type_params %}, TypeVar{% endif %}, cast

from sqlalchemy import CursorResult, Update, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from .. import security
from ..errors import DuplicateError, ValidationError, translate
from ..infra.bulk import insert_rows
from ..models import Profile, User
from ..models.types import utc_now
from ..models.user import (
    EMAIL_MAX_LENGTH,
    USERNAME_KEY_MAX_LENGTH,
    USERNAME_MAX_LENGTH,
    username_key,
    validate_email,
    validate_password_hash,
    validate_username,
)
from ..validation import column_length, storable_text

{% if not type_params -%}
T = TypeVar("T")
{% endif -%}
#: The users table, as `insert_rows` takes it.
USERS = User.metadata.tables[User.__tablename__]
#: The most rows one page may ask for.
MAX_PAGE_SIZE = 500
#: The most ids one statement carries: Oracle refuses an IN list of more than
#: 1,000 values (ORA-01795), SQL Server a statement with more than 2,100
#: parameters (error 8003). Longer lists are sent in chunks of this size.
MAX_IDS_PER_STATEMENT = 1000
{%- if mssql %}
#: SQL Server's LIKE also reads `[` as a wildcard (`[a-c]` is one of a, b, c),
#: which `autoescape` leaves alone: `_like_literal` escapes it too.
LIKE_ESCAPE = "/"
_LIKE_SPECIAL = frozenset(LIKE_ESCAPE + "%_[")
{%- endif %}


class NewUser(TypedDict):
    """One row for `bulk_create`: the password is already hashed (e.g. imported).

    The hash must be Argon2id with parameters within bounds
    (`security.check_imported_hash`); import other hashes by asking their users
    to set a new password.
    """

    username: str
    email: str
    password_hash: str
    active: NotRequired[bool]


class UserRepository:
    """Data access for `User` rows, within one session."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def create(
        self, username: str, email: str, password: str, *, bio: str | None = None
    ) -> User:
        """Add a user (and a profile when `bio` is given) and flush it to get its id.

        Raises DuplicateError when the username or e-mail is taken; the
        session stays usable, since only a savepoint is rolled back.
        """
        user = User(username=username, email=email)
        user.set_password(password)
        if bio is not None:
            user.profile = Profile(bio=bio)
        self._flush_in_savepoint(
            lambda: self.session.add(user),
            f"username {user.username!r} or email {user.email!r} is already taken",
        )
        return user

    def get(self, user_id: int) -> User | None:
        """The user with this id, or None."""
        return self.session.get(User, user_id)

    def get_for_update(self, user_id: int) -> User | None:
        """The user with this id, its row locked until the transaction ends.

        Another unit of work that asks for the same lock waits, then reads the
        row as this one left it: for read-modify-write changes that must not
        fail (counters, balances). SQLite has no row locks; it lets one writer
        at a time in anyway.
        """
        return self.session.get(
            User, user_id, with_for_update=True, populate_existing=True
        )

    def get_by_username(self, username: str) -> User | None:
        """The user whose username normalises as `username` does, or None.

        "Ada", "ada" and "ada" in fullwidth letters find the same user
        (`username_key`).
        A username longer than the column holds is not looked up: no row can
        have it (and Oracle would refuse a bind over 4,000 bytes).
        """
        username = storable_text("username", username).strip()
        if column_length(username) > USERNAME_MAX_LENGTH:
            return None
        key = username_key(username)
        if column_length(key) > USERNAME_KEY_MAX_LENGTH:
            return None
        return self.session.scalar(select(User).where(User.username_key == key))

    def authenticate(self, username: str, password: str) -> User | None:
        """The active user with this username and password, or None.

        When no user has `username`, the password is still checked, against
        a dummy hash with the same parameters (`security.verify_dummy`), so the
        time the answer takes does not tell whether the username exists. A
        successful check may replace an outdated hash (`User.check_password`):
        commit to save it. Signing up still says when a username is taken (see
        the README on that trade-off).
        """
        try:
            user = self.get_by_username(username)
        except ValidationError:  # no such username can be stored
            user = None
        if user is None:
            security.verify_dummy(password)
            return None
        if user.check_password(password) and user.active:
            return user
        return None

    def get_by_email(self, email: str) -> User | None:
        """The user with this e-mail address (any letter case), or None.

        An address longer than the column holds is not looked up.
        """
        email = storable_text("email", email).lower()
        if column_length(email) > EMAIL_MAX_LENGTH:
            return None
        return self.session.scalar(select(User).where(User.email == email))

    def search(self, term: str, limit: int = 20) -> list[User]:
        """Users whose username or e-mail contains `term`, literally.
{%- if mssql %}

        `%`, `_` and `[` in `term` match themselves, not any text: they are
        escaped before the LIKE (`_like_literal`). A term longer than both
        columns finds nothing, without a query.
{%- else %}

        `%` and `_` in `term` match themselves, not any text: `autoescape`
        escapes them before the LIKE. A term longer than both columns finds
        nothing, without a query.
{%- endif %}
        """
        term = storable_text("search term", term)
        if column_length(term) > max(USERNAME_MAX_LENGTH, EMAIL_MAX_LENGTH):
            return []
        pattern = or_(
{%- if mssql %}
            User.username.contains(_like_literal(term), escape=LIKE_ESCAPE),
            User.email.contains(_like_literal(term.lower()), escape=LIKE_ESCAPE),
{%- else %}
            User.username.contains(term, autoescape=True),
            User.email.contains(term.lower(), autoescape=True),
{%- endif %}
        )
        statement = (
            select(User).where(pattern).order_by(User.id).limit(_page_size(limit))
        )
        return list(self.session.scalars(statement))

    def list_page(self, page: int = 1, per_page: int = 20) -> list[User]:
        """Page `page` (from 1) of all users by id, using OFFSET.

        Simple and lets a client jump to any page, but the database still reads
        every skipped row: deep pages get slower. Prefer `list_after`.
        """
        if page < 1:
            raise ValidationError(f"page must be 1 or more, got {page}")
        per_page = _page_size(per_page)
        statement = (
            select(User).order_by(User.id).offset((page - 1) * per_page).limit(per_page)
        )
        return list(self.session.scalars(statement))

    def list_after(self, after_id: int | None = None, limit: int = 20) -> list[User]:
        """The next `limit` users after id `after_id` (keyset, or "seek", pagination).

        Pass the last id of one page to get the next. The primary-key index
        finds the start directly, so every page costs the same.
        """
        statement = select(User).order_by(User.id).limit(_page_size(limit))
        if after_id is not None:
            statement = statement.where(User.id > after_id)
        return list(self.session.scalars(statement))

    def list_with_profiles(self, limit: int = 100) -> list[User]:
        """Users with their profiles loaded in the same query (no N+1 queries)."""
        statement = (
            select(User)
            .options(joinedload(User.profile))
            .order_by(User.id)
            .limit(_page_size(limit))
        )
        return list(self.session.scalars(statement))

    def list_usernames(self) -> list[str]:
        """Every username: selects one column instead of whole rows."""
        return list(self.session.scalars(select(User.username).order_by(User.username)))

    def count(self, *, active: bool | None = None) -> int:
        """How many users there are (only active or inactive ones, if asked)."""
        statement = select(func.count()).select_from(User)
        if active is not None:
            statement = statement.where(User.active == active)
        return self.session.execute(statement).scalar_one()

    def set_bio(self, user_id: int, bio: str) -> Profile:
        """Create or replace the profile text of a user; "" clears it (None)."""
        user = self.get(user_id)
        if user is None:
            raise ValidationError(f"no user with id {user_id}")
        if user.profile is None:
            user.profile = Profile(bio=bio)
        else:
            user.profile.bio = bio
        self.session.flush()
        return user.profile

    def delete(self, user_id: int) -> bool:
        """Delete a user (and the profile); False if there was none."""
        user = self.get(user_id)
        if user is None:
            return False
        self.session.delete(user)
        self.session.flush()
        return True

    def bulk_create(self, users: Iterable[NewUser]) -> int:
        """Insert many users at once; returns how many were inserted.

        The rows go by the driver's fastest path (`infra.bulk.insert_rows`:
        COPY on PostgreSQL, executemany elsewhere), without the ORM's per-row
        bookkeeping: many times faster than `session.add_all(objects)` for
        large loads. Every row gets the same created_at and updated_at, the
        time of the call. All rows go in, or none: a taken username or e-mail
        raises DuplicateError, and a row that is not valid (a `password_hash`
        that is not an Argon2id hash within bounds, for one) ValidationError.
        Rows are checked as they are sent: on PostgreSQL the server stores the
        earlier ones meanwhile, and the error undoes them.

        Each batch stays within the database's limit on parameters per
        statement: SQLAlchemy splits a multi-row INSERT at the dialect's
        maximum, and a driver's own executemany binds one row's parameters.
        """
        now = utc_now()
        rows = (_new_user_row(user, now) for user in users)  # checked as sent
        return self._flush_in_savepoint(
            lambda: insert_rows(self.session.connection(), USERS, rows),
            "a username or email in the batch is already taken",
        )

    def set_active(self, active: bool, user_ids: Collection[int] | None = None) -> int:
        """Activate or deactivate users; returns how many changed.

        Without `user_ids` it applies to every user, in one UPDATE. Ids are
        sent `MAX_IDS_PER_STATEMENT` at a time, one UPDATE each, in the
        caller's transaction. Objects already loaded in the session are not
        refreshed (`synchronize_session=False`), and the changed rows get a new
        version, so a stale copy cannot overwrite them.
        """
        statement = (
            update(User)
            .where(User.active != active)
            .values(active=active, version=User.version + 1)
        )
        if user_ids is None:
            return self._rows_changed(statement)
        ids = list(user_ids)
        return sum(
            self._rows_changed(
                statement.where(User.id.in_(ids[start : start + MAX_IDS_PER_STATEMENT]))
            )
            for start in range(0, len(ids), MAX_IDS_PER_STATEMENT)
        )

    def _rows_changed(self, statement: Update) -> int:
        result = self.session.execute(
            statement, execution_options={"synchronize_session": False}
        )
        return cast(CursorResult[Any], result).rowcount

    def _flush_in_savepoint{{ "[T]" if type_params }}(self, write: Callable[[], T], duplicate: str) -> T:
        # A savepoint keeps the caller's transaction alive after a refused
        # write; without it PostgreSQL aborts the whole transaction.
        try:
            with self.session.begin_nested():
                return write()
        except IntegrityError as error:
            translated = translate(error, self.session.get_bind().engine.url)
            if isinstance(translated, DuplicateError):
                translated.args = (duplicate,)
            raise translated from None


def _page_size(size: int) -> int:
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise ValidationError(f"page size must be 1 to {MAX_PAGE_SIZE}, got {size}")
    return size


def _new_user_row(user: NewUser, now: datetime) -> dict[str, Any]:
    username = validate_username(user["username"])
    return {
        "username": username,
        "username_key": username_key(username),
        "email": validate_email(user["email"]),
        "password_hash": security.check_imported_hash(
            validate_password_hash(user["password_hash"])
        ),
        "active": user.get("active", True),
        # Given here, the columns' defaults (a Python call per row) are skipped.
        "created_at": now,
        "updated_at": now,
        "version": 1,
    }
{%- if mssql %}


def _like_literal(text: str) -> str:
    """`text` with SQL Server's LIKE wildcards (and the escape) escaped."""
    return "".join(LIKE_ESCAPE + c if c in _LIKE_SPECIAL else c for c in text)
{%- endif %}
