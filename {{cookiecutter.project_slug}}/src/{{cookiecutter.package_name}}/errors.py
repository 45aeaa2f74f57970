{%- set db = cookiecutter | backend -%}
"""The project's own database errors: what callers catch instead of driver errors.

Drivers report the same problem in different ways (a SQLSTATE, an error number,
an ORA- code). `translate()` turns SQLAlchemy's errors into these classes by
what happened (`error_codes.classify`), so code above the data layer never
depends on which database is underneath, and `execute_with_retry` knows what
is worth running again: `DatabaseConnectionError` and `TransientError`.

The driver's error is not chained to the project's (`raise ... from None`):
a server's message can quote the row it refused, and PostgreSQL's "Failing
row contains (...)" quotes all of it, password hash included, into every log
that formats the exception. What is useful stays, as attributes and in the
message: the error's code, and the constraint, table and column it names
(`error_codes.details`). The traceback still reaches the failing statement.
"""

from __future__ import annotations

from sqlalchemy import URL
from sqlalchemy.exc import DBAPIError, IntegrityError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.orm.exc import StaleDataError

from .error_codes import Details, classify, details


class DataLayerError(Exception):
    """Base class of every error the data layer raises on purpose."""

    #: Set by `translate()`: the database's code for the error (SQLSTATE,
    #: error number, ORA- code, SQLite result code) and the constraint, table
    #: and column it names, where the driver gives them.
    code: str | None = None
    constraint: str | None = None
    table: str | None = None
    column: str | None = None


class ValidationError(DataLayerError, ValueError):
    """A value was refused before it reached the database."""
{%- if db.analytics %}


{% filter trim %}{% include "analytics/errors.py" %}{% endfilter %}
{%- endif %}


class DuplicateError(DataLayerError):
    """A row with the same unique value (username, e-mail, ...) already exists."""


class ConstraintError(DataLayerError):
    """The database refused a write that breaks a constraint other than uniqueness."""


class DatabaseConnectionError(DataLayerError):
    """The database could not be reached, or dropped the connection. Worth retrying.

    The message names the server by its URL, with the password masked as ***.
    """

    def __init__(self, url: URL, reason: str, attempts: int = 1) -> None:
        where = url.render_as_string(hide_password=True)
        tries = f" after {attempts} attempts" if attempts > 1 else ""
        super().__init__(f"cannot reach the database at {where}{tries}: {reason}")
        self.url = url
        self.reason = reason
        self.attempts = attempts


class TransientError(DataLayerError):
    """The database gave up the transaction to let another one through: a
    deadlock, a lock wait longer than DB_LOCK_TIMEOUT, a serialization failure.

    Nothing of the transaction was kept. Running the whole unit of work again
    usually succeeds; `execute_with_retry` does.
    """


class QueryTimeoutError(DataLayerError):
    """A statement ran longer than DB_STATEMENT_TIMEOUT and was stopped.

    Not retried: running a slow statement again only doubles the wait.
    """


class SchemaError(DataLayerError):
    """A table, column or database the code expects does not exist: usually
    migrations that were not run (`alembic upgrade head`), or a wrong DB_NAME."""


class AccessDeniedError(DataLayerError):
    """The server refused the login, or a permission the statement needs."""


class CommitOutcomeUnknownError(DataLayerError):
    """The connection was lost after COMMIT was sent, before the server answered.

    The transaction may or may not have been committed: only the database
    knows. Running the work again could write it twice, so this error is never
    retried (it is not a `DatabaseConnectionError`). Find out what happened
    (look the row up by its natural key, or by an idempotency key the work
    stored), then decide.
    """

    def __init__(self, url: URL) -> None:
        where = url.render_as_string(hide_password=True)
        super().__init__(
            f"the connection to {where} was lost after COMMIT was sent: the "
            "transaction may or may not have been committed; check before "
            "running it again"
        )


