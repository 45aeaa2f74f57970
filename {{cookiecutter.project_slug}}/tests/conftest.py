{%- set db = cookiecutter | backend -%}
"""Test fixtures: one test database per run, one rolled-back transaction per test.

Where the tests run (`infra/testing.py` derives it):
{%- if db.server %}
1. `TEST_DATABASE_URL`, if set;
{%- if db.test_database_part == "database" %}
2. else the `DB_*` server (or `DATABASE_URL`) with "_test" appended to the
   database name (shortened, with a hash, where the name would be too long),
   created when missing;
{%- else %}
2. else the `DB_*` server (or `DATABASE_URL`) as the user DB_USER + "_test"
   (its own schema; docker-compose.yml creates it);
{%- endif %}
3. else, when that server cannot be reached, in-memory SQLite. pytest's header
   says so; `--require-db` (implied by `CI=true`) makes it an error instead.
{%- else %}
`TEST_DATABASE_URL` if set, else an in-memory SQLite database.
{%- endif %}
Under pytest-xdist (`pytest -n 2`) each worker adds its name ("_gw0", ...).

The suite erases the database it runs in, so it refuses to start, with one
line, when that database is the development one by any route, or when its name
does not contain "test" (unless TEST_DATABASE_MAY_BE_ERASED=true). The schema
is built with `alembic upgrade head`, so every run also tests the migrations,
and torn down with `alembic downgrade base` at the end (Alembic's own table
included).

During a test, `get_engine()`, `get_session_maker()` and `get_session()` lead
into the test's transaction (fixtures `db_session`, `session_factory`), or
refuse to connect with a message naming these fixtures: nothing a test commits
by going around them can stay. Code that must really commit, or that runs in
other threads, gets `committing_engine`, which empties the tables afterwards.
{%- if cookiecutter.database_backend == "mysql" %}
MySQL and MariaDB commit DDL (CREATE, ALTER, DROP) at once, inside any
transaction: a test that changes the schema uses `migration_connection`.
{%- endif %}
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NamedTuple, NoReturn

import pytest
from alembic import command
from alembic.config import Config
from argon2 import PasswordHasher, profiles
from sqlalchemy import URL, Connection, Engine, MetaData, Table, create_engine, delete
{%- if db.server %}
from sqlalchemy.exc import DBAPIError
{%- endif %}
from sqlalchemy.orm import Session, sessionmaker

from {{ cookiecutter.package_name }} import security, settings
{%- if db.server %}
from {{ cookiecutter.package_name }}.errors import first_line
{%- endif %}
from {{ cookiecutter.package_name }}.infra import database, testing
from {{ cookiecutter.package_name }}.models import Base

PROJECT_ROOT = Path(__file__).resolve().parents[1]
#: Alembic's table of the applied revision.
ALEMBIC_VERSION = Table("alembic_version", MetaData())
#: What a test that goes around the fixtures is told.
USE_THE_FIXTURES = (
    "this test would connect outside its transaction, and what it commits would "
    "stay in the test database: use the db_session fixture (get_session() then "
    "joins the test's transaction), or committing_engine for code that must "
    "really commit"
)
OTHER_THREAD = (
    "get_session() was called from another thread, but the test's transaction "
    "belongs to the test's thread: use the committing_engine fixture for code "
    "that runs in threads"
)


class SuiteDatabase(NamedTuple):
    """Where this run's tests go, and the line pytest's header shows for it."""

    url: URL
    description: str
{%- if db.server %}
    #: In-memory SQLite stands in for a server that could not be reached.
    fallback: bool = False
{%- endif %}


SUITE_DATABASE = pytest.StashKey[SuiteDatabase]()
{%- if db.server %}


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--require-db",
        action="store_true",
        help="fail instead of falling back to SQLite when the test database "
        "cannot be reached (implied by CI=true)",
    )
    parser.addoption(
        "--faults",
        action="store_true",
        help="also run the slower fault tests (tests/test_faults.py)",
    )
{%- endif %}


def pytest_sessionstart(session: pytest.Session) -> None:
    try:
        session.config.stash[SUITE_DATABASE] = choose_test_database(session.config)
    except settings.SettingsError as error:
        raise pytest.UsageError(str(error)) from None


def pytest_report_header(config: pytest.Config) -> str:
    return f"database: {config.stash[SUITE_DATABASE].description}"
{%- if db.server %}


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    """Repeat a fallback to SQLite at the end, where `pytest -q` shows it too."""
    database = config.stash.get(SUITE_DATABASE, None)
    if database is not None and database.fallback:
        terminalreporter.write_line(f"database: {database.description}", yellow=True)
{%- endif %}
{%- if db.server %}


def pytest_collection_modifyitems(
    config: pytest.Config, items: list[pytest.Item]
) -> None:
    """Skip `server` tests off {{ db.label }}, and `faults` tests unless asked for."""
    # The settings allow SQLite or this project's server (mariadb+ included).
    on_server = config.stash[SUITE_DATABASE].url.get_backend_name() != "sqlite"
    no_server = pytest.mark.skip(
        reason="needs {{ db.a_server }} at TEST_DATABASE_URL",
    )
    no_faults = pytest.mark.skip(reason="slow fault tests: run pytest --faults")
    for item in items:
        if item.get_closest_marker("server") and not on_server:
            item.add_marker(no_server)
        elif item.get_closest_marker("faults") and not config.getoption("--faults"):
            item.add_marker(no_faults)
{%- endif %}


def refuse(problem: str) -> NoReturn:
    """Stop before any test runs, with one line (pytest's usage error)."""
    raise pytest.UsageError(f"test database: {problem}")


def choose_test_database(config: pytest.Config) -> SuiteDatabase:
    """The database for this run, created if needed (see the module docstring)."""
    app_settings = settings.Settings.from_env()
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    url = testing.suite_database_url(app_settings, worker)
    problem = testing.refusal(url, app_settings)
    if problem:
        refuse(problem)
    where = url.render_as_string(hide_password=True)
    if getattr(config.option, "dist", "no") != "no" and not worker:
        # pytest-xdist's controller runs no test: each worker picks its own.
        example = testing.suite_database_url(app_settings, "gw0")
        shown = example.render_as_string(hide_password=True)
        return SuiteDatabase(url, f"one per pytest-xdist worker, e.g. {shown}")
{%- if db.server %}
    if url.get_backend_name() == "sqlite":
        return SuiteDatabase(url, where)
    try:
{%- if db.admin_database %}
        testing.ensure_database(url)
    except testing.DatabaseCreationError as error:
        refuse(str(error))
{%- else %}
        testing.check_connection(url)
{%- endif %}
    except DBAPIError as error:
        problem = f"{where} is not available ({first_line(error)})"
    except ImportError as error:  # the driver, or a system library it needs
        problem = f"the database driver cannot be loaded ({error})"
    else:
        return SuiteDatabase(url, where)
    if config.getoption("--require-db") or _ci():
        refuse(problem)
    return SuiteDatabase(
        testing.IN_MEMORY_SQLITE,
        f"in-memory SQLite, because {problem} "
        "(start the server as README.md shows in Run against the real server, "
        "or set TEST_DATABASE_URL)",
        fallback=True,
    )


def _ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}
{%- else %}
    return SuiteDatabase(url, where)
{%- endif %}


