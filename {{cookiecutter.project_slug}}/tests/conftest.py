{%- set db = cookiecutter._backends[cookiecutter.database_backend] -%}
{%- if not db.relational -%}
{% filter trim %}{% include "analytics/conftest.py" %}{% endfilter %}
{%- else -%}
"""Test fixtures: one test database per run, one rolled-back transaction per test.

Where the tests run:
{%- if db.server %}
1. `TEST_DATABASE_URL`, if set;
{%- if db.test_database_part == "database" %}
2. else the `DB_*` server (or `DATABASE_URL`) with "_test" appended to the
   database name, created when missing: never the development database;
{%- else %}
2. else the `DB_*` server (or `DATABASE_URL`) as the user DB_USER + "_test"
   (its own schema; docker-compose.yml creates it): never the development one;
{%- endif %}
3. else, when that server cannot be reached, in-memory SQLite. pytest's header
   says so; `--require-db` (implied by `CI=true`) makes it an error instead.
{%- else %}
`TEST_DATABASE_URL` if set, else an in-memory SQLite database.
{%- endif %}

The schema is built with `alembic upgrade head`, so every run also tests the
migrations, and torn down with `alembic downgrade base` at the end.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import pytest
from alembic import command
from alembic.config import Config
from argon2 import PasswordHasher, profiles
from sqlalchemy import (
    URL,
    Connection,
    Engine,
    MetaData,
    Table,
{%- if db.server %}
    create_engine,
{%- endif %}
    make_url,
)
{%- if db.server %}
from sqlalchemy.exc import DBAPIError
{%- endif %}
from sqlalchemy.orm import Session, sessionmaker
{%- if db.server %}
from sqlalchemy.pool import NullPool
{%- endif %}

from {{ cookiecutter.package_name }} import security, settings
{%- if db.server %}
from {{ cookiecutter.package_name }}.errors import first_line
{%- endif %}
from {{ cookiecutter.package_name }}.infra import database
from {{ cookiecutter.package_name }}.models import Base

PROJECT_ROOT = Path(__file__).resolve().parents[1]
IN_MEMORY_SQLITE = database.sqlite_url(":memory:")


class SuiteDatabase(NamedTuple):
    """Where this run's tests go, and the line pytest's header shows for it."""

    url: URL
    description: str


SUITE_DATABASE = pytest.StashKey[SuiteDatabase]()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--require-db",
        action="store_true",
        help="fail instead of falling back to SQLite when the test database "
        "cannot be reached (implied by CI=true)",
    )
{%- if db.server %}
    parser.addoption(
        "--faults",
        action="store_true",
        help="also run the slower fault tests (tests/test_faults.py)",
    )
{%- endif %}


def pytest_sessionstart(session: pytest.Session) -> None:
    config = session.config
    require = config.getoption("--require-db") or _ci()
    config.stash[SUITE_DATABASE] = choose_test_database(require)


def pytest_report_header(config: pytest.Config) -> str:
    return f"database: {config.stash[SUITE_DATABASE].description}"
{%- if db.server %}


def pytest_collection_modifyitems(
    config: pytest.Config, items: list[pytest.Item]
) -> None:
    """Skip `server` tests off {{ db.label }}, and `faults` tests unless asked for."""
    on_server = config.stash[SUITE_DATABASE].url.get_backend_name() == {{ cookiecutter.database_backend | tojson }}
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


def _ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def choose_test_database(require: bool) -> SuiteDatabase:
    """The database for this run, created if needed (see the module docstring)."""
    config = settings.Settings.from_env()
    if config.test_database_url:
        url = make_url(config.test_database_url)
    else:
        url = default_test_url(database.get_db_url(config))
    if url.get_backend_name() == "sqlite":
        return SuiteDatabase(url, url.render_as_string())
{%- if db.server %}
    try:
{%- if db.admin_database %}
        create_database_if_missing(url)
{%- else %}
        check_connection(url)
{%- endif %}
    except DBAPIError as error:
        where = url.render_as_string(hide_password=True)
        problem = f"{where} is not available ({first_line(error)})"
    except ImportError as error:  # the driver, or a system library it needs
        problem = f"the database driver cannot be loaded ({error})"
    else:
        return SuiteDatabase(url, url.render_as_string(hide_password=True))
    if require:
        pytest.exit(f"test database: {problem}", returncode=pytest.ExitCode.USAGE_ERROR)
    return SuiteDatabase(
        IN_MEMORY_SQLITE,
        f"in-memory SQLite, because {problem} "
        "(start the server, e.g. `docker compose up -d db`, or set TEST_DATABASE_URL)",
    )
{%- else %}
    return SuiteDatabase(url, url.render_as_string(hide_password=True))
{%- endif %}


def default_test_url(url: URL) -> URL:
    """The application's server with "_test" after the {{ db.test_database_part or "database" }} name; SQLite in memory."""
    if url.get_backend_name() == "sqlite":
        return IN_MEMORY_SQLITE
    return url.set({{ db.test_database_part or "database" }}=f"{url.{{ db.test_database_part or "database" }}}_test")
{%- if db.server %}


