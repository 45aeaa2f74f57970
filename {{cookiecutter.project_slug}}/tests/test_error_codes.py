{%- set db = cookiecutter | backend -%}
{%- set backend = db.name -%}
{%- set db_server = db.server -%}
"""Errors are classified by what happened, from each driver's own codes.

Each case is the exception the driver raises (made here, or provoked on
SQLite); `translate()` must give the project's error for it, and
`execute_with_retry` must run the unit of work again exactly when that error
is worth retrying.
"""

from __future__ import annotations

import functools
{%- if backend in ("postgresql", "mssql") %}
import importlib
{%- endif %}
{%- if backend == "mssql" %}
import os
import re
{%- endif %}
{%- if backend in ("mssql", "oracle") %}
import socket
{%- endif %}
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Dialect, create_engine, make_url
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
    first_line,
    translate,
)
from {{ cookiecutter.package_name }}.infra.database import execute_with_retry
{%- if backend == "postgresql" %}
from {{ cookiecutter.package_name }}.settings import get_settings
{%- endif %}

URL = make_url("{{ db.drivername }}://app:s3cret@db.example/orders")
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
    """The exception for `sqlstate` of the driver the project is configured for
    (DB_DRIVER: psycopg or psycopg2); None: the server never answered."""
    driver: Any = importlib.import_module(get_settings().db_driver)
    error: Exception
    if sqlstate is None:
        error = driver.OperationalError("connection failed: Connection refused")
    elif sqlstate.startswith("FATAL"):  # a refused connection: only the message
        error = driver.OperationalError(f"connection failed: ...: {sqlstate}")
    else:
        errors = importlib.import_module(f"{driver.__name__}.errors")
        error = errors.lookup(sqlstate)(f"error {sqlstate}")
        if driver.__name__ == "psycopg2":  # it reads the code from the server's answer
            error.__setstate__({"pgcode": sqlstate, "pgerror": None})
    return error


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


def closed_port() -> int:
    """A local port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def pyodbc_module() -> Any:
    """pyodbc, which loads unixODBC's library (not on every CI runner)."""
    return pytest.importorskip(
        "pyodbc",
        reason="pyodbc needs unixODBC (libodbc.so.2), e.g. apt-get install unixodbc",
        exc_type=ImportError,
    )


def pymssql_module() -> Any:
    """pymssql, the [pymssql] extra: CI installs it, so there it must be present."""
    try:
        return importlib.import_module("pymssql")
    except ImportError as error:
        why = f"pymssql is the [pymssql] extra (uv sync --extra pymssql): {error}"
        if os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}:
            pytest.fail(f"{why} (CI=true: not skipping)")
        pytest.skip(why)


def pyodbc_error(class_name: str, sqlstate: str, number: int, call: str) -> Exception:
    """pyodbc's exception: `Class(sqlstate, "[sqlstate] text (number) (call)")`,
    the class chosen by SQLSTATE (40001 has none: plain Error) and the message
    laid out as pyodbc's errors.cpp does (see test_pyodbc_lays_out_its_errors)."""
    pyodbc = pyodbc_module()
    text = f"[SQL Server]error {number}" if number else "timeout expired"
    message = f"[{sqlstate}] [Microsoft][ODBC Driver 18 for SQL Server]{text} ({number}) ({call})"
    error: Exception = getattr(pyodbc, class_name)(sqlstate, message)
    return error


