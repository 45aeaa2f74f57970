{%- set backend = cookiecutter.database_backend -%}
{%- set db_server = cookiecutter._backends[backend].server -%}
"""Errors are classified by what happened, from each driver's own codes.

Each case is the exception the driver raises (made here, or provoked on
SQLite); `translate()` must give the project's error for it, and
`execute_with_retry` must run the unit of work again exactly when that error
is worth retrying.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
{%- if backend == "oracle" %}
from types import SimpleNamespace
{%- endif %}
{%- if db_server %}
from typing import Any
{%- endif %}

import pytest
from sqlalchemy import make_url
from sqlalchemy.exc import DBAPIError

from {{ cookiecutter.package_name }}.errors import (
    AccessDeniedError,
    ConstraintError,
    DatabaseConnectionError,
    DataLayerError,
    DuplicateError,
    QueryTimeoutError,
    SchemaError,
    TransientError,
    translate,
)
from {{ cookiecutter.package_name }}.infra.database import execute_with_retry

URL = make_url("{{ cookiecutter._backends[backend].drivername }}://app:s3cret@db.example/orders")
RETRIED = (DatabaseConnectionError, TransientError)


def sqlite_error(*statements: str, uri: str = ":memory:") -> Exception:
    """What sqlite3 raises for the last of `statements`."""
    connection = sqlite3.connect(uri, uri=uri.startswith("file:"))
    connection.execute("PRAGMA foreign_keys = ON")
    try:
        for statement in statements:
            connection.execute(statement)
    except sqlite3.Error as error:
        return error
    finally:
        connection.close()
    raise AssertionError("no error")


def sqlite_interrupted() -> Exception:
    """What sqlite3 raises for a statement its progress handler stops."""
    connection = sqlite3.connect(":memory:")
    connection.set_progress_handler(lambda: 1, 1)
    try:
        connection.execute("SELECT 1")
    except sqlite3.Error as error:
        return error
    finally:
        connection.close()
    raise AssertionError("no error")


def sqlite_read_only(folder: Path) -> Exception:
    """What sqlite3 raises for a write through a read-only connection."""
    path = folder / "read-only.db"
    sqlite3.connect(path).execute("CREATE TABLE t (x)").connection.close()
    return sqlite_error("INSERT INTO t VALUES (1)", uri=f"file:{path}?mode=ro")


#: name: (how to make the driver's exception, the project's error for it)
CASES: dict[str, tuple[Callable[[Path], Exception], type[DataLayerError]]] = {
    "sqlite duplicate": (
        lambda _: sqlite_error(
            "CREATE TABLE t (x UNIQUE)",
            "INSERT INTO t VALUES (1)",
            "INSERT INTO t VALUES (1)",
        ),
        DuplicateError,
    ),
    "sqlite not null": (
        lambda _: sqlite_error(
            "CREATE TABLE t (x NOT NULL)", "INSERT INTO t VALUES (NULL)"
        ),
        ConstraintError,
    ),
    "sqlite foreign key": (
        lambda _: sqlite_error(
            "CREATE TABLE p (id INTEGER PRIMARY KEY)",
            "CREATE TABLE c (p INTEGER REFERENCES p (id))",
            "INSERT INTO c VALUES (7)",
        ),
        ConstraintError,
    ),
    "sqlite missing table": (
        lambda _: sqlite_error("SELECT * FROM nowhere"),
        SchemaError,
    ),
    "sqlite missing column": (
        lambda _: sqlite_error("CREATE TABLE t (x)", "SELECT y FROM t"),
        SchemaError,
    ),
    "sqlite interrupted": (lambda _: sqlite_interrupted(), QueryTimeoutError),
    "sqlite read-only": (sqlite_read_only, AccessDeniedError),
    "sqlite file cannot be opened": (
        lambda _: sqlite_error("ATTACH DATABASE '/nonexistent/folder/x.db' AS other"),
        DatabaseConnectionError,
    ),
}
{%- if db_server %}


def without_folder(
    make: Callable[..., Exception], *args: Any
) -> Callable[[Path], Exception]:
    """A case maker that calls `make(*args)` and needs no folder."""
    return lambda _folder: make(*args)
{%- endif %}
{%- if backend == "postgresql" %}


def psycopg_error(sqlstate: str | None) -> Exception:
    """psycopg's exception for `sqlstate`; None: the server never answered."""
    import psycopg

    if sqlstate is None:
        return psycopg.OperationalError("connection failed: Connection refused")
    if sqlstate.startswith("FATAL"):  # a refused connection: only the message
        return psycopg.OperationalError(f"connection failed: ...: {sqlstate}")
    return psycopg.errors.lookup(sqlstate)(f"error {sqlstate}")


POSTGRESQL_CASES: list[tuple[str | None, type[DataLayerError]]] = [
    ("23505", DuplicateError),  # unique_violation
    ("23503", ConstraintError),  # foreign_key_violation
    ("40001", TransientError),  # serialization_failure
    ("40P01", TransientError),  # deadlock_detected
    ("55P03", TransientError),  # lock_not_available
    ("57014", QueryTimeoutError),  # query_canceled
    ("42703", SchemaError),  # undefined_column
    ("42P01", SchemaError),  # undefined_table
    ("42501", AccessDeniedError),  # insufficient_privilege
    ("28P01", AccessDeniedError),  # invalid_password
    ("08006", DatabaseConnectionError),  # connection_failure
    ("57P01", DatabaseConnectionError),  # admin_shutdown
    (None, DatabaseConnectionError),  # no answer at all
    ('FATAL:  password authentication failed for user "app"', AccessDeniedError),
    ('FATAL:  role "app" does not exist', AccessDeniedError),
    ('FATAL:  database "orders" does not exist', SchemaError),
]
for _code, _expected in POSTGRESQL_CASES:
    CASES[f"postgresql {_code}"] = (without_folder(psycopg_error, _code), _expected)
{%- elif backend == "mysql" %}