def make_alembic_config(connection: Connection) -> Config:
    """Alembic's configuration, set to migrate through `connection`."""
    config = Config(PROJECT_ROOT / "alembic.ini")
    config.attributes.update(connection=connection, keep_logging=True)
    return config


@contextmanager
def migrating(engine: Engine) -> Iterator[Connection]:
    """`engine.begin()`, with SQLite's foreign keys off before the transaction
    begins, as migrations need (see migrations/env.py)."""
    with (
        engine.connect() as connection,
        database.sqlite_foreign_keys_off(connection),
        connection.begin(),
    ):
        yield connection


@pytest.fixture(scope="session")
def test_engine(request: pytest.FixtureRequest) -> Iterator[Engine]:
    """The engine the suite runs on, with the schema at the newest migration."""
    url = request.config.stash[SUITE_DATABASE].url
    engine = database.create_db_engine(url, settings.Settings())
    with migrating(engine) as connection:
        # What a previous, interrupted run may have left.
        Base.metadata.drop_all(connection)
        ALEMBIC_VERSION.drop(connection, checkfirst=True)
        command.upgrade(make_alembic_config(connection), "head")
    yield engine
    with migrating(engine) as connection:
        command.downgrade(make_alembic_config(connection), "base")
        ALEMBIC_VERSION.drop(connection)  # leave the database as empty as it was
    engine.dispose()


@pytest.fixture
def connection(test_engine: Engine) -> Iterator[Connection]:
    """A connection inside a transaction that is rolled back after the test."""
    with test_engine.connect() as connection:
        transaction = connection.begin()
        try:
            yield connection
        finally:
            transaction.rollback()