def pymssql_error(number: int, raised_by: str) -> Exception:
    """pymssql's exception for SQL Server's error `number`, in the layout of the
    call that raised it (_pymssql.pyx; see test_pymssql_raises_these_layouts):
    a statement: `Class(number, message)`, IntegrityError or ProgrammingError
    for a few numbers, else OperationalError; connect():
    `OperationalError((number, message))`; commit() and BEGIN: the pair inside
    the text."""
    exceptions = pymssql_module().exceptions
    if number < 20000:  # the server's message, then DB-Library's own
        message = f"SQL Server error {number}.DB-Lib error message 20018, severity 16:\nGeneral SQL Server error: Check messages from the SQL Server\n"
    else:
        message = f"DB-Lib error message {number}, severity 9:\n...\n"
    pair = (number, message.encode())
    if raised_by == "connect":
        error: Exception = exceptions.OperationalError(pair)
    elif raised_by == "commit":
        error = exceptions.OperationalError(f"Cannot commit transaction: {pair}")
    elif number in (515, 547, 2601, 2627):
        error = exceptions.IntegrityError(*pair)
    elif number in (102, 207, 208, 2812, 4104):
        error = exceptions.ProgrammingError(*pair)
    else:
        error = exceptions.OperationalError(*pair)
    return error


EXECUTE, CONNECT = "SQLExecDirectW", "SQLDriverConnect"
#: (pyodbc's class, SQLSTATE, SQL Server's number, ODBC call, project's error)
PYODBC_CASES: list[tuple[str, str, int, str, type[DataLayerError]]] = [
    ("IntegrityError", "23000", 2627, EXECUTE, DuplicateError),
    ("IntegrityError", "23000", 547, EXECUTE, ConstraintError),
    ("DataError", "22001", 2628, EXECUTE, ConstraintError),  # truncation
    ("Error", "40001", 1205, EXECUTE, TransientError),  # deadlock victim
    ("Error", "HY000", 1222, EXECUTE, TransientError),  # lock request time out
    ("ProgrammingError", "42S02", 208, EXECUTE, SchemaError),
    ("ProgrammingError", "42S22", 207, EXECUTE, SchemaError),
    ("ProgrammingError", "42000", 4060, CONNECT, SchemaError),  # no database
    ("InterfaceError", "28000", 18456, CONNECT, AccessDeniedError),
    ("OperationalError", "HYT00", 0, EXECUTE, QueryTimeoutError),
    ("OperationalError", "HYT00", 0, CONNECT, DatabaseConnectionError),  # login
    ("OperationalError", "08S01", 10054, EXECUTE, DatabaseConnectionError),
]
for _class, _sqlstate, _number, _call, _expected in PYODBC_CASES:
    CASES[f"pyodbc {_sqlstate} {_number} {_call}"] = (
        without_folder(pyodbc_error, _class, _sqlstate, _number, _call),
        _expected,
    )
#: (SQL Server's number, the call that raised it, project's error)
PYMSSQL_CASES: list[tuple[int, str, type[DataLayerError]]] = [
    (2627, "execute", DuplicateError),
    (547, "execute", ConstraintError),
    (2628, "execute", ConstraintError),  # truncation: OperationalError
    (1205, "execute", TransientError),  # deadlock victim: OperationalError
    (1222, "execute", TransientError),
    (208, "execute", SchemaError),
    (20003, "execute", QueryTimeoutError),  # the query's timeout
    (20047, "execute", DatabaseConnectionError),  # DBPROCESS is dead
    (20009, "connect", DatabaseConnectionError),  # unable to connect
    (20003, "connect", DatabaseConnectionError),  # the login timed out
    (18456, "connect", AccessDeniedError),
    (4060, "connect", SchemaError),  # cannot open the database
    (1205, "commit", TransientError),
    (20047, "commit", DatabaseConnectionError),
]
for _number, _raised_by, _expected in PYMSSQL_CASES:
    CASES[f"pymssql {_number} {_raised_by}"] = (
        without_folder(pymssql_error, _number, _raised_by),
        _expected,
    )


def test_pyodbc_lays_out_its_errors() -> None:
    """The layout pyodbc_error copies, in an error pyodbc raises itself
    (unixODBC's driver manager: no such data source)."""
    pyodbc = pyodbc_module()
    with pytest.raises(pyodbc.Error) as raised:
        pyodbc.connect("DSN=no-such-data-source", timeout=1)
    sqlstate, message = raised.value.args
    assert re.fullmatch(rf"\[{sqlstate}\] .+ \(0\) \(SQLDriverConnect\)", message)