#: Give up on an unreachable server after five seconds.
CONNECT_ARGS = {{ '{' }}{{ db.connect_timeout_arg | tojson }}: 5{{ '}' }}


def check_connection(url: URL) -> None:
    """Log in to `url` once; DBAPIError if the server refuses."""
    probe = create_engine(url, poolclass=NullPool, connect_args=CONNECT_ARGS)
    try:
        with probe.connect():
            pass
    finally:
        probe.dispose()
{%- endif %}
{%- if db.admin_database %}


#: The database to connect to while creating another one on {{ db.label }}.
ADMIN_DATABASE = {{ db.admin_database | tojson }}
{%- if db.create_database_options %}
#: What `CREATE DATABASE` adds after the name on {{ db.label }}.
CREATE_DATABASE_OPTIONS = {{ db.create_database_options | tojson }}
{%- endif %}


def create_database_if_missing(url: URL) -> None:
    """Create `url`'s database unless it exists; DBAPIError if the server refuses."""
    try:
        check_connection(url)
    except DBAPIError:
        pass  # missing, or the server is down: connecting to the server tells which
    else:
        return
    admin = create_engine(
        url.set(database=ADMIN_DATABASE),
        poolclass=NullPool,
        connect_args=CONNECT_ARGS,
        isolation_level="AUTOCOMMIT",
    )
    try:
        with admin.connect() as connection:
            name = connection.dialect.identifier_preparer.quote(str(url.database))
{%- if db.create_database_options %}
            connection.exec_driver_sql(
                f"CREATE DATABASE {name} {CREATE_DATABASE_OPTIONS}"
            )
{%- else %}
            connection.exec_driver_sql(f"CREATE DATABASE {name}")
{%- endif %}
    finally:
        admin.dispose()
{%- endif %}


def make_alembic_config(connection: Connection) -> Config:
    """Alembic's configuration, set to migrate through `connection`."""
    config = Config(PROJECT_ROOT / "alembic.ini")
    config.attributes.update(connection=connection, keep_logging=True)
    return config


def drop_everything(connection: Connection) -> None:
    """Remove the tables a previous, interrupted run may have left."""
    Base.metadata.drop_all(connection)
    Table("alembic_version", MetaData()).drop(connection, checkfirst=True)


@pytest.fixture(scope="session")
def test_engine(request: pytest.FixtureRequest) -> Iterator[Engine]:
    """The engine the suite runs on, with the schema at the newest migration."""
    url = request.config.stash[SUITE_DATABASE].url
    engine = database.create_db_engine(url, settings.Settings())
    with engine.begin() as connection:
        drop_everything(connection)
        command.upgrade(make_alembic_config(connection), "head")
    yield engine
    with engine.begin() as connection:
        command.downgrade(make_alembic_config(connection), "base")
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
    """A connection whose work is committed, not rolled back.

    For schema changes: MySQL and MariaDB commit DDL at once, so it cannot
    take part in the rollback the other fixtures rely on.
    """
    with test_engine.begin() as connection:
        yield connection


@pytest.fixture
def alembic_config(migration_connection: Connection) -> Config:
    """Alembic's configuration, migrating through `migration_connection`."""
    return make_alembic_config(migration_connection)


@pytest.fixture
def session_factory(
    connection: Connection, monkeypatch: pytest.MonkeyPatch
) -> sessionmaker[Session]:
    """Sessions inside the test's transaction; `get_session()` hands them out too.

    With `join_transaction_mode="create_savepoint"` a session's commit or
    rollback only releases or rolls back a SAVEPOINT: code under test can
    commit, fail, roll back and commit again, and the test's final rollback
    still removes everything.
    """
    factory = sessionmaker(
        bind=connection,
        join_transaction_mode="create_savepoint",
        expire_on_commit=False,
    )
    monkeypatch.setattr(database, "get_session_maker", lambda: factory)
    return factory


@pytest.fixture
def db_session(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session whose every change is gone when the test ends."""
    with session_factory() as session:
        yield session


@pytest.fixture(scope="session", autouse=True)
def application_settings(request: pytest.FixtureRequest) -> Iterator[None]:
    """Point the application's own settings at the test database for the whole run.

    Code that calls `get_engine()` directly then cannot reach the development
    database by accident.
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
{%- endif %}