@pytest.fixture
def migration_connection(test_engine: Engine) -> Iterator[Connection]:
    """A connection whose work is committed, not rolled back: for schema changes."""
    with migrating(test_engine) as connection:
        yield connection


@pytest.fixture
def alembic_config(migration_connection: Connection) -> Config:
    """Alembic's configuration, migrating through `migration_connection`."""
    return make_alembic_config(migration_connection)


class SameThreadSessionMaker(sessionmaker[Session]):
    """Sessions inside the test's transaction, for the test's own thread only.

    With `join_transaction_mode="create_savepoint"` a session's commit or
    rollback only releases or rolls back a SAVEPOINT: code under test can
    commit, fail, roll back and commit again, and the test's final rollback
    still removes everything. One connection cannot serve two threads at
    once, so a session asked for from another thread is refused.
    """

    def __init__(self, connection: Connection) -> None:
        super().__init__(
            bind=connection,
            join_transaction_mode="create_savepoint",
            expire_on_commit=False,
        )
        self.thread = threading.get_ident()

    def __call__(self, **options: Any) -> Session:
        if threading.get_ident() != self.thread:
            raise RuntimeError(OTHER_THREAD)
        return super().__call__(**options)


def _refuse_to_connect() -> NoReturn:
    raise RuntimeError(USE_THE_FIXTURES)


@pytest.fixture(scope="session")
def outside_engine(request: pytest.FixtureRequest) -> Iterator[Engine]:
    """An engine on the test database that refuses to connect (USE_THE_FIXTURES)."""
    url = request.config.stash[SUITE_DATABASE].url
    engine = create_engine(url, creator=_refuse_to_connect)
    yield engine
    engine.dispose()


@pytest.fixture(autouse=True)
def application_database(outside_engine: Engine) -> Iterator[None]:
    """In every test, the application's engine and sessions refuse to connect,
    unless a fixture below sends them somewhere safe."""
    with database.use_database(outside_engine):
        yield


@pytest.fixture
def session_factory(
    connection: Connection, outside_engine: Engine
) -> Iterator[sessionmaker[Session]]:
    """Sessions inside the test's transaction; `get_session()` hands them out too."""
    factory = SameThreadSessionMaker(connection)
    with database.use_database(outside_engine, factory):
        yield factory


@pytest.fixture
def db_session(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session whose every change is gone when the test ends."""
    with session_factory() as session:
        yield session


@pytest.fixture
def committing_engine(test_engine: Engine) -> Iterator[Engine]:
    """An engine on the test database whose sessions really commit.

    `get_engine()` and `get_session()` use it during the test, from any thread.
    Its pool is small (5 + 5), so many threads also wait for connections. The
    tables are emptied before and after the test. In-memory SQLite has one
    connection for the whole database: there, threads must take turns (test
    threaded code on a server, or on a SQLite file set in TEST_DATABASE_URL).
    """
    if database.is_in_memory_sqlite(test_engine.url):
        engine = test_engine  # its one connection holds the whole database
    else:
        pool = settings.Settings(db_pool_size=5, db_max_overflow=5, db_pool_timeout=30)
        engine = database.create_db_engine(test_engine.url, pool)
    empty_tables(engine)
    try:
        with database.use_database(engine):
            yield engine
    finally:
        empty_tables(engine)
        if engine is not test_engine:
            engine.dispose()


def empty_tables(engine: Engine) -> None:
    """Delete every row of every table, children first."""
    with engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(delete(table))


@pytest.fixture(scope="session", autouse=True)
def application_settings(request: pytest.FixtureRequest) -> Iterator[None]:
    """Point the application's own settings at the test database for the whole run.

    Code that reads the settings itself (Alembic's env.py, scripts) then
    cannot reach the development database by accident.
    """
    url = request.config.stash[SUITE_DATABASE].url
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DATABASE_URL", url.render_as_string(hide_password=False))
        settings.get_settings.cache_clear()
        database.dispose_engine()
        yield
        database.dispose_engine()
    settings.get_settings.cache_clear()


@pytest.fixture(autouse=True)
def fast_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hash with the cheapest Argon2 parameters: real hashing costs ~50 ms a call.

    test_security.py checks the production parameters separately.
    """
    monkeypatch.setattr(
        security, "password_hasher", PasswordHasher.from_parameters(profiles.CHEAPEST)
    )