@functools.cache
def deadlocked_connection_class() -> Any:
    """A pymssql connection class (never connected) whose every statement
    fails with error 1205, raised as _mssql raises it. Made once: the class
    must outlive its instances, whose __dealloc__ calls close()."""
    pymssql = pymssql_module()

    def deadlocked(*_args: object) -> None:
        raise pymssql._mssql.MSSQLDatabaseException((1205, b"deadlocked"))

    def nothing(*_args: object) -> None:
        return None

    calls = {"__init__": nothing, "close": nothing}
    calls.update(execute_query=deadlocked, execute_non_query=deadlocked)
    return type("Deadlocked", (pymssql._mssql.MSSQLConnection,), calls)


def test_pymssql_raises_these_layouts() -> None:
    """The layouts pymssql_error copies, raised by pymssql's own code: connect()
    to a port nothing listens on, and a statement and a BEGIN on a connection
    whose every call fails with error 1205."""
    pymssql = pymssql_module()
    with pytest.raises(pymssql.OperationalError) as connecting:
        pymssql.connect(server="127.0.0.1", port=str(closed_port()), login_timeout=1)
    [(number, message)] = connecting.value.args
    assert number == 20009
    assert isinstance(message, bytes)
    stub = deadlocked_connection_class()()
    with pytest.raises(pymssql.OperationalError) as executing:
        pymssql._pymssql.Connection(stub, False, True).cursor().execute("SELECT 1")
    assert executing.value.args == (1205, b"deadlocked")
    with pytest.raises(pymssql.OperationalError) as beginning:
        pymssql._pymssql.Connection(stub, False, False)  # sends BEGIN TRAN
    assert beginning.value.args == ("Cannot start transaction: (1205, b'deadlocked')",)
    for raised, expected in [
        (connecting.value, DatabaseConnectionError),
        (executing.value, TransientError),
        (beginning.value, TransientError),
    ]:
        assert type(translate(wrapped(raised), URL)) is expected, raised
{%- elif backend == "oracle" %}


def oracledb_error(code: int, text: str) -> Exception:
    """What python-oracledb raises for the server's ORA-`code` (thin mode's
    `_check_and_raise_exception`): `_Error` reads the code, picks the class
    and reports a lost connection as DPY-4011."""
    return raised_by_oracledb(f"ORA-{code:05}: {text}", code)


def raised_by_oracledb(message: str, code: int = 0) -> Exception:
    """The exception python-oracledb raises for an error with this message:
    its `_Error`, in the class that `_Error` chooses."""
    from oracledb import errors

    error = errors._Error(message, code=code)
    raised: Exception = error.exc_type(error)
    return raised


def oracledb_unreachable() -> Exception:
    """What python-oracledb raises when nothing listens on the port (DPY-6005)."""
    import oracledb

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    try:
        oracledb.connect(user="app", password="x", dsn=f"127.0.0.1:{port}/orders")
    except oracledb.Error as error:
        return error
    raise AssertionError("connected")


#: ORA-00604's message: "error occurred at recursive SQL level 1", then the cause.
RECURSIVE = "error occurred at recursive SQL level 1\nORA-"
#: (ORA- code, the server's message, project's error)
ORACLE_CASES: list[tuple[int, str, type[DataLayerError]]] = [
    (1, "unique constraint (APP.UQ_USERS_EMAIL) violated", DuplicateError),
    (2291, "integrity constraint violated - parent key not found", ConstraintError),
    (12899, "value too large for column", ConstraintError),
    (60, "deadlock detected while waiting for resource", TransientError),
    (8177, "can't serialize access for this transaction", TransientError),
    (30006, "resource busy; acquire with WAIT timeout expired", TransientError),
    (1013, "user requested cancel of current operation", QueryTimeoutError),
    (604, RECURSIVE + "01013: user requested cancel", QueryTimeoutError),
    (604, RECURSIVE + "00001: unique constraint violated", DuplicateError),
    (604, RECURSIVE + "01653: unable to extend table", DataLayerError),
    (942, "table or view does not exist", SchemaError),
    (904, '"BIO": invalid identifier', SchemaError),
    (1017, "invalid credential or not authorized; logon denied", AccessDeniedError),
    (3113, "end-of-file on communication channel", DatabaseConnectionError),
    (28, "your session has been killed", DatabaseConnectionError),
    (1033, "ORACLE initialization or shutdown in progress", DatabaseConnectionError),
]
for _code, _text, _expected in ORACLE_CASES:
    CASES[f"oracle ORA-{_code:05} {_expected.__name__}"] = (
        without_folder(oracledb_error, _code, _text),
        _expected,
    )