def pymysql_error(number: int) -> Exception:
    """PyMySQL's exception for error `number`: OperationalError, as PyMySQL raises most."""
    import pymysql

    return pymysql.err.OperationalError(number, f"error {number}")


MYSQL_CASES: list[tuple[int, type[DataLayerError]]] = [
    (1062, DuplicateError),  # duplicate entry
    (1452, ConstraintError),  # foreign key
    (1205, TransientError),  # lock wait timeout
    (1213, TransientError),  # deadlock
    (1969, QueryTimeoutError),  # max_statement_time (MariaDB)
    (1054, SchemaError),  # unknown column
    (1146, SchemaError),  # no such table
    (1045, AccessDeniedError),  # wrong password
    (2003, DatabaseConnectionError),  # cannot connect
    (2013, DatabaseConnectionError),  # lost connection
]
for _number, _expected in MYSQL_CASES:
    CASES[f"mysql {_number}"] = (without_folder(pymysql_error, _number), _expected)
{%- elif backend == "mssql" %}


def pyodbc_error(sqlstate: str, number: int | None) -> Exception:
    """pyodbc's exception: the SQLSTATE, and the server's number in the message."""
    pyodbc = pytest.importorskip(
        "pyodbc",
        reason="pyodbc needs unixODBC (libodbc.so.2), e.g. apt-get install unixodbc",
        exc_type=ImportError,
    )
    where = f" ({number})" if number is not None else ""
    message = f"[{sqlstate}] [Microsoft][ODBC Driver 18 for SQL Server]x{where} (SQLExecDirectW)"
    error: Exception = pyodbc.Error(sqlstate, message)
    return error


def pymssql_error(number: int) -> Exception:
    """pymssql's exception: the server's number first, as pymssql raises it."""
    pymssql = pytest.importorskip("pymssql", reason="pymssql is the [pymssql] extra")
    error: Exception = pymssql.exceptions.OperationalError(number, b"error")
    return error


PYODBC_CASES: list[tuple[str, int | None, type[DataLayerError]]] = [
    ("23000", 2627, DuplicateError),
    ("23000", 547, ConstraintError),
    ("22001", 2628, ConstraintError),  # truncation
    ("40001", 1205, TransientError),  # deadlock victim
    ("HY000", 1222, TransientError),  # lock request time out
    ("42S02", 208, SchemaError),
    ("42S22", 207, SchemaError),
    ("28000", 18456, AccessDeniedError),
    ("HYT00", None, QueryTimeoutError),  # the connection's query timeout
    ("08S01", None, DatabaseConnectionError),  # communication link failure
]
for _sqlstate, _number, _expected in PYODBC_CASES:
    CASES[f"pyodbc {_sqlstate} {_number}"] = (
        without_folder(pyodbc_error, _sqlstate, _number),
        _expected,
    )
PYMSSQL_CASES: list[tuple[int, type[DataLayerError]]] = [
    (2627, DuplicateError),
    (2628, ConstraintError),
    (1205, TransientError),
    (1222, TransientError),
    (20003, QueryTimeoutError),
    (208, SchemaError),
    (20009, DatabaseConnectionError),
]
for _number, _expected in PYMSSQL_CASES:
    CASES[f"pymssql {_number}"] = (without_folder(pymssql_error, _number), _expected)
{%- elif backend == "oracle" %}


def oracledb_error(code: str) -> Exception:
    """python-oracledb's exception: its first argument carries the full code."""
    import oracledb

    return oracledb.DatabaseError(SimpleNamespace(full_code=code))


ORACLE_CASES: list[tuple[str, type[DataLayerError]]] = [
    ("ORA-00001", DuplicateError),
    ("ORA-02291", ConstraintError),
    ("ORA-00060", TransientError),  # deadlock
    ("ORA-30006", TransientError),  # resource busy, WAIT timeout
    ("ORA-01013", QueryTimeoutError),
    ("DPY-4024", QueryTimeoutError),  # call timeout
    ("ORA-00942", SchemaError),
    ("ORA-00904", SchemaError),
    ("ORA-01017", AccessDeniedError),
    ("ORA-03113", DatabaseConnectionError),
    ("DPY-6005", DatabaseConnectionError),
]
for _code, _expected in ORACLE_CASES:
    CASES[f"oracle {_code}"] = (without_folder(oracledb_error, _code), _expected)
{%- endif %}


def wrapped(orig: Exception) -> DBAPIError:
    """`orig` as SQLAlchemy raises it."""
    error = DBAPIError.instance("SELECT 1", {}, orig, type(orig))
    assert isinstance(error, DBAPIError)
    return error


@pytest.mark.parametrize("case", CASES)
def test_driver_errors_become_the_projects_errors(case: str, tmp_path: Path) -> None:
    make_error, expected = CASES[case]
    translated = translate(wrapped(make_error(tmp_path)), URL)
    assert type(translated) is expected, (case, translated)
    assert "s3cret" not in str(translated)


@pytest.mark.parametrize("case", CASES)
def test_only_connection_and_transient_errors_are_retried(
    case: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    make_error, expected = CASES[case]
    error = wrapped(make_error(tmp_path))
    monkeypatch.setattr("time.sleep", lambda _seconds: None)
    calls = 0

    def fail() -> None:
        nonlocal calls
        calls += 1
        raise error

    with pytest.raises(DataLayerError if expected in RETRIED else DBAPIError):
        execute_with_retry(fail, max_retries=3, delay=0)
    assert calls == (3 if expected in RETRIED else 1)
