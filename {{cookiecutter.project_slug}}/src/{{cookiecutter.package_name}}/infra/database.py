{%- set db = cookiecutter | backend -%}
{#- Python 3.12 writes generic functions as `def f[T](...)`. -#}
{%- set type_params = cookiecutter.python_version != "3.11" -%}
"""Engine, sessions and connection helpers: where the application meets the database.

The engine and the session factory are created on first use, once even when
threads race to it, and shared by the whole process; `use_database()` swaps
them for a block (the test suite sends them into each test's transaction).
Use `get_session()` for a unit of work: it commits when the block ends
normally, rolls back when it raises, and always closes the session.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import Any{% if not type_params %}, TypeVar{% endif %}

from sqlalchemy import URL, Connection, Engine, create_engine, event, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import QueuePool, StaticPool

from ..errors import DatabaseConnectionError, TransientError, translate
{%- if db.server %}
from ..settings import Settings, SettingsError, get_settings
{%- else %}
from ..settings import Settings, get_settings
{%- endif %}
from .commit_outcome import track_commit_outcome
{%- if db.server %}
from .liveness import ping_idle_connections
{%- endif %}
from .monitoring import log_slow_queries
{%- if db.server %}
from .timeouts import apply_server_timeouts
{%- endif %}

logger = logging.getLogger(__name__)
{%- if not type_params %}

T = TypeVar("T")
{%- endif %}

SQLITE_DRIVER = "sqlite+pysqlite"
{%- if db.driver_engine_options %}
{% filter trim %}{% include "backends/" ~ db.name ~ "/engine_options.py" %}{% endfilter %}
{%- endif %}


def get_db_url(settings: Settings | None = None) -> URL:
    """The database URL: `DATABASE_URL` if set, else one built from the DB_* parts.

    `URL.create` takes the password as it is: no escaping is needed for
    characters such as `@`, `:`, `/` or `%`.
    """
    settings = settings or get_settings()
    if settings.database_url:
        return make_url(settings.database_url)
{%- if db.server %}
    if settings.db_type == "sqlite":
        return sqlite_url(settings.db_name)
    return server_url(settings)
{%- else %}
    return sqlite_url(settings.db_name)
{%- endif %}
{%- if db.server %}


{% filter trim %}{% include "backends/" ~ cookiecutter.database_backend ~ "/server_url.py" %}{% endfilter %}
{%- endif %}


def sqlite_url(name: str) -> URL:
    """The URL of SQLite file `name`.db, or of an in-memory database for ":memory:"."""
    if name == ":memory:":
        return URL.create(SQLITE_DRIVER)
    return URL.create(SQLITE_DRIVER, database=f"{name}.db")


def create_db_engine(
    url: URL | str, settings: Settings | None = None, **options: Any
) -> Engine:
    """An engine for `url` with the pool, logging and driver fixes this project relies on.

    Pool sizes and timeouts come from the settings; `options` are passed on to
    `create_engine` and win over them.
    """
    settings = settings or get_settings()
    url = make_url(url)
    engine_options: dict[str, Any] = {
        "echo": settings.db_echo,
        # Bound values stay out of logs and error messages: they can hold
        # personal data and password hashes.
        "hide_parameters": True,
    }
    sqlite = url.get_backend_name() == "sqlite"
    if sqlite:
        # How long to wait for another connection's write lock (sqlite3's
        # busy timeout; 0: its default of 5 s). SQLite has no statement timeout.
        engine_options["connect_args"] = {"timeout": settings.db_lock_timeout or 5.0}
    if is_in_memory_sqlite(url):
        # One connection, shared by every session and thread: an in-memory
        # database lives only as long as its connection.
        engine_options["connect_args"]["check_same_thread"] = False
        engine_options.update(poolclass=StaticPool)
    else:
        engine_options.update(
            pool_size=settings.db_pool_size,
            max_overflow=settings.db_max_overflow,
            pool_recycle=settings.db_pool_recycle,
            pool_timeout=settings.db_pool_timeout,
        )
{%- if db.driver_engine_options %}
    engine_options.update(DRIVER_ENGINE_OPTIONS.get(url.get_driver_name(), {}))
{%- endif %}
    engine_options.update(options)
    engine = create_engine(url, **engine_options)
    if sqlite:
        event.listen(engine, "do_connect", _sqlite_create_private_file)
        event.listen(engine, "connect", _sqlite_on_connect)
        event.listen(engine, "begin", _sqlite_on_begin)
{%- if db.server %}
    else:
        apply_server_timeouts(engine, settings)
        # A restarted server costs a reconnect instead of an error (liveness.py).
        ping_idle_connections(engine)
{%- endif %}
    track_commit_outcome(engine)
    log_slow_queries(engine, settings.db_slow_query_seconds)
    return engine


def is_in_memory_sqlite(url: URL) -> bool:
    """Whether `url` is an in-memory SQLite database."""
    return url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:")


def _sqlite_create_private_file(
    _dialect: Any, _record: Any, cargs: list[Any], cparams: dict[str, Any]
) -> None:
    """Create a new SQLite database file readable by its owner only (0600).

    SQLite would create it 0644 under the usual umask: readable by every
    account on the machine, password hashes included. Its -journal, -wal and
    -shm files take the database file's mode. An existing file keeps its mode,
    and a file named by a `file:` URI (`?uri=true`) is left to SQLite.
    """
    if cparams.get("uri") or not cargs or cargs[0] in ("", ":memory:"):
        return
    # O_EXCL: never touch a file that exists. Any other failure (a missing
    # folder, no permission) is SQLite's to report when it opens the file.
    with suppress(OSError):
        os.close(os.open(cargs[0], os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    # Python's sqlite3 module starts transactions late and never for SAVEPOINT,
    # which breaks Session.begin_nested(). Turn its handling off here and let
    # SQLAlchemy emit BEGIN (SQLAlchemy's documented workaround).
    dbapi_connection.isolation_level = None
    # SQLite enforces foreign keys only when asked, per connection.
    dbapi_connection.execute("PRAGMA foreign_keys = ON")


def _sqlite_on_begin(connection: Connection) -> None:
    connection.exec_driver_sql("BEGIN")


@contextmanager
def sqlite_foreign_keys_off(connection: Connection) -> Iterator[None]:
    """On SQLite, stop enforcing foreign keys on `connection` inside the block.

    For migrations: Alembic's batch mode rebuilds a SQLite table by copying it
    and dropping the original, and with foreign keys on, that DROP deletes
    every row that references the table (ON DELETE CASCADE). SQLite switches
    enforcement only outside a transaction, so enter the block before the
    transaction begins, and end the transaction inside it. Other databases
    are left as they are.
    """
    if connection.dialect.name != "sqlite":
        yield
        return
    driver: Any = connection.connection.driver_connection
    enforced = driver.execute("PRAGMA foreign_keys").fetchone()[0]
    if enforced and driver.in_transaction:
        raise RuntimeError(
            "SQLite cannot turn foreign keys off inside a transaction, and "
            "migrating with them on can delete rows: enter "
            "sqlite_foreign_keys_off(connection) before the transaction begins"
        )
    driver.execute("PRAGMA foreign_keys = OFF")
    try:
        yield
    finally:
        if enforced and driver.in_transaction:
            # Too late to switch them back on: this connection must not go
            # back to the pool without them.
            connection.invalidate()
        elif enforced:
            driver.execute("PRAGMA foreign_keys = ON")


#: The process-wide engine and session factory, built together on first use.
_application: tuple[Engine, sessionmaker[Session]] | None = None
#: Held while building or replacing them: threads that arrive at once at first
#: use must not each build an engine (each with its own pool of connections).
_lock = threading.Lock()


def get_engine() -> Engine:
    """The process-wide engine, created from the settings on first use."""
    return _application_database()[0]


def get_session_maker() -> sessionmaker[Session]:
    """The process-wide session factory, bound to `get_engine()`.

    `expire_on_commit=False` keeps loaded attributes readable after the
    session has committed and closed, e.g. to return them from an API.
    """
    return _application_database()[1]


def _application_database() -> tuple[Engine, sessionmaker[Session]]:
    application = _application
    if application is None:
        with _lock:
            application = _application or _build_application_database()
    return application


def _build_application_database() -> tuple[Engine, sessionmaker[Session]]:
    global _application
    engine = create_db_engine(get_db_url())
    _application = (engine, sessionmaker(bind=engine, expire_on_commit=False))
    return _application


@contextmanager
def get_session() -> Iterator[Session]:
    """A session for one unit of work: commit on success, rollback on error, always close.

    Database errors leave the block as the project's own (`errors.translate`):
    `DuplicateError`, `DatabaseConnectionError`, `CommitOutcomeUnknownError`, ...
    """
    session = get_session_maker()()
    try:
        yield session
        session.commit()
    except SQLAlchemyError as error:
        session.rollback()
        # From None: the driver's error can quote the row (see errors.py).
        raise translate(error, session.get_bind().engine.url) from None
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def dispose_engine() -> None:
    """Close every pooled connection and forget the engine.

    Call it at shutdown, in a child process after a fork, or after changing
    the settings; the next `get_engine()` builds a new engine.
    """
    global _application
    with _lock:
        application, _application = _application, None
    if application is not None:
        application[0].dispose()


@contextmanager
def use_database(
    engine: Engine | None = None, session_maker: sessionmaker[Session] | None = None
) -> Iterator[None]:
    """Inside the block, `get_engine()` and `get_session()` use `engine`.

    `session_maker` defaults to one bound to `engine`. Without `engine`, a new
    one is built from the settings on first use inside the block. Whatever was
    in use before comes back when the block ends; an engine built inside the
    block is disposed. The test suite uses this to send the application's
    sessions into each test's transaction.
    """
    global _application
    replacement = None
    if engine is not None:
        replacement = (
            engine,
            session_maker or sessionmaker(bind=engine, expire_on_commit=False),
        )
    with _lock:
        saved, _application = _application, replacement
    try:
        yield
    finally:
        with _lock:
            inside, _application = _application, saved
        if inside is not None and inside[0] is not engine:
            inside[0].dispose()


def get_pool_status(engine: Engine | None = None) -> dict[str, int]:
    """Connection pool counters of `engine` (default: `get_engine()`).

    `size` is the configured pool size, `checked_out` the connections in use,
    `checked_in` the idle ones, `overflow` those opened beyond `size`, and
    `total` all open connections. In-memory SQLite shares one connection
    (`StaticPool`), which keeps no counters: every value is then 0.
    """
    pool = (engine or get_engine()).pool
    if not isinstance(pool, QueuePool):
        return dict.fromkeys(
            ("size", "checked_in", "checked_out", "overflow", "total"), 0
        )
    checked_in, checked_out = pool.checkedin(), pool.checkedout()
    return {
        "size": pool.size(),
        "checked_in": checked_in,
        "checked_out": checked_out,
        "overflow": max(pool.overflow(), 0),
        "total": checked_in + checked_out,
    }


def execute_with_retry{{ "[T]" if type_params }}(
    func: Callable[[], T], max_retries: int = 3, delay: float = 0.5
) -> T:
    """Call `func`, one whole unit of work, and again while it fails in a way
    that running it again can fix.

    Retried: `DatabaseConnectionError` (the server could not be reached, or
    the connection broke before COMMIT was sent) and `TransientError` (a
    deadlock, a lock wait longer than DB_LOCK_TIMEOUT, a serialization
    failure), and the SQLAlchemy errors `translate()` turns into them. Waits
    `delay` seconds after the first failure and twice as long after each
    further one; after `max_retries` attempts the last error is raised
    (a `DatabaseConnectionError` names the server and the attempts, never the
    password). Everything else is raised at once: `QueryTimeoutError`
    (running a slow statement again only doubles the wait), `SchemaError`,
    `DuplicateError`, ..., and `CommitOutcomeUnknownError`: when the
    connection died while COMMIT was on its way, the work may already be
    saved, and running it again could save it twice (see the README).

    `func` must open its own session (`with get_session() as session: ...`),
    so a retry starts a new transaction.
    """
    if max_retries < 1:
        raise ValueError(f"max_retries must be at least 1, got {max_retries}")
    attempt = 1
    while True:
        try:
            return func()
        except Exception as error:
            problem = (
                translate(error, get_db_url())
                if isinstance(error, SQLAlchemyError)
                else error
            )
            if not isinstance(problem, DatabaseConnectionError | TransientError):
                raise
            if attempt >= max_retries:
                if isinstance(problem, DatabaseConnectionError):
                    # From None: the driver's error can quote the row (errors.py).
                    raise DatabaseConnectionError(
                        problem.url, problem.reason, attempts=attempt
                    ).with_traceback(error.__traceback__) from None
                if problem is error:
                    raise
                raise problem from None
            wait = delay * 2 ** (attempt - 1)
            logger.warning(
                "%s (attempt %d of %d), retrying in %.2f s",
                problem,
                attempt,
                max_retries,
                wait,
            )
            time.sleep(wait)
            attempt += 1