CASES["oracle DPY-4024 call timeout"] = (
    # Raised on the client when a call outlives the connection's call_timeout.
    without_folder(raised_by_oracledb, "DPY-4024: call timeout of 30000 ms exceeded"),
    QueryTimeoutError,
)
CASES["oracle DPY-6005 nothing listens"] = (
    without_folder(oracledb_unreachable),
    DatabaseConnectionError,
)


def test_oracledb_picks_the_class_by_code_not_by_kind() -> None:
    """Why errors are classified by code: a deadlock is a plain DatabaseError,
    a cancelled call an OperationalError, and a lost connection's ORA- code is
    replaced by DPY-4011."""
    classes = {
        code: type(oracledb_error(code, "...")).__name__ for code in (60, 604, 1013, 1)
    }
    assert classes == {
        60: "DatabaseError",
        604: "OperationalError",
        1013: "OperationalError",
        1: "IntegrityError",
    }
    lost = oracledb_error(3113, "end-of-file on communication channel")
    assert lost.args[0].full_code == "DPY-4011"
{%- endif %}


#: The SQLAlchemy driver name of each DB-API module whose errors are made here.
DRIVERNAMES = {
    "sqlite3": "sqlite+pysqlite",
{%- if backend == "postgresql" %}
    "psycopg": "postgresql+psycopg",
    "psycopg2": "postgresql+psycopg2",
{%- elif backend == "mysql" %}
    "pymysql": "mysql+pymysql",
{%- elif backend == "mssql" %}
    "pyodbc": "mssql+pyodbc",
    "pymssql": "mssql+pymssql",
{%- elif backend == "oracle" %}
    "oracledb": "oracle+oracledb",
{%- endif %}
}


@functools.cache
def dialect_of(drivername: str) -> Dialect:
    """The dialect of an engine for `drivername`, with its DB-API loaded."""
    return create_engine(f"{drivername}://").dialect


def wrapped(orig: Exception) -> DBAPIError:
    """`orig` as SQLAlchemy raises it: wrapped by the driver's dialect, and
    marked a lost connection where the dialect's `is_disconnect` says so
    (`translate()` reads that only for an error it cannot classify)."""
    dialect = dialect_of(DRIVERNAMES[type(orig).__module__.partition(".")[0]])
    driver_error: Any = orig
    error = DBAPIError.instance(
        "SELECT 1",
        {},
        orig,
        dialect.loaded_dbapi.Error,
        connection_invalidated=dialect.is_disconnect(driver_error, None, None),
        dialect=dialect,
    )
    assert isinstance(error, DBAPIError)
    return error


@pytest.mark.parametrize("case", CASES)
def test_driver_errors_become_the_projects_errors(case: str, tmp_path: Path) -> None:
    make_error, expected = CASES[case]
    error = wrapped(make_error(tmp_path))
    translated = translate(error, URL)
    assert type(translated) is expected, (case, translated)
    assert "s3cret" not in str(translated)
    if expected in (DuplicateError, ConstraintError):
        # The driver's message can quote the row: only its code is kept.
        assert translated.code, case
        assert first_line(error) not in str(translated), case


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