class ConcurrentUpdateError(DataLayerError):
    """Another unit of work changed or deleted the row since this one read it.

    Rows carry a version number that every UPDATE checks and raises, so the
    later of two writers fails instead of silently overwriting the earlier.
    Run the whole unit of work again: it then reads the current row.
    """


class PoolExhaustedError(DataLayerError):
    """Every pooled connection stayed busy for DB_POOL_TIMEOUT seconds."""


def is_duplicate_key(error: IntegrityError) -> bool:
    """Whether the database refused a row because a unique value is taken."""
    return classify(error.orig) == "duplicate"


def translate(error: SQLAlchemyError, url: URL) -> DataLayerError:
    """The project's error for a SQLAlchemy error raised while talking to `url`.

    Raise it `from None`: it carries `error`'s traceback (where the statement
    failed) and details, but not the driver's message about the data.
    """
    facts = details(error.orig) if isinstance(error, DBAPIError) else Details()
    problem = _translate(error, url, facts)
    problem.code, problem.constraint = facts.code, facts.constraint
    problem.table, problem.column = facts.table, facts.column
    return problem.with_traceback(error.__traceback__)


def _translate(error: SQLAlchemyError, url: URL, facts: Details) -> DataLayerError:
    if isinstance(error, PoolTimeoutError):
        where = url.render_as_string(hide_password=True)
        return PoolExhaustedError(
            f"no free connection to {where}: DB_POOL_SIZE + DB_MAX_OVERFLOW "
            "connections stayed busy for DB_POOL_TIMEOUT seconds"
        )
    if isinstance(error, StaleDataError):
        return ConcurrentUpdateError(
            "the row was changed or deleted by another unit of work since it "
            f"was read: {error}"
        )
    # The server's own words, for what is about the server, not the data: a
    # refused login, a missing table, a deadlock. Messages about a refused or
    # unclassified statement can quote values, so these name only `facts`.
    reason = first_line(error)
    kind = classify(error.orig) if isinstance(error, DBAPIError) else None
    named = _described(error, facts)
    if kind == "duplicate":
        return DuplicateError(f"a row with the same unique value already exists{named}")
    if kind == "constraint" or (kind is None and isinstance(error, IntegrityError)):
        return ConstraintError(f"the database refused the write{named}")
    if kind == "connection" or (
        kind is None and isinstance(error, DBAPIError) and error.connection_invalidated
    ):
        return DatabaseConnectionError(url, reason)
    if kind == "transient":
        return TransientError(f"the transaction was given up, run it again: {reason}")
    if kind == "timeout":
        return QueryTimeoutError(f"the statement took too long: {reason}")
    if kind == "schema":
        return SchemaError(f"{reason} (are the migrations applied? alembic upgrade)")
    if kind == "no_database":
        return SchemaError(f"{reason} (create it, or check DB_NAME / DATABASE_URL)")
    if kind == "access":
        return AccessDeniedError(f"the database refused access: {reason}")
    if isinstance(error, DBAPIError):
        return DataLayerError(f"database error{named}")
    return DataLayerError(f"database error: {reason}")


def _described(error: SQLAlchemyError, facts: Details) -> str:
    """The driver's class, the code and the names, no value: e.g.
    " (IntegrityError 1062: constraint uq_users_email)"."""
    source = error.orig if isinstance(error, DBAPIError) else error
    names = ", ".join(
        f"{label} {value}"
        for label, value in zip(facts._fields[1:], facts[1:], strict=True)
        if value
    )
    code = f" {facts.code}" if facts.code else ""
    return f" ({type(source).__name__}{code}{': ' if names else ''}{names})"


def first_line(error: SQLAlchemyError) -> str:
    """The driver's own message, first line only (no SQL, no parameters).

    For messages about the server (a login, a missing table, a lost
    connection): a refused statement's first line can quote a value (MySQL's
    "Duplicate entry 'ada'", SQL Server's "The duplicate key value is (ada)").
    """
    source = error.orig if isinstance(error, DBAPIError) else error
    lines = str(source).strip().splitlines()
    return lines[0] if lines else type(source).__name__
